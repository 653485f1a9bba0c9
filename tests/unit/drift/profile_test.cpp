#include <catch2/catch.hpp>

#include <algorithm>
#include <cmath>
#include <cstdint>

#include <mlops/drift/profile.hpp>

#include "scratch.hpp"

using namespace mlops;

TEST_CASE("drift.profile: types from the first rows, counts and missing cells per column", "[drift]") {
    test::Scratch s;
    s.write("a.csv", "x,color,empty\n1.5,red,\nNA,blue,\n+3,red,NA\n");
    auto sn = drift::sniff(s / "a.csv", "a.csv");
    REQUIRE(sn);
    CHECK(sn->types == std::vector<drift::ColumnType>{drift::ColumnType::numeric, drift::ColumnType::categorical,
                                                      drift::ColumnType::empty});
    auto plan = drift::plan_pair(*sn, "a.csv", *sn, "b.csv", false);
    REQUIRE(plan);
    CHECK(plan->read.text_columns == std::vector<std::string>{"color", "empty"});
    plan->read.chunk_rows = 1; // one row per chunk: the profile must not depend on the chunking
    auto p = drift::read_profile(s / "a.csv", "a.csv", plan->read);
    REQUIRE(p);
    CHECK(p->rows == 3);
    const auto* x = p->find("x");
    REQUIRE(x);
    CHECK(x->missing == 1);
    CHECK(x->sorted_values() == std::vector<double>{1.5, 3});
    CHECK(std::isnan(x->values[1])); // row order kept
    const auto* c = p->find("color");
    CHECK(c->counts.at("red") == 2);
    CHECK(c->present() == 3);
    CHECK(p->find("empty")->missing == 3);
}

TEST_CASE("drift.profile: mismatched files are errors naming columns and files", "[drift]") {
    drift::Sniffed a{{"x", "y", "z"}, {drift::ColumnType::numeric, drift::ColumnType::numeric, drift::ColumnType::categorical}};
    drift::Sniffed b{{"x", "y", "w"}, {drift::ColumnType::numeric, drift::ColumnType::categorical, drift::ColumnType::numeric}};
    auto r = drift::plan_pair(a, "ref.csv", b, "cur.csv", false);
    REQUIRE(!r);
    CHECK(r.error().message.find("only in ref.csv: z; only in cur.csv: w") != std::string::npos);
    r = drift::plan_pair(a, "ref.csv", b, "cur.csv", true);
    REQUIRE(!r);
    CHECK(r.error().message == "column 'y' is numeric in ref.csv and text in cur.csv");
    b.types[1] = drift::ColumnType::empty; // all missing in the first rows: goes with either
    r = drift::plan_pair(a, "ref.csv", b, "cur.csv", true);
    REQUIRE(r);
    CHECK(r->read.columns == std::vector<std::string>{"x", "y"});
    CHECK(r->warnings.size() == 1);
}

TEST_CASE("drift.profile: empty and header-only files name the file by its label", "[drift]") {
    test::Scratch s;
    s.write("e.csv", "");
    s.write("h.csv", "a,b\n");
    auto e = drift::sniff(s / "e.csv", "data.csv@HEAD");
    REQUIRE(!e);
    CHECK(e.error().message.starts_with("data.csv@HEAD: empty file"));
    auto h = drift::sniff(s / "h.csv", "h.csv");
    REQUIRE(!h);
    CHECK(h.error().message == "h.csv: no data rows (only a header line)");
}

TEST_CASE("drift.profile: sorted values of a large column (radix sort) equal std::sort's", "[drift]") {
    drift::ColumnProfile c;
    c.type = drift::ColumnType::numeric;
    std::uint64_t x = 88172645463325252ull;
    std::vector<double> want;
    for (int i = 0; i < 20000; ++i) {
        x ^= x << 13, x ^= x >> 7, x ^= x << 17;
        double v = i % 97 == 0 ? NAN : (double(x % 2000001) - 1000000.0) / 7.0 * (i % 5 == 0 ? 1e-300 : 1.0);
        if (i % 1000 == 1) v = -0.0;
        c.add_number(v);
        if (!std::isnan(v)) want.push_back(v);
    }
    std::sort(want.begin(), want.end());
    auto got = c.sorted_values();
    REQUIRE(got.size() == want.size());
    bool same = true;
    for (std::size_t i = 0; i < got.size(); ++i) same &= got[i] == want[i];
    CHECK(same);
}
