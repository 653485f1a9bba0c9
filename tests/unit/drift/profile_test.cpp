#include <catch2/catch.hpp>

#include <algorithm>
#include <cmath>
#include <cstdint>

#include <fmt/format.h>

#include <mlops/drift/analysis.hpp>
#include <mlops/drift/profile.hpp>
#include <mlops/drift/report.hpp>

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
    plan->read.chunk_bytes = 1; // one row per batch: the profile must not depend on the chunking
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

namespace {
// The tally by sorting: distinct values of both sides with their counts.
drift::Tally tally_by_sorting(std::vector<double> a, std::vector<double> b) {
    std::erase_if(a, [](double v) { return std::isnan(v); });
    std::erase_if(b, [](double v) { return std::isnan(v); });
    std::sort(a.begin(), a.end());
    std::sort(b.begin(), b.end());
    drift::Tally t;
    std::size_t i = 0, j = 0;
    while (i < a.size() || j < b.size()) {
        double v = j >= b.size() || (i < a.size() && a[i] <= b[j]) ? a[i] : b[j];
        double ca = 0, cb = 0;
        for (; i < a.size() && a[i] == v; ++i) ++ca;
        for (; j < b.size() && b[j] == v; ++j) ++cb;
        t.values.push_back(v);
        t.ref_counts.push_back(ca);
        t.cur_counts.push_back(cb);
    }
    return t;
}
} // namespace

TEST_CASE("drift.profile: decimals on a grid are counted, and the tally equals sorting's", "[drift]") {
    std::vector<double> a, b;
    std::uint64_t x = 88172645463325252ull;
    for (int i = 0; i < 5000; ++i) {
        x ^= x << 13, x ^= x >> 7, x ^= x << 17;
        double k = double(x % 2001) - 1000.0;
        // Integers first, two decimals later (the count moves to the finer grid), -0.0 and NaN.
        a.push_back(i < 300 ? std::round(k / 10) : i % 50 == 0 ? std::nan("") : i % 77 == 0 ? -0.0 : k / 100);
        b.push_back(i % 3 == 0 ? (k + 30) / 10 : std::round(k / 7) / 100);
    }
    auto got = drift::tally_on_grid(a, b);
    REQUIRE(got);
    auto want = tally_by_sorting(a, b);
    CHECK(got->values == want.values);
    CHECK(got->ref_counts == want.ref_counts);
    CHECK(got->cur_counts == want.cur_counts);
    // Decimals as the CSV parser reads them: "0.1", "2.675", "-1e-3".
    auto small = drift::tally_on_grid(std::vector<double>{0.1, 2.675, -1e-3, 0.1}, std::vector<double>{0.3});
    REQUIRE(small);
    CHECK(small->values == std::vector<double>{-1e-3, 0.1, 0.3, 2.675});
    CHECK(small->ref_counts == std::vector<double>{1, 2, 0, 1});
}

TEST_CASE("drift.profile: values off a grid, infinite or spread thin are left to sorting", "[drift]") {
    std::vector<double> grid{1.5, 2.25, 3};
    CHECK(!drift::tally_on_grid(grid, std::vector<double>{1.0 / 3}));       // not a short decimal
    CHECK(!drift::tally_on_grid(grid, std::vector<double>{0.1 + 0.2}));     // 0.30000000000000004
    CHECK(!drift::tally_on_grid(grid, std::vector<double>{INFINITY}));
    CHECK(!drift::tally_on_grid(grid, std::vector<double>{1e9, 0.001}));    // 10^12 steps for 5 values
    CHECK(!drift::tally_on_grid(std::vector<double>{NAN}, std::vector<double>{NAN}));
    std::vector<double> late(1000, 1.0);
    late.push_back(1.0 / 3); // after the values the decimals are guessed from
    CHECK(!drift::tally_on_grid(late, grid));
    late.back() = 0.25; // a finer grid than the first values': counted again on it
    auto finer = drift::tally_on_grid(late, std::vector<double>{1, 2});
    REQUIRE(finer);
    CHECK(finer->values == std::vector<double>{0.25, 1, 2});
    CHECK(finer->ref_counts == std::vector<double>{1, 1000, 0});
    CHECK(drift::tally_on_grid(grid, std::vector<double>{-7, 100}));
}

TEST_CASE("drift.profile: read without rows, short decimals are counted batch by batch", "[drift]") {
    // Column a: integers first, then one decimal, then two, its range growing both ways; b: one
    // value with many digits near the end (counting ends: the values are kept, unordered);
    // c: full-precision floats from the start; d: missing cells.
    test::Scratch s;
    std::string csv = "a,b,c,d\n";
    std::uint64_t x = 7;
    for (int i = 0; i < 3000; ++i) {
        x ^= x << 13, x ^= x >> 7, x ^= x << 17;
        long k = long(x % 2001) - 1000;
        std::string a = i < 500 ? std::to_string(k / 10) : i < 1500 ? fmt::format("{:.1f}", double(k) * (1 + i / 500) / 10)
                                                                    : fmt::format("{:.2f}", double(k) * (1 + i / 500) / 100);
        std::string b = i == 2900 ? "0.1234567890123456789" : fmt::format("{:.3f}", double(k) / 1000);
        std::string c = fmt::format("{}", double(k) / 3);
        std::string d = i % 4 == 0 ? "NA" : std::to_string(k % 7);
        csv += a + "," + b + "," + c + "," + d + "\n";
    }
    s.write("a.csv", csv);
    auto sn = drift::sniff(s / "a.csv", "a.csv");
    REQUIRE(sn);
    auto plan = drift::plan_pair(*sn, "a.csv", *sn, "a.csv", false);
    REQUIRE(plan);
    plan->read.chunk_bytes = 997; // many batches
    auto rows = drift::read_profile(s / "a.csv", "a.csv", plan->read);
    plan->read.keep_rows = false;
    auto counted = drift::read_profile(s / "a.csv", "a.csv", plan->read);
    REQUIRE(rows);
    REQUIRE(counted);
    for (const char* name : {"a", "b", "c", "d"}) {
        INFO(name);
        const auto* r = rows->find(name);
        const auto* c = counted->find(name);
        CHECK(c->sorted_values() == r->sorted_values());
        CHECK(c->missing == r->missing);
        CHECK(c->rows == r->rows);
    }
    CHECK(counted->find("a")->counted);
    CHECK(counted->find("a")->values.empty());
    CHECK(counted->find("d")->counted);
    CHECK(!counted->find("b")->counted);
    CHECK(!counted->find("c")->counted);
    // The same report either way (without the multivariate check, which needs rows).
    drift::Options o;
    o.multivariate = false;
    auto want = drift::analyze(*rows, *rows, o);
    auto got = drift::analyze(*counted, *rows, o);
    REQUIRE(want);
    REQUIRE(got);
    CHECK(drift::to_json(*got).dump() == drift::to_json(*want).dump());
    got = drift::analyze(*counted, *counted, o);
    REQUIRE(got);
    CHECK(drift::to_json(*got).dump() == drift::to_json(*want).dump());
    o.multivariate = true;
    got = drift::analyze(*counted, *counted, o);
    REQUIRE(got);
    CHECK(!got->multivariate.computed);
    CHECK(got->multivariate.note.find("counted") != std::string::npos);
}
