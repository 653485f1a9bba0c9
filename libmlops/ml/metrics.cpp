#include <mlops/ml/metrics.hpp>

#include <algorithm>
#include <cmath>
#include <numeric>

#include <mlops/util/strings.hpp>

namespace mlops::ml {

std::optional<double> roc_auc(const std::vector<int>& positive, const std::vector<double>& score) {
    const std::size_t n = score.size();
    std::vector<std::size_t> order(n);
    std::iota(order.begin(), order.end(), 0);
    std::sort(order.begin(), order.end(), [&](std::size_t a, std::size_t b) { return score[a] < score[b]; });
    // Mann-Whitney U with average ranks for ties.
    double rank_sum = 0;
    std::size_t npos = 0;
    for (std::size_t i = 0; i < n;) {
        std::size_t j = i;
        while (j < n && score[order[j]] == score[order[i]]) ++j;
        double avg_rank = (double(i + 1) + double(j)) / 2.0;
        for (std::size_t k = i; k < j; ++k)
            if (positive[order[k]]) {
                rank_sum += avg_rank;
                ++npos;
            }
        i = j;
    }
    std::size_t nneg = n - npos;
    if (npos == 0 || nneg == 0) return std::nullopt;
    double u = rank_sum - double(npos) * double(npos + 1) / 2.0;
    return u / (double(npos) * double(nneg));
}

ClassificationMetrics classification_metrics(const std::vector<int>& truth, const std::vector<float>& probs,
                                             const std::vector<std::string>& classes) {
    ClassificationMetrics m;
    const std::size_t k = classes.size(), n = truth.size();
    m.n = n;
    m.confusion.assign(k, std::vector<std::size_t>(k, 0));
    std::size_t correct = 0;
    double loss = 0;
    for (std::size_t i = 0; i < n; ++i) {
        const float* p = &probs[i * k];
        std::size_t pred = std::size_t(std::max_element(p, p + k) - p);
        ++m.confusion[std::size_t(truth[i])][pred];
        if (pred == std::size_t(truth[i])) ++correct;
        // As scikit-learn: probabilities renormalized and clipped to [1e-15, 1 - 1e-15].
        double sum = 0;
        for (std::size_t c = 0; c < k; ++c) sum += p[c];
        double pt = sum > 0 ? double(p[truth[i]]) / sum : 0.0;
        pt = std::clamp(pt, 1e-15, 1 - 1e-15);
        loss -= std::log(pt);
    }
    m.accuracy = n ? double(correct) / double(n) : 0.0;
    m.log_loss = n ? loss / double(n) : 0.0;
    for (std::size_t c = 0; c < k; ++c) {
        ClassMetrics cm;
        cm.label = classes[c];
        std::size_t tp = m.confusion[c][c], predicted = 0, actual = 0;
        for (std::size_t r = 0; r < k; ++r) {
            predicted += m.confusion[r][c];
            actual += m.confusion[c][r];
        }
        cm.support = actual;
        // 0 when undefined, as scikit-learn's zero_division default (with a warning there).
        cm.precision = predicted ? double(tp) / double(predicted) : 0.0;
        cm.recall = actual ? double(tp) / double(actual) : 0.0;
        cm.f1 = cm.precision + cm.recall > 0 ? 2 * cm.precision * cm.recall / (cm.precision + cm.recall) : 0.0;
        m.precision_macro += cm.precision / double(k);
        m.recall_macro += cm.recall / double(k);
        m.f1_macro += cm.f1 / double(k);
        m.per_class.push_back(cm);
    }
    // ROC AUC: binary on the second class's probability; otherwise one-vs-rest, macro-averaged.
    std::vector<int> pos(n);
    std::vector<double> score(n);
    if (k == 2) {
        for (std::size_t i = 0; i < n; ++i) {
            pos[i] = truth[i] == 1;
            score[i] = probs[i * 2 + 1];
        }
        m.roc_auc = roc_auc(pos, score);
    } else {
        double sum = 0;
        bool ok = true;
        for (std::size_t c = 0; c < k && ok; ++c) {
            for (std::size_t i = 0; i < n; ++i) {
                pos[i] = std::size_t(truth[i]) == c;
                score[i] = probs[i * k + c];
            }
            auto a = roc_auc(pos, score);
            if (!a) ok = false;
            else sum += *a;
        }
        if (ok && k > 0) m.roc_auc = sum / double(k);
    }
    return m;
}

RegressionMetrics regression_metrics(const std::vector<double>& truth, const std::vector<double>& pred) {
    RegressionMetrics m;
    const std::size_t n = truth.size();
    m.n = n;
    if (n == 0) return m;
    double se = 0, ae = 0, mean = 0;
    for (double t : truth) mean += t;
    mean /= double(n);
    double ss_tot = 0;
    for (std::size_t i = 0; i < n; ++i) {
        double e = pred[i] - truth[i];
        se += e * e;
        ae += std::abs(e);
        ss_tot += (truth[i] - mean) * (truth[i] - mean);
    }
    m.rmse = std::sqrt(se / double(n));
    m.mae = ae / double(n);
    m.r2 = ss_tot > 0 ? 1.0 - se / ss_tot : 0.0;
    return m;
}

nlohmann::json to_json(const ClassificationMetrics& m) {
    nlohmann::json per = nlohmann::json::object();
    std::vector<std::string> labels;
    for (const auto& c : m.per_class) {
        per[c.label] = {{"precision", c.precision}, {"recall", c.recall}, {"f1", c.f1}, {"support", c.support}};
        labels.push_back(c.label);
    }
    return {{"n", m.n},
            {"accuracy", m.accuracy},
            {"precision_macro", m.precision_macro},
            {"recall_macro", m.recall_macro},
            {"f1_macro", m.f1_macro},
            {"roc_auc", m.roc_auc ? nlohmann::json(*m.roc_auc) : nlohmann::json(nullptr)},
            {"log_loss", m.log_loss},
            {"per_class", per},
            {"confusion_matrix", {{"labels", labels}, {"matrix", m.confusion}}}};
}

nlohmann::json to_json(const RegressionMetrics& m) {
    return {{"n", m.n}, {"rmse", m.rmse}, {"mae", m.mae}, {"r2", m.r2}};
}

util::Result<Threshold> parse_threshold(const std::string& text, bool is_min) {
    auto eq = text.find('=');
    Threshold t;
    t.is_min = is_min;
    if (eq == std::string::npos || eq == 0)
        return util::fail(util::Error::usage(fmt::format("{} '{}': expected METRIC=VALUE (e.g. accuracy=0.95)",
                                                         is_min ? "--min" : "--max", text)));
    t.metric = text.substr(0, eq);
    try {
        std::size_t used = 0;
        t.value = std::stod(text.substr(eq + 1), &used);
        if (used == text.size() - eq - 1) return t;
    } catch (...) {
    }
    return util::fail(util::Error::usage(fmt::format("{} '{}': '{}' is not a number", is_min ? "--min" : "--max",
                                                     text, text.substr(eq + 1))));
}

util::Result<std::vector<std::string>> check_thresholds(const nlohmann::json& metrics,
                                                        const std::vector<Threshold>& thresholds) {
    std::vector<std::string> misses;
    std::vector<std::string> names;
    for (const auto& [k, v] : metrics.items())
        if (v.is_number() && k != "n") names.push_back(k);
    for (const auto& t : thresholds) {
        if (!metrics.contains(t.metric) || !(metrics[t.metric].is_number() || metrics[t.metric].is_null()) ||
            t.metric == "n") {
            auto near = util::closest_match(t.metric, names);
            return util::fail(util::Error::usage(fmt::format(
                "{} {}: no such metric ({}{})", t.is_min ? "--min" : "--max", t.metric, fmt::join(names, ", "),
                near.empty() ? "" : fmt::format("; did you mean '{}'?", near))));
        }
        if (metrics[t.metric].is_null()) {
            misses.push_back(fmt::format("{} is undefined on this data", t.metric));
            continue;
        }
        double v = metrics[t.metric].get<double>();
        if (t.is_min && v < t.value) misses.push_back(fmt::format("{} {:.6g} < {:.6g}", t.metric, v, t.value));
        if (!t.is_min && v > t.value) misses.push_back(fmt::format("{} {:.6g} > {:.6g}", t.metric, v, t.value));
    }
    return misses;
}

} // namespace mlops::ml
