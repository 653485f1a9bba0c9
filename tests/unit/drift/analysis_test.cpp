#include <catch2/catch.hpp>

#include <algorithm>
#include <cmath>

#include <mlops/drift/analysis.hpp>
#include <mlops/drift/stats.hpp>

using namespace mlops;

namespace {
drift::ColumnProfile numeric(const std::string& name, const std::vector<double>& v) {
    drift::ColumnProfile c;
    c.name = name;
    c.type = drift::ColumnType::numeric;
    for (double x : v) c.add_number(x);
    return c;
}
drift::ColumnProfile text(const std::string& name, const std::vector<std::string>& v) {
    drift::ColumnProfile c;
    c.name = name;
    c.type = drift::ColumnType::categorical;
    for (const auto& x : v) c.add_text(x);
    return c;
}
} // namespace

TEST_CASE("drift.analysis: Evidently's default test per column", "[drift]") {
    using drift::Method;
    CHECK(drift::default_method(true, 1000, 6) == Method::ks);
    CHECK(drift::default_method(true, 1000, 5) == Method::chisquare);
    CHECK(drift::default_method(true, 1000, 2) == Method::z);
    CHECK(drift::default_method(false, 500, 3) == Method::chisquare);
    CHECK(drift::default_method(false, 500, 2) == Method::z);
    CHECK(drift::default_method(true, 1001, 6) == Method::wasserstein);
    CHECK(drift::default_method(true, 1001, 5) == Method::jensenshannon);
    CHECK(drift::default_method(false, 5000, 40) == Method::jensenshannon);
}

TEST_CASE("drift.analysis: options per column and for all", "[drift]") {
    drift::Options o;
    REQUIRE(drift::add_method_option(o, "psi"));
    REQUIRE(drift::add_method_option(o, "age=anderson"));
    REQUIRE(drift::add_threshold_option(o, "age=0.2"));
    CHECK(*o.method == drift::Method::psi);
    CHECK(o.column_methods.at("age") == drift::Method::anderson);
    CHECK(o.column_thresholds.at("age") == 0.2);
    CHECK(!drift::add_method_option(o, "nope"));
    CHECK(!drift::add_threshold_option(o, "-1"));
    CHECK(!drift::check_column_options(o, {"height"}));
    CHECK(drift::check_column_options(o, {"age"}));
}

TEST_CASE("drift.analysis: a shifted column drifts, constant and empty ones are reported", "[drift]") {
    drift::Options o;
    std::vector<double> a, b;
    for (int i = 0; i < 200; ++i) a.push_back(i % 50), b.push_back(i % 50 + 30);
    auto r = drift::compare_column(numeric("x", a), numeric("x", b), o);
    REQUIRE(r);
    CHECK(r->method == "ks");
    CHECK(r->drifted);
    CHECK(r->histogram.bins);
    auto c = drift::compare_column(numeric("k", {1, 1, 1}), numeric("k", {1, 1}), o);
    REQUIRE(c);
    CHECK(c->method == "none");
    CHECK(!c->drifted);
    CHECK(c->note == "constant: every value is 1 in both files");
    auto e = drift::compare_column(numeric("m", {NAN, NAN}), numeric("m", {1, 2}), o);
    REQUIRE(e);
    CHECK(e->drifted);
    CHECK(e->reference_missing == 2);
    // --method col=ks on a text column is an error naming it; --method ks for all keeps the default.
    o.column_methods["t"] = drift::Method::ks;
    auto t = drift::compare_column(text("t", {"a", "b", "a"}), text("t", {"b", "b", "c"}), o);
    REQUIRE(!t);
    CHECK(t.error().message.find("ks needs a numeric column") != std::string::npos);
    o.column_methods.clear();
    o.method = drift::Method::ks;
    t = drift::compare_column(text("t", {"a", "b", "a"}), text("t", {"b", "b", "c"}), o);
    REQUIRE(t);
    CHECK(t->method == "chisquare");
}

TEST_CASE("drift.analysis: binned shares fill empty bins like Evidently", "[drift]") {
    auto b = drift::binned_shares(text("t", {"a", "a", "b"}), text("t", {"a", "c"}), true);
    REQUIRE(b.reference.size() == 3);
    CHECK(b.reference[2] == 0.0001); // "c" never in the reference
    CHECK(b.current[1] == 0.0001);
    auto raw = drift::binned_shares(text("t", {"a", "a", "b"}), text("t", {"a", "c"}), false);
    CHECK(raw.reference[2] == 0.0);
}

TEST_CASE("drift.analysis: consuming the profiles gives the same report, values freed", "[drift]") {
    // Large enough for the radix sort and the multivariate check; a column with missing values.
    auto profile = [](double shift, unsigned seed) {
        std::vector<double> a, b, c;
        std::uint64_t x = seed;
        for (int i = 0; i < 6000; ++i) {
            x = x * 6364136223846793005ull + 1442695040888963407ull;
            double u = double(x >> 11) / double(1ull << 53);
            a.push_back(u + shift);
            b.push_back(i % 7 == 0 ? std::nan("") : 2 * u - shift);
            c.push_back(double(i % 11));
        }
        drift::DatasetProfile p;
        p.rows = a.size();
        p.columns = {numeric("a", a), numeric("b", b), numeric("c", c), text("t", std::vector<std::string>(6000, "x"))};
        return p;
    };
    auto ref = profile(0, 1), cur = profile(0.3, 2);
    drift::Options o;
    o.multivariate = true;
    auto kept = drift::analyze(ref, cur, o);
    REQUIRE(kept);
    auto consumed = drift::analyze(std::move(ref), std::move(cur), o);
    REQUIRE(consumed);
    CHECK(drift::to_json(*consumed).dump() == drift::to_json(*kept).dump());
    CHECK(ref.find("a")->values.empty());
    CHECK(cur.find("b")->values.empty());
}

TEST_CASE("drift.analysis: counted decimals give the sorted tests' figures", "[drift]") {
    // Values with 3 decimals (counted, not sorted) against the statistics on the sorted values.
    std::vector<double> a, b;
    std::uint64_t x = 12345;
    for (int i = 0; i < 4000; ++i) {
        x = x * 6364136223846793005ull + 1442695040888963407ull;
        double u = double(x >> 11) / double(1ull << 53);
        a.push_back(std::round(u * 5000) / 1000);
        b.push_back(i % 9 == 0 ? std::nan("") : std::round(u * u * 6000) / 1000);
    }
    auto ref = numeric("v", a), cur = numeric("v", b);
    auto sa = ref.sorted_values(), sb = cur.sorted_values();
    drift::Options o;
    auto r = drift::compare_column(ref, cur, o);
    REQUIRE(r);
    CHECK(r->method == "wasserstein");
    double mean = 0, var = 0;
    for (double v : sa) mean += v / double(sa.size());
    for (double v : sa) var += (v - mean) * (v - mean) / double(sa.size());
    CHECK(r->statistic == Approx(drift::wasserstein_distance(sa, sb) / std::sqrt(var)).epsilon(1e-12));
    auto distinct = sa;
    CHECK(r->reference_unique == std::size_t(std::unique(distinct.begin(), distinct.end()) - distinct.begin()));
    CHECK(r->current_missing == 445);
    // The histogram: numpy's 30 bins over both sides, the last one closed.
    double lo = std::min(sa.front(), sb.front()), hi = std::max(sa.back(), sb.back());
    REQUIRE(r->histogram.edges.size() == 31);
    CHECK(r->histogram.edges.front() == lo);
    CHECK(r->histogram.edges.back() == hi);
    double in_first = double(std::count_if(sb.begin(), sb.end(), [&](double v) { return v < r->histogram.edges[1]; }));
    CHECK(r->histogram.current.front() == in_first);
    CHECK(r->histogram.reference.back() ==
          double(std::count_if(sa.begin(), sa.end(), [&](double v) { return v >= r->histogram.edges[29]; })));
    // A test that walks the sorted values gets them back from the counts.
    REQUIRE(drift::add_method_option(o, "ks"));
    auto ks = drift::compare_column(ref, cur, o);
    REQUIRE(ks);
    auto want = drift::ks_2samp(sa, sb);
    CHECK(ks->statistic == want.statistic);
    CHECK(ks->score == want.p_value);
}
