#include <mlops/drift/performance.hpp>

#include <cmath>
#include <set>

#include <fmt/format.h>

namespace mlops::drift {

void PerformanceTracker::add(const ml::Frame& chunk, const std::string& prediction, const std::string& target) {
    const ml::Column* p = chunk.find(prediction);
    const ml::Column* t = chunk.find(target);
    if (!p || !t) return;
    bool numeric = !p->is_text && !t->is_text;
    if (!numeric) m_numeric = false;
    for (std::size_t r = 0; r < chunk.rows; ++r) {
        if (p->missing(r) || t->missing(r)) continue;
        ++m_rows;
        if (numeric) {
            double d = p->numbers[r] - t->numbers[r];
            if (d == 0) ++m_equal;
            m_sq += d * d;
            m_abs += std::fabs(d);
        } else {
            auto text = [](const ml::Column* c, std::size_t r) {
                return c->is_text ? c->texts[r] : fmt::format("{}", c->numbers[r]);
            };
            if (text(p, r) == text(t, r)) ++m_equal;
        }
    }
}

double PerformanceTracker::rmse() const { return m_rows ? std::sqrt(m_sq / double(m_rows)) : 0.0; }
double PerformanceTracker::mae() const { return m_rows ? m_abs / double(m_rows) : 0.0; }

bool looks_like_classes(const ColumnProfile& target) {
    if (target.type != ColumnType::numeric) return true;
    std::set<double> seen;
    for (double v : target.values) {
        if (std::isnan(v)) continue;
        if (v != std::floor(v)) return false;
        seen.insert(v);
        if (seen.size() > 20) return false;
    }
    return true;
}

PerformanceResult compare_performance(const std::string& task, const std::string& source, double reference,
                                      double current, double threshold) {
    PerformanceResult r;
    r.task = task;
    r.source = source;
    r.reference = reference;
    r.current = current;
    r.change = current - reference;
    if (task == "classification") {
        r.metric = "accuracy";
        r.higher_is_better = true;
        r.threshold = threshold >= 0 ? threshold : k_accuracy_drop;
        r.drifted = reference - current > r.threshold;
    } else {
        r.metric = "rmse";
        r.higher_is_better = false;
        double rel = threshold >= 0 ? threshold : k_rmse_increase;
        r.threshold = rel * reference; // in the metric's units
        r.drifted = current - reference > r.threshold;
    }
    return r;
}

PerformanceResult compare_columns(const PerformanceTracker& ref, const PerformanceTracker& cur, bool classification,
                                  const std::string& source, double threshold) {
    bool cls = classification || !ref.numeric() || !cur.numeric();
    auto r = cls ? compare_performance("classification", source, ref.accuracy(), cur.accuracy(), threshold)
                 : compare_performance("regression", source, ref.rmse(), cur.rmse(), threshold);
    r.reference_rows = ref.rows();
    r.current_rows = cur.rows();
    if (cls) {
        r.reference_metrics = {{"accuracy", ref.accuracy()}, {"n", ref.rows()}};
        r.current_metrics = {{"accuracy", cur.accuracy()}, {"n", cur.rows()}};
    } else {
        r.reference_metrics = {{"rmse", ref.rmse()}, {"mae", ref.mae()}, {"n", ref.rows()}};
        r.current_metrics = {{"rmse", cur.rmse()}, {"mae", cur.mae()}, {"n", cur.rows()}};
    }
    return r;
}

} // namespace mlops::drift
