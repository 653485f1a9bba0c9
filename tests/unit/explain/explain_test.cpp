#include <catch2/catch.hpp>

#include <cmath>
#include <random>

#include <mlops/explain/explain.hpp>

using namespace mlops;

namespace {
ml::Frame frame(std::size_t n, std::uint64_t seed) {
    std::mt19937_64 rng(seed);
    std::normal_distribution<double> g;
    ml::Frame f;
    f.path = "data.csv";
    f.rows = n;
    for (const char* name : {"a", "b", "c"}) {
        ml::Column c;
        c.name = name;
        for (std::size_t i = 0; i < n; ++i) c.numbers.push_back(g(rng));
        f.columns.push_back(std::move(c));
    }
    return f;
}
} // namespace

TEST_CASE("explain: permutation importance ranks the one feature that matters first", "[explain]") {
    auto f = frame(400, 1);
    // The "model" looks at a only: class 1 when a > 0 (probabilities 0.9 / 0.1).
    std::vector<double> truth;
    for (double a : f.columns[0].numbers) truth.push_back(a > 0 ? 1 : 0);
    explain::Predict predict = [](const ml::Frame& fr) -> util::Result<std::vector<float>> {
        std::vector<float> out;
        for (double a : fr.columns[0].numbers) {
            out.push_back(a > 0 ? 0.1f : 0.9f);
            out.push_back(a > 0 ? 0.9f : 0.1f);
        }
        return out;
    };
    auto r = explain::permutation_importance(f, {"a", "b", "c"}, predict, 2, truth, explain::Scoring::accuracy, 5, 7);
    REQUIRE(r);
    CHECK(r->baseline == 1.0);
    REQUIRE(r->features.size() == 3);
    CHECK(r->features[0].feature == "a");
    CHECK(r->features[0].mean > 0.4); // about half the labels flip
    CHECK(r->features[1].mean == 0.0);
    CHECK(r->features[2].mean == 0.0);
    CHECK(r->features[0].repeats.size() == 5);
    // The same seed repeats exactly; the frame is left as it was.
    auto again = explain::permutation_importance(f, {"a", "b", "c"}, predict, 2, truth, explain::Scoring::accuracy, 5, 7);
    CHECK(again->features[0].repeats == r->features[0].repeats);
    auto ll = explain::permutation_importance(f, {"a", "b", "c"}, predict, 2, truth, explain::Scoring::log_loss, 3, 7);
    CHECK(ll->baseline == Approx(std::log(0.9)));
    CHECK(ll->features[0].feature == "a");
}

TEST_CASE("explain: scores as scikit-learn defines them", "[explain]") {
    std::vector<float> reg = {1, 2, 4};
    std::vector<double> t = {1, 2, 3};
    CHECK(explain::score(explain::Scoring::r2, reg, 1, t) == Approx(0.5));
    CHECK(explain::score(explain::Scoring::rmse, reg, 1, t) == Approx(-std::sqrt(1.0 / 3)));
    REQUIRE_FALSE(explain::parse_scoring("f1"));
}

TEST_CASE("explain: Gauss-Legendre and trapezoid nodes", "[explain]") {
    auto q = explain::quadrature(explain::Rule::gausslegendre, 3);
    REQUIRE(q.alphas.size() == 3);
    CHECK(q.alphas[0] == Approx(0.5 * (1 - std::sqrt(0.6))).epsilon(1e-14));
    CHECK(q.alphas[1] == Approx(0.5).epsilon(1e-14));
    CHECK(q.weights[0] == Approx(5.0 / 18).epsilon(1e-14));
    CHECK(q.weights[1] == Approx(8.0 / 18).epsilon(1e-14));
    double sum = 0;
    for (double w : explain::quadrature(explain::Rule::gausslegendre, 50).weights) sum += w;
    CHECK(sum == Approx(1.0).epsilon(1e-12));
    auto t = explain::quadrature(explain::Rule::riemann_trapezoid, 5);
    CHECK(t.alphas.front() == 0);
    CHECK(t.alphas.back() == 1);
    CHECK(t.weights.front() == Approx(0.125));
    CHECK(t.weights[1] == Approx(0.25));
}

TEST_CASE("explain: integrated gradients of a linear model are w * (x - baseline), exactly", "[explain]") {
    const std::vector<float> w = {2.0f, -1.0f, 0.5f, 3.0f};
    explain::Gradient linear = [&](const ml::Matrix& x, const std::vector<std::int64_t>&, std::vector<float>& v,
                                   std::vector<float>& g) -> util::Status {
        v.assign(x.rows, 0.0f);
        g.resize(x.rows * x.cols);
        for (std::size_t r = 0; r < x.rows; ++r)
            for (std::size_t c = 0; c < x.cols; ++c) {
                v[r] += w[c] * x.data[r * x.cols + c];
                g[r * x.cols + c] = w[c];
            }
        return {};
    };
    ml::Matrix x{{1, 2, 3, 4, -1, 0, 2, 1}, 2, 4};
    std::vector<float> base = {0.5f, 0.5f, 0.5f, 0.5f};
    // Columns 2 and 3 are one feature (a one-hot pair): their attributions add up.
    for (auto rule : {explain::Rule::gausslegendre, explain::Rule::riemann_trapezoid}) {
        auto r = explain::integrated_gradients(x, base, {0, 0}, linear, {"p", "q", "color"}, {0, 1, 2, 2}, rule, 7, 1e-6);
        REQUIRE(r);
        CHECK(r->failed == 0);
        const auto& row = r->rows[1];
        CHECK(row.attributions[0] == Approx(2.0 * (-1 - 0.5)));
        CHECK(row.attributions[1] == Approx(-1.0 * (0 - 0.5)));
        CHECK(row.attributions[2] == Approx(0.5 * (2 - 0.5) + 3.0 * (1 - 0.5)));
        CHECK(std::fabs(row.gap) < 1e-5);
    }
}

TEST_CASE("explain: the completeness check fails with too few steps", "[explain]") {
    // f(x) = sigmoid(8 x0 x1): curved along the path; 2 trapezoid steps miss it, 50 Gauss-Legendre do not.
    explain::Gradient curved = [](const ml::Matrix& x, const std::vector<std::int64_t>&, std::vector<float>& v,
                                  std::vector<float>& g) -> util::Status {
        v.resize(x.rows);
        g.resize(x.rows * 2);
        for (std::size_t r = 0; r < x.rows; ++r) {
            double a = x.data[r * 2], b = x.data[r * 2 + 1], s = 1 / (1 + std::exp(-8 * a * b));
            v[r] = float(s);
            g[r * 2] = float(s * (1 - s) * 8 * b);
            g[r * 2 + 1] = float(s * (1 - s) * 8 * a);
        }
        return {};
    };
    ml::Matrix x{{1, 1}, 1, 2};
    auto few = explain::integrated_gradients(x, {0, 0}, {0}, curved, {"a", "b"}, {0, 1}, explain::Rule::riemann_trapezoid, 2, 0.01);
    REQUIRE(few);
    CHECK(few->failed == 1);
    CHECK(few->worst_gap > 0.01);
    auto many = explain::integrated_gradients(x, {0, 0}, {0}, curved, {"a", "b"}, {0, 1}, explain::Rule::gausslegendre, 50, 0.01);
    CHECK(many->failed == 0);
    CHECK(std::fabs(many->rows[0].gap) < 1e-4);
}

TEST_CASE("explain: reports carry the numbers", "[explain]") {
    explain::Report rep;
    rep.model = "bc";
    rep.data = "test.csv";
    rep.task = "classification";
    rep.rows = 2;
    explain::PermutationResult p;
    p.features = {{"a<b>", 0.25, 0.05, {0.2, 0.3}}};
    p.repeats = 2;
    rep.permutation = p;
    auto j = explain::to_json(rep);
    CHECK(j["permutation"]["features"][0]["mean"] == 0.25);
    CHECK(j["integrated_gradients"].is_null());
    auto html = explain::to_html(rep);
    CHECK(html.find("a&lt;b&gt;") != std::string::npos);
    CHECK(html.find("<svg") != std::string::npos);
    CHECK(explain::to_markdown(rep).find("| 1 | a<b> | 0.25 | 0.05 |") != std::string::npos);
}
