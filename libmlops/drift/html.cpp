#include <mlops/drift/html.hpp>

#include <algorithm>
#include <cmath>

#include <fmt/format.h>

#include <mlops/util/strings.hpp>

namespace mlops::drift {

std::string html_escape(std::string_view s) { return util::markup_escape(s); }

namespace {

constexpr const char* k_style = R"(body{font-family:system-ui,-apple-system,"Segoe UI",sans-serif;margin:2em auto;max-width:980px;color:#222;padding:0 1em}
h1{font-size:1.6em}h2{margin-top:1.6em;border-bottom:1px solid #ddd;padding-bottom:.2em}h3{margin:1.2em 0 .3em}
.verdict{padding:.8em 1em;border-radius:6px;font-size:1.2em;font-weight:600}
.drift{background:#fde2e1;color:#8a1c17}.ok{background:#e1f5e4;color:#1d5e2a}
table{border-collapse:collapse;width:100%;font-size:.92em}th,td{border-bottom:1px solid #e4e4e4;padding:.35em .5em;text-align:left}
td.num,th.num{text-align:right;font-variant-numeric:tabular-nums}tr.drifted td{background:#fff4f3}
.tag{display:inline-block;padding:0 .45em;border-radius:3px;font-size:.85em}.tag.drift{background:#f6c9c6}.tag.ok{background:#cdeed3}
.legend span{display:inline-block;width:.9em;height:.9em;margin:0 .3em 0 1em;vertical-align:-.1em}
.meta{color:#555;font-size:.9em}svg{display:block;margin:.3em 0 1em}
)";

constexpr const char* k_ref_color = "#3b75af";
constexpr const char* k_cur_color = "#ef8636";

std::string tag(bool drifted) {
    return drifted ? "<span class=\"tag drift\">drift</span>" : "<span class=\"tag ok\">ok</span>";
}

std::string anchor(std::size_t i) { return fmt::format("col-{}", i); }

double total(const std::vector<double>& v) {
    double s = 0;
    for (double x : v) s += x;
    return s;
}

// Overlaid bars of the reference and current shares.
std::string chart(const Histogram& h) {
    const double W = 900, H = 230, left = 50, right = 10, top = 10, bottom = h.bins ? 40 : 90;
    const double pw = W - left - right, ph = H - top - bottom;
    std::size_t n = h.labels.size();
    if (n == 0) return "";
    double tr = total(h.reference), tc = total(h.current);
    std::vector<double> sr(n), sc(n);
    double mx = 0;
    for (std::size_t i = 0; i < n; ++i) {
        sr[i] = tr > 0 ? h.reference[i] / tr : 0;
        sc[i] = tc > 0 ? h.current[i] / tc : 0;
        mx = std::max({mx, sr[i], sc[i]});
    }
    if (mx <= 0) mx = 1;
    std::string s = fmt::format(R"(<svg xmlns="http://www.w3.org/2000/svg" width="{0}" height="{1}" viewBox="0 0 {0} {1}" role="img">)", W, H);
    s += fmt::format(R"(<line x1="{0}" y1="{1}" x2="{2}" y2="{1}" stroke="#999"/>)", left, top + ph, left + pw);
    for (int t = 0; t <= 4; ++t) {
        double v = mx * t / 4, y = top + ph - ph * t / 4;
        s += fmt::format(R"(<text x="{}" y="{:.1f}" font-size="10" text-anchor="end" fill="#555">{:.0f}%</text>)", left - 4,
                         y + 3, v * 100);
        if (t > 0) s += fmt::format(R"(<line x1="{}" y1="{:.1f}" x2="{}" y2="{:.1f}" stroke="#eee"/>)", left, y, left + pw, y);
    }
    double bw = pw / double(n);
    for (std::size_t i = 0; i < n; ++i) {
        double x = left + bw * double(i);
        double hr = ph * sr[i] / mx, hc = ph * sc[i] / mx;
        std::string title = html_escape(h.labels[i]);
        s += fmt::format(R"(<rect x="{:.2f}" y="{:.2f}" width="{:.2f}" height="{:.2f}" fill="{}" fill-opacity="0.55"><title>{}: reference {:.2f}%</title></rect>)",
                         x + 1, top + ph - hr, std::max(bw - 2, 0.5), hr, k_ref_color, title, sr[i] * 100);
        s += fmt::format(R"(<rect x="{:.2f}" y="{:.2f}" width="{:.2f}" height="{:.2f}" fill="{}" fill-opacity="0.55"><title>{}: current {:.2f}%</title></rect>)",
                         x + 1, top + ph - hc, std::max(bw - 2, 0.5), hc, k_cur_color, title, sc[i] * 100);
        if (!h.bins) {
            std::string label = h.labels[i].size() > 18 ? h.labels[i].substr(0, 17) + "..." : h.labels[i];
            s += fmt::format(R"x(<text x="{:.2f}" y="{:.2f}" font-size="10" text-anchor="end" transform="rotate(-40 {:.2f} {:.2f})">{}</text>)x",
                             x + bw / 2, top + ph + 12, x + bw / 2, top + ph + 12, html_escape(label));
        }
    }
    if (h.bins && !h.edges.empty()) {
        for (std::size_t i = 0; i < h.edges.size(); i += 5) {
            double x = left + bw * double(i);
            s += fmt::format(R"(<text x="{:.2f}" y="{:.2f}" font-size="10" text-anchor="middle">{}</text>)", x, top + ph + 14,
                             html_escape(format_number(h.edges[i])));
        }
    }
    s += "</svg>";
    return s;
}

// Mean reconstruction error per chunk, reference then current, with the band.
std::string chunk_chart(const MultivariateResult& m) {
    const double W = 900, H = 220, left = 60, right = 10, top = 10, bottom = 30;
    const double pw = W - left - right, ph = H - top - bottom;
    std::size_t n = m.reference_chunks.size() + m.current_chunks.size();
    double lo = m.lower, hi = m.upper;
    for (const auto& c : m.reference_chunks) lo = std::min(lo, c.error), hi = std::max(hi, c.error);
    for (const auto& c : m.current_chunks) lo = std::min(lo, c.error), hi = std::max(hi, c.error);
    double pad = (hi - lo) * 0.1 + 1e-12;
    lo -= pad;
    hi += pad;
    auto y = [&](double v) { return top + ph - ph * (v - lo) / (hi - lo); };
    auto x = [&](std::size_t i) { return left + pw * (double(i) + 0.5) / double(n); };
    std::string s = fmt::format(R"(<svg xmlns="http://www.w3.org/2000/svg" width="{0}" height="{1}" viewBox="0 0 {0} {1}" role="img">)", W, H);
    s += fmt::format(R"(<rect x="{}" y="{:.2f}" width="{}" height="{:.2f}" fill="#e1f5e4"/>)", left, y(m.upper), pw,
                     std::max(y(m.lower) - y(m.upper), 0.5));
    for (int t = 0; t <= 4; ++t) {
        double v = lo + (hi - lo) * t / 4;
        s += fmt::format(R"(<text x="{}" y="{:.1f}" font-size="10" text-anchor="end" fill="#555">{}</text>)", left - 4, y(v) + 3,
                         html_escape(format_number(v)));
    }
    double split = left + pw * double(m.reference_chunks.size()) / double(n);
    s += fmt::format(R"(<line x1="{0:.2f}" y1="{1}" x2="{0:.2f}" y2="{2}" stroke="#999" stroke-dasharray="4 3"/>)", split, top, top + ph);
    s += fmt::format(R"(<text x="{:.2f}" y="{}" font-size="11" text-anchor="middle">reference</text>)", (left + split) / 2, H - 8);
    s += fmt::format(R"(<text x="{:.2f}" y="{}" font-size="11" text-anchor="middle">current</text>)", (split + left + pw) / 2, H - 8);
    std::string path;
    for (std::size_t i = 0; i < n; ++i) {
        bool is_ref = i < m.reference_chunks.size();
        const auto& c = is_ref ? m.reference_chunks[i] : m.current_chunks[i - m.reference_chunks.size()];
        path += fmt::format("{}{:.2f},{:.2f}", i == 0 ? "M" : " L", x(i), y(c.error));
        s += fmt::format(R"(<circle cx="{:.2f}" cy="{:.2f}" r="3.5" fill="{}"><title>rows {}-{}: {}</title></circle>)", x(i),
                         y(c.error), c.alert ? "#c62828" : (is_ref ? k_ref_color : k_cur_color), c.first_row + 1,
                         c.first_row + c.rows, html_escape(format_number(c.error)));
    }
    s += fmt::format(R"(<path d="{}" fill="none" stroke="#888" stroke-width="1"/>)", path);
    s += "</svg>";
    return s;
}

} // namespace

std::string to_html(const Report& r) {
    std::string s;
    s += "<!DOCTYPE html>\n<html lang=\"en\">\n<head>\n<meta charset=\"utf-8\">\n";
    s += "<meta name=\"viewport\" content=\"width=device-width, initial-scale=1\">\n";
    s += fmt::format("<title>Drift report: {} vs {}</title>\n", html_escape(r.reference), html_escape(r.current));
    s += fmt::format("<style>\n{}</style>\n</head>\n<body>\n", k_style);
    s += "<h1>Drift report</h1>\n";
    s += fmt::format("<p class=\"meta\">Reference <code>{}</code> ({} rows) &middot; current <code>{}</code> ({} rows)</p>\n",
                     html_escape(r.reference), r.reference_rows, html_escape(r.current), r.current_rows);
    s += fmt::format("<div id=\"verdict\" class=\"verdict {}\">{}</div>\n", r.drift_detected ? "drift" : "ok",
                     r.drift_detected ? "Drift detected" : "No drift detected");
    s += "<ul id=\"summary\">\n";
    s += fmt::format("<li>Dataset drift: <b>{}</b>: {} of {} columns drifted (share {}, threshold {})</li>\n",
                     r.dataset_drift ? "yes" : "no", r.drifted_columns, r.columns.size(), format_number(r.drift_share),
                     format_number(r.drift_share_threshold));
    const auto& m = r.multivariate;
    if (m.computed)
        s += fmt::format("<li>Multivariate drift: <b>{}</b>: {} of {} current chunks outside the reference band</li>\n",
                         m.drifted ? "yes" : "no", m.alerts, m.current_chunks.size());
    else
        s += fmt::format("<li>Multivariate drift: not computed ({})</li>\n", html_escape(m.note));
    if (r.prediction_column) {
        const auto* c = r.column(*r.prediction_column);
        s += fmt::format("<li>Prediction drift (<code>{}</code>): <b>{}</b></li>\n", html_escape(*r.prediction_column),
                         c && c->drifted ? "yes" : "no");
    }
    if (r.performance) {
        const auto& p = *r.performance;
        s += fmt::format("<li>Performance ({}): {} {} &rarr; {} (change {}, tolerated {}): <b>{}</b></li>\n",
                         html_escape(p.source), html_escape(p.metric), format_number(p.reference), format_number(p.current),
                         format_number(p.change), format_number(p.threshold), p.drifted ? "degraded" : "ok");
    }
    for (const auto& w : r.warnings) s += fmt::format("<li>Warning: {}</li>\n", html_escape(w));
    s += "</ul>\n";

    s += "<h2>Columns</h2>\n<p class=\"meta\">Sorted by drift: drifted columns first, then by score relative to its threshold.</p>\n";
    s += "<table id=\"columns\">\n<thead><tr><th>Column</th><th>Type</th><th>Test</th><th class=\"num\">Score</th>"
         "<th class=\"num\">Threshold</th><th>Verdict</th><th class=\"num\">Missing (ref / cur)</th></tr></thead>\n<tbody>\n";
    for (std::size_t i = 0; i < r.columns.size(); ++i) {
        const auto& c = r.columns[i];
        std::string name = html_escape(c.name);
        if (c.role != Role::feature) name += fmt::format(" <span class=\"meta\">({})</span>", to_string(c.role));
        s += fmt::format("<tr{}><td><a href=\"#{}\">{}</a></td><td>{}</td><td>{}</td><td class=\"num\">{}</td><td class=\"num\">{}</td>"
                         "<td>{}</td><td class=\"num\">{} / {}</td></tr>\n",
                         c.drifted ? " class=\"drifted\"" : "", anchor(i), name, c.type,
                         c.method == "none" ? html_escape(c.note) : html_escape(c.method), format_number(c.score),
                         c.method == "none" ? "-" : format_number(c.threshold), tag(c.drifted), c.reference_missing,
                         c.current_missing);
    }
    s += "</tbody>\n</table>\n";

    if (m.computed) {
        s += "<h2>Multivariate drift</h2>\n";
        s += fmt::format("<p class=\"meta\">PCA on the reference's {} standardised numeric columns, {} components "
                         "({:.1f}% of the variance, target {:.0f}%); mean reconstruction error per chunk of {} rows; "
                         "band: reference mean &plusmn; 3&sigma; = [{}, {}].</p>\n",
                         m.columns.size(), m.components, m.variance_explained * 100, m.variance_target * 100, m.chunk_rows,
                         format_number(m.lower), format_number(m.upper));
        s += chunk_chart(m) + "\n";
    }

    s += "<h2>Distributions</h2>\n";
    s += fmt::format("<p class=\"legend\"><span style=\"background:{}\"></span>reference<span style=\"background:{}\"></span>current "
                     "(share of non-missing values)</p>\n",
                     k_ref_color, k_cur_color);
    for (std::size_t i = 0; i < r.columns.size(); ++i) {
        const auto& c = r.columns[i];
        s += fmt::format("<section id=\"{}\">\n<h3>{} {}</h3>\n", anchor(i), html_escape(c.name), tag(c.drifted));
        s += fmt::format("<p class=\"meta\">{}; test {}; score {}; threshold {}; missing {} of {} (reference), {} of {} (current); "
                         "distinct values {} / {}{}</p>\n",
                         c.type, html_escape(c.method), format_number(c.score), c.method == "none" ? "-" : format_number(c.threshold),
                         c.reference_missing, c.reference_rows, c.current_missing, c.current_rows, c.reference_unique,
                         c.current_unique, c.note.empty() ? "" : "; " + html_escape(c.note));
        s += chart(c.histogram);
        s += "</section>\n";
    }
    s += "</body>\n</html>\n";
    return s;
}

} // namespace mlops::drift
