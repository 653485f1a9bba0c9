#include <mlops/monitor/window.hpp>

#include <algorithm>
#include <charconv>
#include <cmath>
#include <set>

#include <fmt/format.h>

namespace mlops::monitor {

const std::vector<std::string>& figure_names() {
    static const std::vector<std::string> names = {
        "requests", "rows", "errors", "error_rate", "server_errors", "server_error_rate", "invalid_inputs",
        "latency_mean_ms", "latency_p50_ms", "latency_p90_ms", "latency_p95_ms", "latency_p99_ms", "latency_max_ms",
        "prediction_mean", "prediction_std", "prediction_min", "prediction_max", "prediction_drift", "prediction_drift_score",
        "drift_share", "drifted_columns", "dataset_drift", "labelled_rows", "accuracy", "mae", "rmse",
    };
    return names;
}

bool is_figure_name(std::string_view name) {
    if (name.starts_with("prediction_share.") && name.size() > 17) return true;
    const auto& n = figure_names();
    return std::find(n.begin(), n.end(), name) != n.end();
}

double percentile(const std::vector<double>& s, double q) {
    if (s.empty()) return std::nan("");
    double pos = q / 100.0 * double(s.size() - 1);
    auto lo = std::size_t(std::floor(pos));
    auto hi = std::min(lo + 1, s.size() - 1);
    double frac = pos - double(lo);
    return s[lo] + (s[hi] - s[lo]) * frac;
}

namespace {

// A JSON value as a number: numbers, booleans (1/0) and numeric strings.
std::optional<double> as_number(const nlohmann::json& v) {
    if (v.is_number()) return v.get<double>();
    if (v.is_boolean()) return v.get<bool>() ? 1.0 : 0.0;
    if (v.is_string()) {
        const auto& s = v.get_ref<const std::string&>();
        double d;
        auto [end, ec] = std::from_chars(s.data(), s.data() + s.size(), d);
        if (ec == std::errc() && end == s.data() + s.size() && !s.empty()) return d;
    }
    return std::nullopt;
}

// A JSON value as a category: strings as they are, other scalars as JSON text ("1", "true").
std::string as_text(const nlohmann::json& v) {
    if (v.is_string()) return v.get<std::string>();
    if (v.is_number_float()) {
        double d = v.get<double>();
        if (d == std::floor(d) && std::fabs(d) < 1e15) return fmt::format("{}", std::int64_t(d));
    }
    return v.dump();
}

bool equal_values(const nlohmann::json& a, const nlohmann::json& b) {
    auto x = as_number(a), y = as_number(b);
    if (x && y) return *x == *y;
    return as_text(a) == as_text(b);
}

} // namespace

struct WindowSet::Acc {
    std::size_t requests = 0, errors = 0, server_errors = 0, rows = 0, invalid = 0;
    std::vector<double> latencies;
    std::vector<double> out_numbers;
    std::map<std::string, std::size_t> out_counts;
    std::size_t out_total = 0, out_text = 0;
    std::size_t labelled = 0, correct = 0, numeric_labelled = 0;
    double abs_err = 0, sq_err = 0;
    drift::DatasetProfile inputs;
};

WindowSet::WindowSet(WindowOptions opts) : m_opts(std::move(opts)) {}
WindowSet::~WindowSet() = default;

void WindowSet::add(const LogRecord& r) {
    ++m_records;
    auto idx = std::int64_t(std::floor(r.time / m_opts.window_s));
    auto& slot = m_windows[idx];
    if (!slot) {
        slot = std::make_unique<Acc>();
        if (m_opts.reference)
            for (const auto& c : m_opts.reference->columns) {
                drift::ColumnProfile p;
                p.name = c.name;
                p.type = c.type;
                slot->inputs.columns.push_back(std::move(p));
            }
    }
    auto& a = *slot;
    ++a.requests;
    if (r.status >= 400) ++a.errors;
    if (r.status >= 500) ++a.server_errors;
    if (r.latency_ms) a.latencies.push_back(*r.latency_ms);
    if (r.status >= 400) return; // a rejected request has no prediction to judge
    a.rows += std::max(r.inputs.size(), r.outputs.size());
    if (m_opts.reference) {
        for (const auto& row : r.inputs) {
            ++a.inputs.rows;
            bool bad = false;
            for (auto& col : a.inputs.columns) {
                auto it = row.find(col.name);
                if (it == row.end() || it->is_null()) {
                    col.type == drift::ColumnType::numeric ? col.add_number(std::nan("")) : col.add_text("");
                } else if (col.type == drift::ColumnType::numeric) {
                    auto v = as_number(*it);
                    if (!v) bad = true;
                    col.add_number(v ? *v : std::nan(""));
                } else {
                    col.add_text(as_text(*it));
                }
            }
            a.invalid += bad;
            for (const auto& item : row.items())
                if (item.key() != m_opts.target && !m_opts.reference->find(item.key())) ++m_unknown[item.key()];
        }
    }
    for (std::size_t i = 0; i < r.outputs.size(); ++i) {
        const auto& o = r.outputs[i];
        if (o.is_null()) continue;
        ++a.out_total;
        if (o.is_number()) a.out_numbers.push_back(o.get<double>());
        else ++a.out_text;
        ++a.out_counts[as_text(o)];
        const nlohmann::json* label = i < r.labels.size() ? &r.labels[i] : nullptr;
        if (!label && !m_opts.target.empty() && i < r.inputs.size())
            if (auto it = r.inputs[i].find(m_opts.target); it != r.inputs[i].end()) label = &*it;
        if (label && !label->is_null()) {
            const auto& l = *label;
            ++a.labelled;
            a.correct += equal_values(o, l);
            auto x = as_number(o), y = as_number(l);
            if (x && y) {
                ++a.numeric_labelled;
                a.abs_err += std::fabs(*x - *y);
                a.sq_err += (*x - *y) * (*x - *y);
            }
        }
    }
}

std::vector<std::string> WindowSet::unknown_columns() const {
    std::vector<std::string> out;
    for (const auto& [k, n] : m_unknown) out.push_back(k);
    return out;
}

util::Result<std::vector<Window>> WindowSet::finish(double now) {
    std::vector<Window> out;
    for (auto& [idx, acc] : m_windows) {
        auto& a = *acc;
        Window w;
        w.start = double(idx) * m_opts.window_s;
        w.end = w.start + m_opts.window_s;
        w.open = w.end > now;
        auto& f = w.figures;
        f["requests"] = double(a.requests);
        f["rows"] = double(a.rows);
        f["errors"] = double(a.errors);
        f["server_errors"] = double(a.server_errors);
        f["error_rate"] = double(a.errors) / double(a.requests);
        f["server_error_rate"] = double(a.server_errors) / double(a.requests);
        if (m_opts.reference) f["invalid_inputs"] = double(a.invalid);
        if (!a.latencies.empty()) {
            std::sort(a.latencies.begin(), a.latencies.end());
            double sum = 0;
            for (double v : a.latencies) sum += v;
            f["latency_mean_ms"] = sum / double(a.latencies.size());
            f["latency_p50_ms"] = percentile(a.latencies, 50);
            f["latency_p90_ms"] = percentile(a.latencies, 90);
            f["latency_p95_ms"] = percentile(a.latencies, 95);
            f["latency_p99_ms"] = percentile(a.latencies, 99);
            f["latency_max_ms"] = a.latencies.back();
        }
        bool numeric_out = a.out_total > 0 && a.out_text == 0;
        if (numeric_out) {
            double sum = 0, mn = a.out_numbers.front(), mx = mn;
            for (double v : a.out_numbers) sum += v, mn = std::min(mn, v), mx = std::max(mx, v);
            double mean = sum / double(a.out_numbers.size()), ss = 0;
            for (double v : a.out_numbers) ss += (v - mean) * (v - mean);
            f["prediction_mean"] = mean;
            f["prediction_std"] = a.out_numbers.size() > 1 ? std::sqrt(ss / double(a.out_numbers.size() - 1)) : 0.0;
            f["prediction_min"] = mn;
            f["prediction_max"] = mx;
        }
        // Shares per class for categorical outputs (and for numeric ones with few distinct values).
        if (a.out_total > 0 && (!numeric_out || a.out_counts.size() <= 20)) {
            nlohmann::json counts = nlohmann::json::object();
            for (const auto& [k, n] : a.out_counts) {
                counts[k] = n;
                f["prediction_share." + k] = double(n) / double(a.out_total);
            }
            w.detail["prediction_counts"] = counts;
        }
        if (a.labelled > 0) {
            f["labelled_rows"] = double(a.labelled);
            f["accuracy"] = double(a.correct) / double(a.labelled);
            if (a.numeric_labelled == a.labelled) {
                f["mae"] = a.abs_err / double(a.labelled);
                f["rmse"] = std::sqrt(a.sq_err / double(a.labelled));
            }
        }
        // Prediction drift: the window's outputs against the reference's prediction column.
        if (m_opts.reference_predictions && a.out_total > 0) {
            if (a.out_total < m_opts.min_drift_rows) {
                w.detail["notes"].push_back(fmt::format("{} predictions: fewer than {}, no prediction drift", a.out_total, m_opts.min_drift_rows));
            } else {
                const auto& ref = *m_opts.reference_predictions;
                drift::ColumnProfile cur;
                cur.name = ref.name;
                cur.type = ref.type;
                if (ref.type == drift::ColumnType::numeric) {
                    for (const auto& [k, n] : a.out_counts) {
                        auto v = as_number(nlohmann::json(k));
                        for (std::size_t i = 0; i < n; ++i) cur.add_number(v ? *v : std::nan(""));
                    }
                } else {
                    for (const auto& [k, n] : a.out_counts) {
                        cur.rows += n;
                        cur.counts[k] += n;
                    }
                }
                auto res = drift::compare_column(ref, cur, m_opts.drift);
                if (!res) return util::fail(res.error());
                if (res->method != "none") {
                    f["prediction_drift"] = res->drifted ? 1.0 : 0.0;
                    f["prediction_drift_score"] = res->score;
                    w.detail["prediction_drift"] = {{"method", res->method}, {"score", res->score}, {"threshold", res->threshold},
                                                    {"drifted", res->drifted}};
                }
            }
        }
        // Input drift against the reference.
        if (m_opts.reference && a.inputs.rows > 0) {
            if (a.inputs.rows < m_opts.min_drift_rows) {
                w.detail["notes"].push_back(fmt::format("{} input rows: fewer than {}, no input drift", a.inputs.rows, m_opts.min_drift_rows));
            } else {
                auto o = m_opts.drift;
                o.multivariate = false;
                o.target.clear();
                o.prediction.clear();
                a.inputs.label = fmt::format("window {}", format_time(w.start));
                auto rep = drift::analyze(*m_opts.reference, a.inputs, o);
                if (!rep) return util::fail(rep.error());
                f["drift_share"] = rep->drift_share;
                f["drifted_columns"] = double(rep->drifted_columns);
                f["dataset_drift"] = rep->dataset_drift ? 1.0 : 0.0;
                nlohmann::json cols = nlohmann::json::array();
                for (const auto& c : rep->columns)
                    cols.push_back({{"column", c.name}, {"method", c.method}, {"score", std::isnan(c.score) ? nlohmann::json() : nlohmann::json(c.score)},
                                    {"threshold", c.threshold}, {"drifted", c.drifted}});
                w.detail["drift"] = cols;
            }
        }
        // The profile is no longer needed: free it before the next window's analysis.
        a.inputs = {};
        out.push_back(std::move(w));
    }
    return out;
}

} // namespace mlops::monitor
