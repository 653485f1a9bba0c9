#include <mlops/drift/report.hpp>

#include <algorithm>
#include <cmath>

#include <fmt/format.h>

namespace mlops::drift {

const char* to_string(Role r) {
    switch (r) {
    case Role::feature: return "feature";
    case Role::target: return "target";
    case Role::prediction: return "prediction";
    }
    return "?";
}

const ColumnResult* Report::column(std::string_view name) const {
    for (const auto& c : columns)
        if (c.name == name) return &c;
    return nullptr;
}

void finish(Report& r) {
    std::stable_sort(r.columns.begin(), r.columns.end(), [](const ColumnResult& a, const ColumnResult& b) {
        if (a.drifted != b.drifted) return a.drifted;
        if (a.severity != b.severity) return a.severity > b.severity;
        return a.name < b.name;
    });
    r.drifted_columns = std::size_t(std::count_if(r.columns.begin(), r.columns.end(), [](const auto& c) { return c.drifted; }));
    r.drift_share = r.columns.empty() ? 0.0 : double(r.drifted_columns) / double(r.columns.size());
    r.dataset_drift = !r.columns.empty() && r.drift_share >= r.drift_share_threshold;
    bool prediction = false;
    if (r.prediction_column)
        if (const auto* c = r.column(*r.prediction_column)) prediction = c->drifted;
    r.drift_detected = r.dataset_drift || r.multivariate.drifted || prediction || (r.performance && r.performance->drifted);
}

std::string format_number(double v) {
    if (std::isnan(v)) return "-";
    if (std::isinf(v)) return v > 0 ? "inf" : "-inf";
    if (v == 0) return "0";
    double a = std::fabs(v);
    if (a < 1e-4 || a >= 1e6) return fmt::format("{:.3e}", v);
    return fmt::format("{:.4g}", v);
}

namespace {

nlohmann::json number(double v) {
    if (!std::isfinite(v)) return nullptr;
    return v;
}

nlohmann::json histogram_json(const Histogram& h) {
    nlohmann::json j;
    j["kind"] = h.bins ? "bins" : "values";
    if (h.bins) {
        nlohmann::json e = nlohmann::json::array();
        for (double x : h.edges) e.push_back(number(x));
        j["edges"] = e;
    }
    j["labels"] = h.labels;
    auto counts = [](const std::vector<double>& v) {
        nlohmann::json a = nlohmann::json::array();
        for (double x : v) a.push_back(std::uint64_t(x));
        return a;
    };
    j["reference"] = counts(h.reference);
    j["current"] = counts(h.current);
    return j;
}

nlohmann::json chunk_json(const std::vector<Chunk>& chunks) {
    nlohmann::json a = nlohmann::json::array();
    for (const auto& c : chunks)
        a.push_back({{"first_row", c.first_row}, {"rows", c.rows}, {"error", number(c.error)}, {"alert", c.alert}});
    return a;
}

std::string verdict(bool drifted) { return drifted ? "drift" : "ok"; }

} // namespace

nlohmann::json to_json(const Report& r) {
    nlohmann::json j;
    j["reference"] = {{"source", r.reference}, {"rows", r.reference_rows}};
    j["current"] = {{"source", r.current}, {"rows", r.current_rows}};
    j["drift_detected"] = r.drift_detected;
    j["dataset_drift"] = {{"drifted", r.dataset_drift},
                          {"drifted_columns", r.drifted_columns},
                          {"columns", r.columns.size()},
                          {"share", r.drift_share},
                          {"threshold", r.drift_share_threshold}};
    nlohmann::json cols = nlohmann::json::array();
    for (const auto& c : r.columns) {
        nlohmann::json cj;
        cj["name"] = c.name;
        cj["type"] = c.type;
        cj["role"] = to_string(c.role);
        cj["test"] = c.method;
        cj["kind"] = c.method == "none" ? nlohmann::json(nullptr) : nlohmann::json(c.p_value_test ? "p_value" : "distance");
        cj["score"] = number(c.score);
        cj["statistic"] = number(c.statistic);
        cj["threshold"] = c.method == "none" ? nlohmann::json(nullptr) : number(c.threshold);
        cj["drifted"] = c.drifted;
        cj["severity"] = number(c.severity);
        cj["reference"] = {{"rows", c.reference_rows}, {"missing", c.reference_missing}, {"unique", c.reference_unique}};
        cj["current"] = {{"rows", c.current_rows}, {"missing", c.current_missing}, {"unique", c.current_unique}};
        cj["note"] = c.note.empty() ? nlohmann::json(nullptr) : nlohmann::json(c.note);
        cj["histogram"] = c.histogram.labels.empty() ? nlohmann::json(nullptr) : histogram_json(c.histogram);
        cols.push_back(std::move(cj));
    }
    j["columns"] = cols;
    const auto& m = r.multivariate;
    nlohmann::json mj;
    mj["computed"] = m.computed;
    if (!m.computed) {
        mj["note"] = m.note;
    } else {
        mj["method"] = "pca_reconstruction_error";
        mj["columns"] = m.columns;
        mj["components"] = m.components;
        mj["variance_explained"] = number(m.variance_explained);
        mj["variance_target"] = m.variance_target;
        mj["chunk_rows"] = m.chunk_rows;
        mj["reference_mean"] = number(m.reference_mean);
        mj["reference_std"] = number(m.reference_std);
        mj["lower"] = number(m.lower);
        mj["upper"] = number(m.upper);
        mj["current_error"] = number(m.current_error);
        mj["reference_chunks"] = chunk_json(m.reference_chunks);
        mj["current_chunks"] = chunk_json(m.current_chunks);
        mj["alerts"] = m.alerts;
    }
    mj["drifted"] = m.drifted;
    j["multivariate"] = mj;
    if (r.prediction_column) {
        const auto* c = r.column(*r.prediction_column);
        j["prediction"] = {{"column", *r.prediction_column},
                           {"test", c ? c->method : "none"},
                           {"score", c ? number(c->score) : nullptr},
                           {"drifted", c && c->drifted}};
    } else {
        j["prediction"] = nullptr;
    }
    if (r.performance) {
        const auto& p = *r.performance;
        j["performance"] = {{"task", p.task},
                            {"metric", p.metric},
                            {"source", p.source},
                            {"higher_is_better", p.higher_is_better},
                            {"reference", number(p.reference)},
                            {"current", number(p.current)},
                            {"change", number(p.change)},
                            {"threshold", number(p.threshold)},
                            {"reference_rows", p.reference_rows},
                            {"current_rows", p.current_rows},
                            {"reference_metrics", p.reference_metrics},
                            {"current_metrics", p.current_metrics},
                            {"drifted", p.drifted}};
    } else {
        j["performance"] = nullptr;
    }
    j["warnings"] = r.warnings;
    return j;
}

std::string to_markdown(const Report& r) {
    std::string s;
    s += fmt::format("### Drift report: {}\n\n", r.drift_detected ? "**drift detected**" : "no drift");
    s += fmt::format("Reference `{}` ({} rows) vs current `{}` ({} rows).\n\n", r.reference, r.reference_rows, r.current,
                     r.current_rows);
    s += fmt::format("- Dataset drift: **{}**: {} of {} columns drifted (share {}, threshold {})\n",
                     r.dataset_drift ? "yes" : "no", r.drifted_columns, r.columns.size(), format_number(r.drift_share),
                     format_number(r.drift_share_threshold));
    const auto& m = r.multivariate;
    if (m.computed)
        s += fmt::format("- Multivariate drift: **{}**: {} of {} current chunks outside [{}, {}] (PCA reconstruction "
                         "error, {} components, {} columns)\n",
                         m.drifted ? "yes" : "no", m.alerts, m.current_chunks.size(), format_number(m.lower),
                         format_number(m.upper), m.components, m.columns.size());
    else
        s += fmt::format("- Multivariate drift: not computed{}\n", m.note.empty() ? "" : " (" + m.note + ")");
    if (r.prediction_column) {
        const auto* c = r.column(*r.prediction_column);
        s += fmt::format("- Prediction drift (`{}`): **{}**\n", *r.prediction_column, c && c->drifted ? "yes" : "no");
    }
    if (r.performance) {
        const auto& p = *r.performance;
        s += fmt::format("- Performance ({}): {} {} -> {} (change {}, tolerated {}): **{}**\n", p.source, p.metric,
                         format_number(p.reference), format_number(p.current), format_number(p.change),
                         format_number(p.threshold), p.drifted ? "degraded" : "ok");
    }
    for (const auto& w : r.warnings) s += fmt::format("- Warning: {}\n", w);
    s += "\n| Column | Type | Test | Score | Threshold | Drift | Missing (ref / cur) |\n";
    s += "|---|---|---|---:|---:|---|---:|\n";
    for (const auto& c : r.columns) {
        std::string name = c.name;
        if (c.role != Role::feature) name += fmt::format(" ({})", to_string(c.role));
        std::string test = c.method == "none" ? (c.note.empty() ? "-" : c.note) : c.method;
        s += fmt::format("| {} | {} | {} | {} | {} | {} | {} / {} |\n", name, c.type, test, format_number(c.score),
                         c.method == "none" ? "-" : format_number(c.threshold), c.drifted ? "**drift**" : verdict(false),
                         c.reference_missing, c.current_missing);
    }
    return s;
}

} // namespace mlops::drift
