#include <catch2/catch.hpp>

#include <mlops/tablediff/csv_stream.hpp>

#include "scratch.hpp"

using namespace mlops;

namespace {
// Every record of `text`, each as (line, fields).
std::vector<std::pair<std::size_t, std::vector<std::string>>> records(const std::string& text) {
    test::Scratch s;
    s.write("t.csv", text);
    auto in = tablediff::CsvStream::open(s / "t.csv", "t.csv");
    REQUIRE(in);
    std::vector<std::pair<std::size_t, std::vector<std::string>>> out;
    tablediff::Record r;
    for (;;) {
        auto more = in->next(r);
        REQUIRE(more);
        if (!*more) break;
        out.emplace_back(r.line, std::vector<std::string>(r.fields.begin(), r.fields.end()));
    }
    return out;
}
std::string error_of(const std::string& text) {
    test::Scratch s;
    s.write("t.csv", text);
    auto in = tablediff::CsvStream::open(s / "t.csv", "t.csv");
    REQUIRE(in);
    tablediff::Record r;
    for (;;) {
        auto more = in->next(r);
        if (!more) return more.error().message;
        if (!*more) return "";
    }
}
using Fields = std::vector<std::string>;
} // namespace

TEST_CASE("tablediff.csv_stream: RFC 4180 quoting", "[tablediff]") {
    auto r = records("a,b,c\n\"x,y\",\"say \"\"hi\"\"\",\n\"multi\nline\",2,\"\"\n");
    REQUIRE(r.size() == 3);
    CHECK(r[0].second == Fields{"a", "b", "c"});
    CHECK(r[1].second == Fields{"x,y", "say \"hi\"", ""});
    CHECK(r[1].first == 2);
    CHECK(r[2].second == Fields{"multi\nline", "2", ""});
    CHECK(r[2].first == 3); // the record starts on line 3 and spans two lines
}

TEST_CASE("tablediff.csv_stream: CRLF, a BOM, blank lines, no final newline", "[tablediff]") {
    auto r = records("\xEF\xBB\xBFid,v\r\n1,a\r\n\r\n2,\"b\r\nc\"\r\n3,d");
    REQUIRE(r.size() == 4);
    CHECK(r[0].second == Fields{"id", "v"});
    CHECK(r[1].second == Fields{"1", "a"});
    CHECK(r[2].second == Fields{"2", "b\r\nc"});
    CHECK(r[2].first == 4); // line 3 was blank
    CHECK(r[3].second == Fields{"3", "d"});
    CHECK(r[3].first == 6);
    // Fields are not trimmed; text after a closing quote is kept (as Python's csv does).
    auto t = records("a,b\n \"x\"y , z \n");
    CHECK(t[1].second == Fields{" \"x\"y ", " z "});
    auto u = records("a,b\n\"x\"y,z\n");
    CHECK(u[1].second == Fields{"xy", "z"});
}

TEST_CASE("tablediff.csv_stream: records longer than a read chunk", "[tablediff]") {
    std::string big(3 << 20, 'x');
    auto r = records("a,b\n\"" + big + "\",1\n" + big + ",2\n");
    REQUIRE(r.size() == 3);
    CHECK(r[1].second[0] == big);
    CHECK(r[2].second == Fields{big, "2"});
}

TEST_CASE("tablediff.csv_stream: bad input names the file and line", "[tablediff]") {
    CHECK(error_of("a,b\n1,2\n\"open,3\n4,5\n") == "t.csv:3: quoted field is never closed (a \" without its closing quote)");
    CHECK(error_of(std::string("a,b\n1,\0x\n", 9)) == "t.csv:2: not a CSV file (binary data: a NUL byte)");
    CHECK(error_of("a,b\n1,2\n").empty());
}
