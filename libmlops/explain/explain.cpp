#include <mlops/explain/explain.hpp>

#include <algorithm>
#include <cmath>
#include <numeric>
#include <random>

#include <fmt/format.h>

namespace mlops::explain {

util::Result<Scoring> parse_scoring(const std::string& name) {
    if (name == "accuracy") return Scoring::accuracy;
    if (name == "log_loss") return Scoring::log_loss;
    if (name == "r2") return Scoring::r2;
    if (name == "rmse") return Scoring::rmse;
    return util::fail(util::Error::usage(fmt::format("--metric '{}': one of accuracy, log_loss (classification), r2, rmse (regression)", name)));
}

const char* to_string(Scoring s) {
    switch (s) {
    case Scoring::accuracy: return "accuracy";
    case Scoring::log_loss: return "log_loss";
    case Scoring::r2: return "r2";
    case Scoring::rmse: return "rmse";
    }
    return "?";
}

double score(Scoring s, const std::vector<float>& out, std::size_t k, const std::vector<double>& truth) {
    const std::size_t n = truth.size();
    if (n == 0) return std::nan("");
    switch (s) {
    case Scoring::accuracy: {
        std::size_t right = 0;
        for (std::size_t i = 0; i < n; ++i) {
            const float* p = out.data() + i * k;
            right += std::size_t(std::max_element(p, p + k) - p) == std::size_t(truth[i]);
        }
        return double(right) / double(n);
    }
    case Scoring::log_loss: {
        double sum = 0;
        for (std::size_t i = 0; i < n; ++i) {
            const float* p = out.data() + i * k;
            double total = 0;
            for (std::size_t c = 0; c < k; ++c) total += p[c];
            double q = total > 0 ? p[std::size_t(truth[i])] / total : 0.0;
            sum += -std::log(std::clamp(q, 1e-15, 1 - 1e-15));
        }
        return -sum / double(n);
    }
    case Scoring::r2: {
        double mean = std::accumulate(truth.begin(), truth.end(), 0.0) / double(n), res = 0, tot = 0;
        for (std::size_t i = 0; i < n; ++i) {
            res += (truth[i] - out[i * k]) * (truth[i] - out[i * k]);
            tot += (truth[i] - mean) * (truth[i] - mean);
        }
        return tot > 0 ? 1 - res / tot : (res == 0 ? 1.0 : 0.0);
    }
    case Scoring::rmse: {
        double res = 0;
        for (std::size_t i = 0; i < n; ++i) res += (truth[i] - out[i * k]) * (truth[i] - out[i * k]);
        return -std::sqrt(res / double(n));
    }
    }
    return std::nan("");
}

util::Result<PermutationResult> permutation_importance(const ml::Frame& data, const std::vector<std::string>& features,
                                                       const Predict& predict, std::size_t n_outputs,
                                                       const std::vector<double>& truth, Scoring scoring,
                                                       std::size_t repeats, std::uint64_t seed, unsigned) {
    PermutationResult res;
    res.scoring = scoring;
    res.repeats = repeats;
    res.seed = seed;
    auto base = MLOPS_TRY(predict(data));
    res.baseline = score(scoring, base, n_outputs, truth);
    ml::Frame work = data; // one column at a time is shuffled, then put back
    for (std::size_t f = 0; f < features.size(); ++f) {
        auto it = std::find_if(work.columns.begin(), work.columns.end(), [&](const ml::Column& c) { return c.name == features[f]; });
        if (it == work.columns.end()) return util::fail(util::Error::usage(fmt::format("{}: no column '{}'", data.path, features[f])));
        const ml::Column original = *it;
        Importance imp;
        imp.feature = features[f];
        for (std::size_t r = 0; r < repeats; ++r) {
            // One generator per (feature, repeat): a run repeats exactly, whatever ran before.
            std::mt19937_64 rng(seed * 0x9E3779B97F4A7C15ull + f * 1000003ull + r);
            std::vector<std::size_t> order(data.rows);
            std::iota(order.begin(), order.end(), std::size_t(0));
            std::shuffle(order.begin(), order.end(), rng);
            for (std::size_t i = 0; i < data.rows; ++i) {
                if (original.is_text) it->texts[i] = original.texts[order[i]];
                else it->numbers[i] = original.numbers[order[i]];
            }
            auto out = MLOPS_TRY(predict(work));
            imp.repeats.push_back(res.baseline - score(scoring, out, n_outputs, truth));
        }
        *it = original;
        double mean = std::accumulate(imp.repeats.begin(), imp.repeats.end(), 0.0) / double(repeats), ss = 0;
        for (double v : imp.repeats) ss += (v - mean) * (v - mean);
        imp.mean = mean;
        imp.std = std::sqrt(ss / double(repeats));
        res.features.push_back(std::move(imp));
    }
    std::stable_sort(res.features.begin(), res.features.end(), [](const Importance& a, const Importance& b) {
        return a.mean != b.mean ? a.mean > b.mean : a.feature < b.feature;
    });
    return res;
}

util::Result<Rule> parse_rule(const std::string& name) {
    if (name == "gausslegendre") return Rule::gausslegendre;
    if (name == "riemann_trapezoid") return Rule::riemann_trapezoid;
    return util::fail(util::Error::usage(fmt::format("--integration '{}': gausslegendre or riemann_trapezoid", name)));
}

const char* to_string(Rule r) { return r == Rule::gausslegendre ? "gausslegendre" : "riemann_trapezoid"; }

Quadrature quadrature(Rule r, std::size_t n) {
    Quadrature q;
    if (r == Rule::riemann_trapezoid) {
        // Captum's: n evenly spaced points including both ends, half weight at the ends.
        if (n < 2) return {{1.0}, {1.0}};
        for (std::size_t i = 0; i < n; ++i) {
            q.alphas.push_back(double(i) / double(n - 1));
            q.weights.push_back((i == 0 || i == n - 1 ? 0.5 : 1.0) / double(n - 1));
        }
        return q;
    }
    // Gauss-Legendre nodes on [-1, 1] by Newton's method on P_n, mapped to [0, 1].
    for (std::size_t i = 1; i <= n; ++i) {
        double x = std::cos(M_PI * (double(i) - 0.25) / (double(n) + 0.5)), dp = 0;
        for (int it = 0; it < 100; ++it) {
            double p0 = 1, p1 = x;
            for (std::size_t k = 2; k <= n; ++k) {
                double p2 = ((2.0 * double(k) - 1) * x * p1 - (double(k) - 1) * p0) / double(k);
                p0 = p1;
                p1 = p2;
            }
            if (n == 1) p0 = 1, p1 = x;
            dp = double(n) * (x * p1 - p0) / (x * x - 1);
            double dx = p1 / dp;
            x -= dx;
            if (std::fabs(dx) < 1e-15) break;
        }
        q.alphas.push_back(0.5 * (x + 1));
        q.weights.push_back(0.5 * 2 / ((1 - x * x) * dp * dp));
    }
    // Ascending alphas (the nodes come out descending).
    std::reverse(q.alphas.begin(), q.alphas.end());
    std::reverse(q.weights.begin(), q.weights.end());
    return q;
}

std::vector<std::size_t> input_features(const ml::Preprocessor& pre) {
    std::vector<std::size_t> out;
    for (std::size_t f = 0; f < pre.features.size(); ++f) {
        std::size_t width = pre.features[f].categorical ? pre.features[f].categories.size() : 1;
        out.insert(out.end(), width, f);
    }
    return out;
}

util::Result<GradientResult> integrated_gradients(const ml::Matrix& x, const std::vector<float>& baseline,
                                                  const std::vector<std::int64_t>& target, const Gradient& gradient,
                                                  const std::vector<std::string>& features,
                                                  const std::vector<std::size_t>& feature_of, Rule rule, std::size_t steps,
                                                  double tolerance, std::size_t batch_rows) {
    GradientResult res;
    res.rule = rule;
    res.steps = steps;
    res.features = features;
    res.tolerance = tolerance;
    const std::size_t w = x.cols;
    if (baseline.size() != w || feature_of.size() != w || target.size() != x.rows)
        return util::fail(util::Error::internal("integrated_gradients: shapes do not match"));
    auto q = quadrature(rule, steps);
    res.mean_abs.assign(features.size(), 0.0);
    std::vector<float> values, grads;
    for (std::size_t first = 0; first < x.rows; first += batch_rows) {
        const std::size_t n = std::min(batch_rows, x.rows - first);
        std::vector<std::int64_t> t(target.begin() + long(first), target.begin() + long(first + n));
        ml::Matrix xs;
        xs.rows = n;
        xs.cols = w;
        xs.data.assign(x.data.begin() + long(first * w), x.data.begin() + long((first + n) * w));
        // f(x) and f(baseline).
        MLOPS_TRYV(gradient(xs, t, values, grads));
        std::vector<double> fx(values.begin(), values.end());
        ml::Matrix bs{std::vector<float>(n * w), n, w};
        for (std::size_t r = 0; r < n; ++r) std::copy(baseline.begin(), baseline.end(), bs.data.begin() + long(r * w));
        MLOPS_TRYV(gradient(bs, t, values, grads));
        std::vector<double> fb(values.begin(), values.end());
        // One batch per step: the whole path point for every row at once.
        std::vector<double> acc(n * w, 0.0);
        ml::Matrix step{std::vector<float>(n * w), n, w};
        for (std::size_t k = 0; k < q.alphas.size(); ++k) {
            const double a = q.alphas[k];
            for (std::size_t r = 0; r < n; ++r)
                for (std::size_t c = 0; c < w; ++c)
                    step.data[r * w + c] = float(baseline[c] + a * (double(xs.data[r * w + c]) - baseline[c]));
            MLOPS_TRYV(gradient(step, t, values, grads));
            for (std::size_t i = 0; i < n * w; ++i) acc[i] += q.weights[k] * double(grads[i]);
        }
        for (std::size_t r = 0; r < n; ++r) {
            RowAttribution ra;
            ra.row = first + r;
            ra.target = t[r];
            ra.value = fx[r];
            ra.baseline_value = fb[r];
            ra.attributions.assign(features.size(), 0.0);
            for (std::size_t c = 0; c < w; ++c)
                ra.attributions[feature_of[c]] += (double(xs.data[r * w + c]) - baseline[c]) * acc[r * w + c];
            double sum = std::accumulate(ra.attributions.begin(), ra.attributions.end(), 0.0);
            ra.gap = sum - (ra.value - ra.baseline_value);
            // Relative to the size of the outputs: a probability's gap is then absolute, and a
            // regression's relative to the values it explains.
            double scale = std::max({std::fabs(ra.value - ra.baseline_value), std::fabs(ra.value), std::fabs(ra.baseline_value), 1e-6});
            double rel = std::fabs(ra.gap) / scale;
            if (rel > tolerance) ++res.failed;
            if (res.rows.empty() || rel > res.worst_gap) {
                res.worst_gap = rel;
                res.worst_row = ra.row;
            }
            for (std::size_t f = 0; f < features.size(); ++f) res.mean_abs[f] += std::fabs(ra.attributions[f]);
            res.rows.push_back(std::move(ra));
        }
    }
    for (auto& v : res.mean_abs) v /= double(std::max<std::size_t>(x.rows, 1));
    return res;
}

} // namespace mlops::explain
