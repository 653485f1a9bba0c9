#include <catch2/catch.hpp>

#include <charconv>
#include <cmath>
#include <cstdint>
#include <string>

#include <fmt/format.h>

#include <mlops/ml/csv.hpp>

#include "scratch.hpp"

using namespace mlops;

TEST_CASE("ml.csv: numeric and text columns, quotes, missing values, CRLF", "[ml]") {
    test::Scratch s;
    s.write("a.csv", "x,color,y\r\n1.5,red,0\r\n-2e3, \"blue, dark\" ,1\r\n\r\n+3,,NA\r\n");
    ml::CsvOptions o;
    o.text_columns = {"color"};
    auto f = ml::read_csv(s / "a.csv", o);
    REQUIRE(f);
    CHECK(f->rows == 3);
    REQUIRE(f->columns.size() == 3);
    CHECK(std::vector<double>(f->columns[0].numbers.begin(), f->columns[0].numbers.end()) == std::vector<double>{1.5, -2000, 3});
    CHECK(f->columns[1].texts == std::vector<std::string>{"red", "blue, dark", ""});
    CHECK(f->columns[2].numbers[1] == 1);
    CHECK(std::isnan(f->columns[2].numbers[2]));
    CHECK(f->columns[1].missing(2));
    CHECK(f->line_of(2) == 5); // the blank line 4 is skipped but counted
}

TEST_CASE("ml.csv: a non-numeric value names the line and the column", "[ml]") {
    test::Scratch s;
    s.write("a.csv", "a,b\n1,2\n3,oops\n");
    auto f = ml::read_csv(s / "a.csv", {});
    REQUIRE_FALSE(f);
    CHECK(f.error().message.find("line 3, column 'b': 'oops' is not a number") != std::string::npos);
    CHECK(f.error().kind == util::ErrorKind::usage);
}

TEST_CASE("ml.csv: empty, header-only and ragged files are errors", "[ml]") {
    test::Scratch s;
    s.write("empty.csv", "");
    s.write("header.csv", "a,b\n");
    s.write("ragged.csv", "a,b\n1,2\n1,2,3\n");
    s.write("short.csv", "a,b\n1\n");
    s.write("dup.csv", "a,a\n1,2\n");
    CHECK(ml::read_csv(s / "empty.csv", {}).error().message.find("empty file") != std::string::npos);
    CHECK(ml::read_csv(s / "header.csv", {}).error().message.find("no data rows") != std::string::npos);
    CHECK(ml::read_csv(s / "ragged.csv", {}).error().message.find("line 3: 3 fields, the header has 2") != std::string::npos);
    CHECK(ml::read_csv(s / "short.csv", {}).error().message.find("line 2: 1 fields") != std::string::npos);
    CHECK(ml::read_csv(s / "dup.csv", {}).error().message.find("'a' appears twice") != std::string::npos);
    CHECK(ml::read_csv(s / "missing.csv", {}).error().message.find("missing.csv: cannot open") != std::string::npos);
}

TEST_CASE("ml.csv: parallel chunks give the same result as one, and the first error in file order", "[ml]") {
    test::Scratch s;
    std::string text = "i,v\n";
    for (int i = 0; i < 300000; ++i) text += std::to_string(i) + "," + std::to_string(i * 0.5) + "\n";
    s.write("big.csv", text);
    ml::CsvOptions many;
    many.threads = 4;
    ml::CsvOptions one;
    one.threads = 1;
    auto a = ml::read_csv(s / "big.csv", many);
    auto b = ml::read_csv(s / "big.csv", one);
    REQUIRE(a);
    REQUIRE(b);
    CHECK(a->rows == 300000);
    CHECK(a->columns[0].numbers == b->columns[0].numbers);
    CHECK(a->columns[1].numbers[299999] == 299999 * 0.5);
    // Two bad values far apart: the earlier one is reported whatever the thread timing.
    auto bad = text;
    bad.replace(bad.find("\n250000,"), 8, "\n250000x");
    bad.replace(bad.find("\n100,"), 5, "\n1x0,");
    s.write("bad.csv", bad);
    auto e = ml::read_csv(s / "bad.csv", many);
    REQUIRE_FALSE(e);
    CHECK(e.error().message.find("line 102, column 'i': '1x0'") != std::string::npos);
}

TEST_CASE("ml.csv: the reader streams in chunks of rows", "[ml]") {
    test::Scratch s;
    s.write("a.csv", "a\n1\n2\n3\n4\n5\n");
    auto r = ml::CsvReader::open(s / "a.csv");
    REQUIRE(r);
    std::vector<double> seen;
    std::vector<std::size_t> first_lines;
    while (!r->done()) {
        auto f = r->next(2, {});
        REQUIRE(f);
        first_lines.push_back(f->first_line);
        seen.insert(seen.end(), f->columns[0].numbers.begin(), f->columns[0].numbers.end());
    }
    CHECK(seen == std::vector<double>{1, 2, 3, 4, 5});
    CHECK(first_lines == std::vector<std::size_t>{2, 4, 6});
}

TEST_CASE("ml.csv: number forms (fast path and fallback) parse as std::from_chars does", "[ml]") {
    test::Scratch s;
    s.write("n.csv", "a,b\n1.,.5\n1e-3,-0\n12345678901234567890123,0.1\n3.14159265358979323846,1e300\n+7, 8 \ninf,2E+2\n");
    auto f = ml::read_csv(s / "n.csv", {});
    REQUIRE(f);
    const auto& a = f->columns[0].numbers;
    const auto& b = f->columns[1].numbers;
    CHECK(a[0] == 1.0);
    CHECK(b[0] == 0.5);
    CHECK(a[1] == 1e-3);
    CHECK(b[1] == 0.0);
    CHECK(a[2] == 12345678901234567890123.0);
    CHECK(b[2] == 0.1);
    CHECK(a[3] == 3.14159265358979323846);
    CHECK(b[3] == 1e300);
    CHECK(a[4] == 7);
    CHECK(b[4] == 8);
    CHECK(std::isinf(a[5]));
    CHECK(b[5] == 200);
    s.write("h.csv", "a\n0x10\n");
    CHECK(ml::read_csv(s / "h.csv", {}).error().message.find("'0x10' is not a number") != std::string::npos);
}

TEST_CASE("ml.csv: take_rows keeps the rows' line numbers", "[ml]") {
    test::Scratch s;
    s.write("a.csv", "a,b\n1,x\n2,y\n3,z\n");
    ml::CsvOptions o;
    o.text_columns = {"b"};
    auto f = ml::read_csv(s / "a.csv", o);
    REQUIRE(f);
    auto t = ml::take_rows(*f, {2, 0});
    CHECK(t.rows == 2);
    CHECK(t.columns[0].numbers[0] == 3);
    CHECK(t.columns[1].texts[1] == "x");
    CHECK(t.line_of(0) == 4);
    CHECK(t.line_of(1) == 2);
}

TEST_CASE("ml.csv: scan_number reads what std::from_chars reads", "[ml]") {
    // Random numbers of every shape, followed by more text or ending the buffer.
    std::uint64_t x = 0x9E3779B97F4A7C15ull;
    auto next = [&] {
        x ^= x << 13, x ^= x >> 7, x ^= x << 17;
        return x;
    };
    int checked = 0;
    for (int i = 0; i < 200000; ++i) {
        std::string n;
        if (next() % 4 == 0) n += next() % 2 ? '-' : '+';
        auto digits = [&](std::size_t count) {
            for (std::size_t k = 0; k < count; ++k) n += char('0' + next() % 10);
        };
        digits(next() % 22);
        if (next() % 3) {
            n += '.';
            digits(next() % 22);
        }
        if (next() % 8 == 0) {
            n += next() % 2 ? 'e' : 'E';
            if (next() % 2) n += '-';
            digits(1 + next() % 3);
        }
        std::string tail = next() % 2 ? ",12345678x9" : "";
        std::string buf = n + tail;
        double got = -1;
        const char* end = ml::csv_detail::scan_number(buf.data(), buf.data() + buf.size(), got);
        std::string_view plain = n;
        if (!plain.empty() && plain.front() == '+') plain.remove_prefix(1);
        double want = -1;
        auto [q, ec] = std::from_chars(plain.data(), plain.data() + plain.size(), want);
        bool valid = ec == std::errc() && q == plain.data() + plain.size() && plain.find_first_of("0123456789") < plain.find_first_of("eE");
        INFO("'" << buf << "'");
        if (!valid) {
            CHECK((end == nullptr || end != buf.data() + n.size()));
            continue;
        }
        REQUIRE(end == buf.data() + n.size());
        REQUIRE(got == want);
        ++checked;
    }
    CHECK(checked > 100000);
}

TEST_CASE("ml.csv: lines split at their commas first parse as field by field", "[ml]") {
    // Random lines through parse_record twice: with bytes to spare past the line (split first,
    // plain_number) and without (field by field): the same values, texts and errors.
    std::uint64_t x = 0x2545F4914F6CDD1Dull;
    auto next = [&] {
        x ^= x << 13, x ^= x >> 7, x ^= x << 17;
        return x;
    };
    const char* odd[] = {"", " ", "NA", "-", ".", "1.", ".5", "-0", "+3", "1e5", " 2.5 ", "12345678.87654321", "123456789.5",
                         "0.123456789", "9007199254740993", "abc", "1.2.3", "--1", "\t7"};
    std::vector<std::string> header{"a", "b", "c", "d", "e"};
    std::vector<bool> is_text{false, false, true, false, true};
    std::string scratch;
    for (int i = 0; i < 100000; ++i) {
        std::string line;
        std::size_t fields = next() % 17 == 0 ? 4 + next() % 3 : 5;
        for (std::size_t j = 0; j < fields; ++j) {
            if (j) line += ',';
            if (next() % 4 == 0) {
                line += odd[next() % std::size(odd)];
            } else if (j == 2 || j == 4) {
                line += next() % 40 == 0 ? "\"q,t\"" : "t" + std::to_string(next() % 50);
            } else {
                if (next() % 3 == 0) line += '-';
                line += std::to_string(next() % 100000);
                if (next() % 2) line += "." + std::to_string(next() % 10000);
            }
        }
        auto run = [&](std::size_t spare, std::vector<std::string>& got) {
            std::string buf = line + std::string(32, '9'); // what lies past the line must not count
            std::string_view view(buf.data(), line.size());
            got.clear();
            struct {
                std::vector<std::string>& got;
                void number(std::size_t j, double v) { got.push_back(std::to_string(j) + "=" + fmt::format("{}", v)); }
                void text(std::size_t j, std::string_view t) { got.push_back(std::to_string(j) + ":" + std::string(t)); }
            } sink{got};
            auto wrong = ml::csv_detail::parse_record(view, view.data() + view.size() + spare, header, is_text, scratch, sink);
            got.push_back(wrong);
        };
        std::vector<std::string> split, plain;
        run(32, split);
        run(0, plain);
        INFO(line);
        REQUIRE(split == plain);
    }
}

TEST_CASE("ml.csv: next() after take() still names the right lines", "[ml]") {
    test::Scratch s;
    s.write("a.csv", "a\n1\n\n2\nbad\n");
    auto r = ml::CsvReader::open(s / "a.csv");
    REQUIRE(r);
    auto ranges = r->take(2, 1); // the record on line 2
    REQUIRE(ranges.size() == 1);
    CHECK(r->count_records(ranges[0]) == 1);
    auto f = r->next(0, {});
    REQUIRE(!f);
    CHECK(f.error().message.ends_with("a.csv: line 5, column 'a': 'bad' is not a number"));
}
