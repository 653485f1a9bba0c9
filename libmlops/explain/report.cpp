#include <algorithm>
#include <cmath>

#include <fmt/format.h>

#include <mlops/explain/explain.hpp>
#include <mlops/util/strings.hpp>

namespace mlops::explain {

namespace {

nlohmann::json num(double v) { return std::isfinite(v) ? nlohmann::json(v) : nlohmann::json(); }

std::string fmtn(double v) {
    if (!std::isfinite(v)) return "-";
    if (v != 0 && std::fabs(v) < 1e-4) return fmt::format("{:.3e}", v);
    return fmt::format("{:.4g}", v);
}

// Features by mean |attribution|, largest first.
std::vector<std::size_t> ig_order(const GradientResult& g) {
    std::vector<std::size_t> o(g.features.size());
    for (std::size_t i = 0; i < o.size(); ++i) o[i] = i;
    std::stable_sort(o.begin(), o.end(), [&](std::size_t a, std::size_t b) { return g.mean_abs[a] > g.mean_abs[b]; });
    return o;
}

const RowAttribution* row_of(const GradientResult& g, std::size_t row) {
    for (const auto& r : g.rows)
        if (r.row == row) return &r;
    return nullptr;
}

std::string e(std::string_view s) { return util::markup_escape(s); }

// Horizontal bars (value and optional error) for labelled values; negative values go left.
std::string bar_chart(const std::vector<std::string>& labels, const std::vector<double>& values, const std::vector<double>* errors,
                      const std::string& color) {
    const double row_h = 22, label_w = 200, chart_w = 420, pad = 10;
    double lo = 0, hi = 0;
    for (std::size_t i = 0; i < values.size(); ++i) {
        double err = errors ? (*errors)[i] : 0;
        lo = std::min(lo, values[i] - err);
        hi = std::max(hi, values[i] + err);
    }
    if (hi - lo <= 0) hi = lo + 1;
    auto xof = [&](double v) { return label_w + pad + (v - lo) / (hi - lo) * chart_w; };
    double h = row_h * double(values.size()) + 2 * pad;
    std::string s = fmt::format("<svg xmlns=\"http://www.w3.org/2000/svg\" width=\"{}\" height=\"{}\" role=\"img\">\n",
                                label_w + chart_w + 3 * pad + 80, h);
    s += fmt::format("<line x1=\"{0}\" y1=\"{1}\" x2=\"{0}\" y2=\"{2}\" stroke=\"#888\"/>\n", xof(0), pad, h - pad);
    for (std::size_t i = 0; i < values.size(); ++i) {
        double y = pad + row_h * double(i);
        double x0 = std::min(xof(0), xof(values[i])), x1 = std::max(xof(0), xof(values[i]));
        s += fmt::format("<text x=\"{}\" y=\"{}\" text-anchor=\"end\" font-size=\"12\">{}</text>\n", label_w, y + 15, e(labels[i]));
        s += fmt::format("<rect x=\"{:.1f}\" y=\"{}\" width=\"{:.1f}\" height=\"{}\" fill=\"{}\"><title>{}: {}</title></rect>\n", x0, y + 4,
                         std::max(x1 - x0, 0.5), row_h - 8, color, e(labels[i]), fmtn(values[i]));
        if (errors && (*errors)[i] > 0) {
            double a = xof(values[i] - (*errors)[i]), b = xof(values[i] + (*errors)[i]);
            s += fmt::format("<line class=\"err\" x1=\"{0:.1f}\" y1=\"{2}\" x2=\"{1:.1f}\" y2=\"{2}\" stroke=\"#222\"/>"
                             "<line x1=\"{0:.1f}\" y1=\"{3}\" x2=\"{0:.1f}\" y2=\"{4}\" stroke=\"#222\"/>"
                             "<line x1=\"{1:.1f}\" y1=\"{3}\" x2=\"{1:.1f}\" y2=\"{4}\" stroke=\"#222\"/>\n",
                             a, b, y + row_h / 2, y + 6, y + row_h - 6);
        }
        s += fmt::format("<text x=\"{:.1f}\" y=\"{}\" font-size=\"11\" fill=\"#444\">{}</text>\n", label_w + chart_w + 2 * pad, y + 15,
                         fmtn(values[i]));
    }
    return s + "</svg>\n";
}

// A waterfall from f(baseline) through each feature's attribution (largest first) to f(x).
std::string waterfall(const GradientResult& g, const RowAttribution& r, std::size_t top) {
    std::vector<std::size_t> o(g.features.size());
    for (std::size_t i = 0; i < o.size(); ++i) o[i] = i;
    std::stable_sort(o.begin(), o.end(), [&](std::size_t a, std::size_t b) { return std::fabs(r.attributions[a]) > std::fabs(r.attributions[b]); });
    std::vector<std::pair<std::string, double>> steps;
    double rest = 0;
    for (std::size_t i = 0; i < o.size(); ++i) {
        if (i < top) steps.emplace_back(g.features[o[i]], r.attributions[o[i]]);
        else rest += r.attributions[o[i]];
    }
    if (o.size() > top) steps.emplace_back(fmt::format("{} other features", o.size() - top), rest);
    double lo = std::min(r.baseline_value, r.value), hi = std::max(r.baseline_value, r.value), run = r.baseline_value;
    for (const auto& [n, v] : steps) {
        run += v;
        lo = std::min(lo, run);
        hi = std::max(hi, run);
    }
    if (hi - lo <= 0) hi = lo + 1;
    const double row_h = 22, label_w = 200, chart_w = 420, pad = 10;
    auto xof = [&](double v) { return label_w + pad + (v - lo) / (hi - lo) * chart_w; };
    double h = row_h * double(steps.size() + 2) + 2 * pad;
    std::string s = fmt::format("<svg xmlns=\"http://www.w3.org/2000/svg\" width=\"{}\" height=\"{}\" role=\"img\">\n",
                                label_w + chart_w + 3 * pad + 80, h);
    auto line = [&](std::size_t i, const std::string& label, double from, double to, const char* color) {
        double y = pad + row_h * double(i);
        double x0 = std::min(xof(from), xof(to)), x1 = std::max(xof(from), xof(to));
        s += fmt::format("<text x=\"{}\" y=\"{}\" text-anchor=\"end\" font-size=\"12\">{}</text>\n", label_w, y + 15, e(label));
        s += fmt::format("<rect x=\"{:.1f}\" y=\"{}\" width=\"{:.1f}\" height=\"{}\" fill=\"{}\"><title>{}: {}</title></rect>\n", x0, y + 4,
                         std::max(x1 - x0, 0.5), row_h - 8, color, e(label), fmtn(to - from));
        s += fmt::format("<text x=\"{:.1f}\" y=\"{}\" font-size=\"11\" fill=\"#444\">{}</text>\n", label_w + chart_w + 2 * pad, y + 15,
                         fmtn(to - from));
    };
    line(0, "f(baseline)", lo, r.baseline_value, "#999");
    run = r.baseline_value;
    for (std::size_t i = 0; i < steps.size(); ++i) {
        line(i + 1, steps[i].first, run, run + steps[i].second, steps[i].second >= 0 ? "#d62728" : "#1f77b4");
        run += steps[i].second;
    }
    line(steps.size() + 1, "f(x)", lo, r.value, "#555");
    return s + "</svg>\n";
}

} // namespace

nlohmann::json to_json(const Report& r) {
    nlohmann::json j = {{"model", r.model}, {"data", r.data}, {"task", r.task}, {"rows", r.rows}, {"notes", r.notes}};
    if (r.permutation) {
        const auto& p = *r.permutation;
        nlohmann::json feats = nlohmann::json::array();
        for (const auto& f : p.features)
            feats.push_back({{"feature", f.feature}, {"mean", num(f.mean)}, {"std", num(f.std)}, {"repeats", f.repeats}});
        j["permutation"] = {{"metric", to_string(p.scoring)}, {"baseline_score", num(p.baseline)}, {"repeats", p.repeats},
                            {"seed", p.seed}, {"features", feats}};
    } else {
        j["permutation"] = nullptr;
    }
    if (r.gradients) {
        const auto& g = *r.gradients;
        nlohmann::json global = nlohmann::json::array();
        for (auto i : ig_order(g)) global.push_back({{"feature", g.features[i]}, {"mean_abs", num(g.mean_abs[i])}});
        nlohmann::json rows = nlohmann::json::array();
        for (std::size_t k = 0; k < r.shown_rows.size(); ++k) {
            const auto* ra = row_of(g, r.shown_rows[k]);
            if (!ra) continue;
            nlohmann::json attr = nlohmann::json::object();
            for (std::size_t f = 0; f < g.features.size(); ++f) attr[g.features[f]] = num(ra->attributions[f]);
            rows.push_back({{"row", ra->row}, {"target", k < r.target_names.size() ? r.target_names[k] : ""}, {"value", num(ra->value)},
                            {"baseline_value", num(ra->baseline_value)}, {"gap", num(ra->gap)}, {"attributions", attr}});
        }
        j["integrated_gradients"] = {{"integration", to_string(g.rule)}, {"steps", g.steps}, {"baseline", r.baseline},
                                     {"tolerance", g.tolerance}, {"rows_checked", g.rows.size()}, {"rows_failed", g.failed},
                                     {"worst_gap", num(g.worst_gap)}, {"worst_row", g.worst_row}, {"global", global}, {"rows", rows}};
    } else {
        j["integrated_gradients"] = nullptr;
    }
    return j;
}

std::string to_markdown(const Report& r) {
    std::string s = fmt::format("### Explanation of `{}` on `{}` ({} rows, {})\n\n", r.model, r.data, r.rows, r.task);
    if (r.permutation) {
        const auto& p = *r.permutation;
        s += fmt::format("**Permutation importance** ({} drop, {} repeats; baseline {} = {})\n\n| rank | feature | importance | std |\n|---:|---|---:|---:|\n",
                         to_string(p.scoring), p.repeats, to_string(p.scoring), fmtn(p.baseline));
        for (std::size_t i = 0; i < p.features.size(); ++i)
            s += fmt::format("| {} | {} | {} | {} |\n", i + 1, p.features[i].feature, fmtn(p.features[i].mean), fmtn(p.features[i].std));
        s += "\n";
    }
    if (r.gradients) {
        const auto& g = *r.gradients;
        s += fmt::format("**Integrated gradients** ({} steps, {}, baseline {}): completeness {} on {} of {} rows\n\n"
                         "| rank | feature | mean abs attribution |\n|---:|---|---:|\n",
                         g.steps, to_string(g.rule), r.baseline, g.failed ? "FAILED" : "holds", g.rows.size() - g.failed, g.rows.size());
        auto o = ig_order(g);
        for (std::size_t i = 0; i < o.size(); ++i) s += fmt::format("| {} | {} | {} |\n", i + 1, g.features[o[i]], fmtn(g.mean_abs[o[i]]));
        for (std::size_t k = 0; k < r.shown_rows.size(); ++k)
            if (const auto* ra = row_of(g, r.shown_rows[k]))
                s += fmt::format("\nRow {} ({}): f(baseline) {} -> f(x) {}; gap {}\n", ra->row,
                                 k < r.target_names.size() ? r.target_names[k] : "", fmtn(ra->baseline_value), fmtn(ra->value), fmtn(ra->gap));
    }
    for (const auto& n : r.notes) s += "\n> " + n + "\n";
    return s;
}

std::string to_html(const Report& r) {
    std::string s = "<!DOCTYPE html>\n<html lang=\"en\"><head><meta charset=\"utf-8\"><title>Explanation: " + e(r.model) +
                    "</title>\n<style>body{font-family:sans-serif;margin:2em;max-width:60em}table{border-collapse:collapse}"
                    "td,th{border:1px solid #ccc;padding:2px 8px;text-align:right}td:nth-child(2){text-align:left}"
                    ".fail{color:#b00}.ok{color:#070}</style></head><body>\n";
    s += fmt::format("<h1>Why {} decides what it does</h1>\n<p>Data: {} ({} rows), task: {}.</p>\n", e(r.model), e(r.data), r.rows, e(r.task));
    for (const auto& n : r.notes) s += "<p class=\"note\">" + e(n) + "</p>\n";
    if (r.permutation) {
        const auto& p = *r.permutation;
        s += fmt::format("<h2 id=\"permutation\">Permutation importance</h2>\n<p>Drop of the {} when a feature's column is shuffled "
                         "(mean and standard deviation over {} repeats, seed {}); baseline {} = {}.</p>\n",
                         to_string(p.scoring), p.repeats, p.seed, to_string(p.scoring), fmtn(p.baseline));
        std::vector<std::string> labels;
        std::vector<double> means, stds;
        for (const auto& f : p.features) labels.push_back(f.feature), means.push_back(f.mean), stds.push_back(f.std);
        s += bar_chart(labels, means, &stds, "#ff7f0e");
        s += "<table id=\"permutation-table\"><tr><th>rank</th><th>feature</th><th>importance</th><th>std</th></tr>\n";
        for (std::size_t i = 0; i < p.features.size(); ++i)
            s += fmt::format("<tr><td>{}</td><td>{}</td><td>{}</td><td>{}</td></tr>\n", i + 1, e(p.features[i].feature),
                             fmtn(p.features[i].mean), fmtn(p.features[i].std));
        s += "</table>\n";
    }
    if (r.gradients) {
        const auto& g = *r.gradients;
        s += fmt::format("<h2 id=\"integrated-gradients\">Integrated gradients</h2>\n<p>{} steps ({}), baseline {}. Completeness "
                         "(attributions sum to f(x) - f(baseline) within {} relative): <span class=\"{}\">{} of {} rows</span>.</p>\n",
                         g.steps, to_string(g.rule), e(r.baseline), fmtn(g.tolerance), g.failed ? "fail" : "ok", g.rows.size() - g.failed,
                         g.rows.size());
        auto o = ig_order(g);
        std::vector<std::string> labels;
        std::vector<double> vals;
        for (auto i : o) labels.push_back(g.features[i]), vals.push_back(g.mean_abs[i]);
        s += "<h3>Mean absolute attribution over the data</h3>\n" + bar_chart(labels, vals, nullptr, "#2ca02c");
        for (std::size_t k = 0; k < r.shown_rows.size(); ++k)
            if (const auto* ra = row_of(g, r.shown_rows[k]))
                s += fmt::format("<h3 id=\"row-{}\">Row {} ({}): {} &rarr; {}</h3>\n", ra->row, ra->row,
                                 e(k < r.target_names.size() ? r.target_names[k] : ""), fmtn(ra->baseline_value), fmtn(ra->value)) +
                     waterfall(g, *ra, 10);
    }
    return s + "</body></html>\n";
}

} // namespace mlops::explain
