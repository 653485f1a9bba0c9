#include <catch2/catch.hpp>

#include <cmath>
#include <random>

#include <mlops/drift/multivariate.hpp>

using namespace mlops;

TEST_CASE("drift.multivariate: eigen decomposition of a symmetric matrix", "[drift]") {
    std::vector<double> values, vectors;
    drift::symmetric_eigen({2, 1, 1, 2}, 2, values, vectors);
    CHECK(values[0] == Approx(3));
    CHECK(values[1] == Approx(1));
    CHECK(std::fabs(vectors[0]) == Approx(std::sqrt(0.5)));
}

namespace {
drift::DatasetProfile correlated(double sign, unsigned seed) {
    std::mt19937_64 rng(seed);
    std::normal_distribution<double> n(0, 1);
    drift::DatasetProfile p;
    p.rows = 2000;
    for (const char* name : {"a", "b", "c"}) {
        drift::ColumnProfile c;
        c.name = name;
        c.type = drift::ColumnType::numeric;
        p.columns.push_back(c);
    }
    for (std::size_t i = 0; i < p.rows; ++i) {
        double a = n(rng);
        p.columns[0].add_number(a);
        p.columns[1].add_number(sign * a + 0.1 * n(rng));
        p.columns[2].add_number(n(rng));
    }
    return p;
}
} // namespace

TEST_CASE("drift.multivariate: a flipped correlation leaves the band, the same one does not", "[drift]") {
    auto ref = correlated(1, 1);
    auto same = correlated(1, 2);
    auto flipped = correlated(-1, 3);
    auto ok = drift::reconstruction_drift(ref, same, {"a", "b", "c"}, 10, 1);
    REQUIRE(ok.computed);
    CHECK(ok.components >= 1);
    CHECK(ok.variance_explained >= drift::k_pca_variance);
    CHECK(ok.reference_chunks.size() == 10);
    CHECK(!ok.drifted);
    auto bad = drift::reconstruction_drift(ref, flipped, {"a", "b", "c"}, 10, 1);
    CHECK(bad.drifted);
    CHECK(bad.alerts == bad.current_chunks.size());
    auto one = drift::reconstruction_drift(ref, same, {"a"}, 10, 1);
    CHECK(!one.computed);
}
