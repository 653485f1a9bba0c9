#include <catch2/catch.hpp>

#include <random>

#include <fmt/format.h>

#include <mlops/tablediff/render.hpp>
#include <mlops/tablediff/tablediff.hpp>

#include "scratch.hpp"

using namespace mlops;

namespace {
using Strings = std::vector<std::string>;

util::Result<tablediff::TableDiff> run(const test::Scratch& s, const std::string& a, const std::string& b, tablediff::Options o = {}) {
    s.write("a.csv", a);
    s.write("b.csv", b);
    if (o.tmp_dir.empty()) o.tmp_dir = s / "tmp";
    return tablediff::diff({s / "a.csv", "a.csv"}, {s / "b.csv", "b.csv"}, o);
}
tablediff::TableDiff ok(const test::Scratch& s, const std::string& a, const std::string& b, tablediff::Options o = {}) {
    auto r = run(s, a, b, std::move(o));
    if (!r) FAIL(r.error().message);
    return *r;
}
// Everything a diff says, as one comparable text (the JSON form).
std::string summary(const tablediff::TableDiff& d) { return tablediff::to_json(d, {"t.csv", "a", "b", 0}).dump(); }
} // namespace

TEST_CASE("tablediff: by key: added, removed, changed cells", "[tablediff]") {
    test::Scratch s;
    tablediff::Options o;
    o.keys = {"id"};
    auto d = ok(s, "id,x,y\n1,a,10\n2,b,20\n3,c,30\n", "id,x,y\n3,c,31\n1,a,10\n4,d,40\n", o);
    CHECK(d.old_rows == 3);
    CHECK(d.new_rows == 3);
    CHECK(d.added == 1);
    CHECK(d.removed == 1);
    CHECK(d.changed == 1);
    CHECK(d.unchanged == 1);
    REQUIRE(d.added_rows.size() == 1);
    CHECK(d.added_rows[0].line == 4);
    CHECK(d.added_rows[0].values == Strings{"4", "d", "40"});
    REQUIRE(d.removed_rows.size() == 1);
    CHECK(d.removed_rows[0].line == 3);
    CHECK(d.removed_rows[0].values == Strings{"2", "b", "20"});
    REQUIRE(d.changed_rows.size() == 1);
    CHECK(d.changed_rows[0].key == Strings{"3"});
    CHECK(d.changed_rows[0].old_line == 4);
    CHECK(d.changed_rows[0].new_line == 2);
    REQUIRE(d.changed_rows[0].cells.size() == 1);
    CHECK(d.changed_rows[0].cells[0].column == "y");
    CHECK(d.changed_rows[0].cells[0].old_value == "30");
    CHECK(d.changed_rows[0].cells[0].new_value == "31");
    CHECK(d.any_difference());
}

TEST_CASE("tablediff: a composite key; quoted values compare by content", "[tablediff]") {
    test::Scratch s;
    tablediff::Options o;
    o.keys = {"a", "b"};
    auto d = ok(s, "a,b,v\n1,x,\"p,q\"\n1,y,2\n", "a,b,v\r\n\"1\",\"x\",\"p,q\"\r\n1,y,\"line\nbreak\"\r\n", o);
    CHECK(d.unchanged == 1);
    CHECK(d.changed == 1);
    REQUIRE(d.changed_rows.size() == 1);
    CHECK(d.changed_rows[0].key == Strings{"1", "y"});
    CHECK(d.changed_rows[0].cells[0].new_value == "line\nbreak");
}

TEST_CASE("tablediff: without a key, rows are a multiset", "[tablediff]") {
    test::Scratch s;
    auto d = ok(s, "x,y\n1,a\n1,a\n1,a\n2,b\n", "x,y\n1,a\n3,c\n2,b\n3,c\n");
    CHECK(d.unchanged == 2); // one 1,a and the 2,b
    CHECK(d.removed == 2);   // two of the three 1,a
    CHECK(d.added == 2);     // both 3,c
    CHECK(d.changed == 0);
    REQUIRE(d.removed_rows.size() == 2);
    CHECK(d.removed_rows[0].line == 3); // the first 1,a is the one matched
    CHECK(d.removed_rows[1].line == 4);
    CHECK(d.added_rows[0].line == 3);
    CHECK(d.added_rows[1].line == 5);
    // Identical tables: no difference at all, even in another row order.
    auto same = ok(s, "x,y\n1,a\n2,b\n", "x,y\n2,b\n1,a\n");
    CHECK_FALSE(same.any_difference());
    CHECK(same.unchanged == 2);
}

TEST_CASE("tablediff: column changes", "[tablediff]") {
    test::Scratch s;
    tablediff::Options o;
    o.keys = {"id"};
    auto d = ok(s, "id,x,gone\n1,a,z\n2,b,z\n", "id,new,x\n1,n,a\n2,n,B\n", o);
    CHECK(d.added_columns == Strings{"new"});
    CHECK(d.removed_columns == Strings{"gone"});
    CHECK_FALSE(d.columns_reordered); // id, x in both
    CHECK(d.unchanged == 1);          // rows compare on the shared columns
    CHECK(d.changed == 1);
    CHECK(d.changed_rows[0].cells.size() == 1);
    CHECK(d.changed_rows[0].cells[0].column == "x");
    CHECK(d.any_difference());
    auto r = ok(s, "id,x,y\n1,a,b\n", "id,y,x\n1,b,a\n", o);
    CHECK(r.columns_reordered);
    CHECK(r.unchanged == 1);
    // Without a key, rows compare on the shared columns too.
    auto u = ok(s, "x,y\n1,a\n", "y,x,z\na,1,q\n");
    CHECK(u.unchanged == 1);
    CHECK(u.added_columns == Strings{"z"});
}

TEST_CASE("tablediff: bad input is a usage error naming file, line, column or key", "[tablediff]") {
    test::Scratch s;
    tablediff::Options o;
    o.keys = {"id"};
    auto e = [&](const std::string& a, const std::string& b, tablediff::Options opts) {
        auto r = run(s, a, b, opts);
        REQUIRE_FALSE(r);
        CHECK(r.error().kind == util::ErrorKind::usage);
        return r.error().message;
    };
    CHECK(e("id,x\n1,a\n", "x\na\n", o) == "b.csv: no key column 'id' (columns: x)");
    CHECK(e("id,x\n1,a\n2,b\n1,c\n", "id,x\n1,a\n", o) == "a.csv:4: duplicate key id=1 (first at line 2); --key must name each row once");
    CHECK(e("id,x\n1,a\n", "id,x\n1,a\n5,b\n5,c\n", o) == "b.csv:4: duplicate key id=5 (first at line 3); --key must name each row once");
    CHECK(e("id,x\n1,a,3\n", "id,x\n", o) == "a.csv:2: 3 fields, the header has 2");
    CHECK(e("", "id,x\n", o) == "a.csv: empty file (no header line)");
    CHECK(e("id,x,id\n", "id,x\n", o) == "a.csv:1: column 'id' appears twice in the header (columns 1 and 3)");
    CHECK(e("a\n1\n", "b\n1\n", {}) == "a.csv and b.csv have no column in common: there is nothing to compare rows on");
    tablediff::Options twice;
    twice.keys = {"id", "id"};
    CHECK(e("id\n1\n", "id\n1\n", twice) == "--key: column 'id' is named twice");
    // A duplicate key found in a spilled bucket is the same error.
    o.force_buckets = 7;
    CHECK(e("id,x\n1,a\n2,b\n1,c\n", "id,x\n1,a\n", o) == "a.csv:4: duplicate key id=1 (first at line 2); --key must name each row once");
}

TEST_CASE("tablediff: --limit keeps the earliest rows, counts stay whole", "[tablediff]") {
    test::Scratch s;
    std::string a = "id,v\n", b = "id,v\n";
    for (int i = 0; i < 50; ++i) b += fmt::format("{},x\n", i);
    tablediff::Options o;
    o.keys = {"id"};
    o.limit = 5;
    auto d = ok(s, a, b, o);
    CHECK(d.added == 50);
    REQUIRE(d.added_rows.size() == 5);
    for (std::size_t i = 0; i < 5; ++i) CHECK(d.added_rows[i].line == i + 2);
    auto text = tablediff::to_text(d, {"t.csv", "HEAD", "work tree", 5});
    CHECK(text.find("… and 45 more") != std::string::npos);
    auto md = tablediff::to_markdown(d, {"t.csv", "HEAD", "work tree", 5});
    CHECK(md.find("| 0 → 50 | 50 | 0 | 0 | 0 |") != std::string::npos);
}

TEST_CASE("tablediff: spilling to bucket files gives the in-memory answer", "[tablediff]") {
    test::Scratch s;
    std::mt19937 rng(7);
    std::string a = "id,name,score\n", b = "id,name,score\n";
    for (int i = 0; i < 3000; ++i) {
        std::string name = fmt::format("\"n{}, {}\"", i, rng() % 5);
        int r = int(rng() % 100);
        if (r >= 3) a += fmt::format("{},{},{}\n", i, name, i % 17);            // 3% only in b
        if (r < 3 || r >= 6) b += fmt::format("{},{},{}\n", i, name, r < 9 ? i % 17 + 1 : i % 17); // 3% removed, 3% changed
    }
    b += "5000,dup,1\n5000,dup,1\n"; // whole-row duplicates for the unkeyed run
    for (bool keyed : {false, true}) { // unkeyed first: it keeps the duplicate rows at the end of b
        tablediff::Options mem;
        if (keyed) {
            mem.keys = {"id"};
            b.resize(b.size() - std::string("5000,dup,1\n5000,dup,1\n").size());
        }
        auto in_memory = ok(s, a, b, mem);
        CHECK(in_memory.buckets == 1);
        CHECK(in_memory.added > 50);
        CHECK(in_memory.removed > 50);
        if (keyed) CHECK(in_memory.changed > 50);
        tablediff::Options spill = mem;
        spill.memory = 16 << 10; // 16 KiB: the sizes alone force a spill
        auto spilled = ok(s, a, b, spill);
        CHECK(spilled.buckets > 4);
        CHECK(summary(spilled) == summary(in_memory));
        tablediff::Options limited = spill;
        limited.limit = 3;
        auto l = ok(s, a, b, limited);
        CHECK(l.added == in_memory.added);
        REQUIRE(l.added_rows.size() == 3);
        CHECK(l.added_rows[0].line == in_memory.added_rows[0].line);
        CHECK(l.added_rows[2].line == in_memory.added_rows[2].line);
        // The bucket files are gone afterwards.
        CHECK(s.sh("test -z \"$(ls tmp)\"") == 0);
    }
}

TEST_CASE("tablediff: a file absent from one version is every row added or removed", "[tablediff]") {
    test::Scratch s;
    s.write("b.csv", "id,x\n1,a\n2,b\n");
    for (std::size_t buckets : {0, 3}) { // in memory, and spilled
        tablediff::Options o;
        o.keys = {"id"};
        o.tmp_dir = s / "tmp";
        o.force_buckets = buckets;
        auto created = tablediff::diff({"", "b.csv@HEAD", true}, {s / "b.csv", "b.csv"}, o);
        REQUIRE(created);
        CHECK(created->old_absent);
        CHECK(created->added == 2);
        CHECK(created->removed == 0);
        CHECK(created->old_columns == Strings{"id", "x"});
        CHECK(created->added_columns.empty());
        auto deleted = tablediff::diff({s / "b.csv", "b.csv@HEAD"}, {"", "b.csv", true}, o);
        REQUIRE(deleted);
        CHECK(deleted->new_absent);
        CHECK(deleted->removed == 2);
        CHECK(deleted->added == 0);
        CHECK(tablediff::to_text(*deleted, {"b.csv", "HEAD", "work tree", 0}).find("deleted in work tree") != std::string::npos);
        CHECK(tablediff::to_json(*created, {"b.csv", "HEAD", "work tree", 0})["old"]["exists"] == false);
    }
    auto neither = tablediff::diff({"", "b.csv@HEAD", true}, {"", "b.csv", true}, {});
    REQUIRE_FALSE(neither);
    CHECK(neither.error().message == "b.csv@HEAD and b.csv: the file is in neither version");
}
