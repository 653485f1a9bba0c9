#include <mlops/site/render.hpp>

#include <algorithm>
#include <cmath>
#include <initializer_list>
#include <set>
#include <string_view>

#include <fmt/format.h>

#include <mlops/lineage/render.hpp>
#include <mlops/site/chart.hpp>
#include <mlops/util/strings.hpp>

namespace mlops::site {

namespace {

#include "assets.inc"

std::string e(std::string_view s) { return util::markup_escape(s); }

std::string short_id(const std::string& s, std::size_t n = 12) { return s.substr(0, n); }

std::string time_of(std::int64_t ns) { return ns ? pipeline::iso_time(ns) : std::string("-"); }

std::string seconds(std::int64_t from, std::int64_t to) { return fmt::format("{:.2f}", double(to - from) / 1e9); }

// A JSON value as table text: strings as they are, numbers in the charts' format.
std::string text_of(const nlohmann::json& v) {
    if (v.is_string()) return v.get<std::string>();
    if (v.is_null()) return "-";
    if (v.is_number_integer() || v.is_number_unsigned()) return v.dump();
    if (v.is_number_float()) return format_number(v.get<double>());
    return v.dump();
}

// The start of a table up to its body: header cells for `cols` ("#Name" for a numeric column,
// right-aligned), optionally with a class on the table.
std::string table_head(std::initializer_list<std::string_view> cols, std::string_view table_class = "") {
    std::string s = table_class.empty() ? "<table><thead><tr>" : fmt::format("<table class=\"{}\"><thead><tr>", table_class);
    for (auto c : cols)
        s += c.starts_with('#') ? fmt::format("<th scope=\"col\" class=\"num\">{}</th>", c.substr(1)) : fmt::format("<th scope=\"col\">{}</th>", c);
    return s + "</tr></thead><tbody>\n";
}

// A list of strings as "a, b" (anything else as text_of shows it).
std::string joined(const nlohmann::json& v) {
    if (!v.is_array()) return text_of(v);
    std::string out;
    for (const auto& x : v) out += (out.empty() ? "" : ", ") + text_of(x);
    return out;
}

// Status in words and a symbol, never colour alone.
std::string status_html(const std::string& status) {
    if (status == "succeeded") return "<span class=\"ok\">\u2714 succeeded</span>";
    if (status == "failed") return "<span class=\"bad\">\u2716 failed</span>";
    if (status == "interrupted") return "<span class=\"warn\">\u25A0 interrupted</span>";
    return e(status.empty() ? "unknown" : status);
}

std::string yes_no(bool ok, const std::string& yes, const std::string& no) {
    return ok ? "<span class=\"ok\">\u2714 " + e(yes) + "</span>" : "<span class=\"bad\">\u2716 " + e(no) + "</span>";
}

struct Nav {
    const char* file;
    const char* title;
};
constexpr Nav k_nav[] = {{"index.html", "Overview"}, {"runs.html", "Runs"},       {"metrics.html", "Metrics"},
                         {"models.html", "Models"},  {"lineage.html", "Lineage"}, {"health.html", "Health"}};

std::string page(const SiteData& d, const std::string& title, const std::string& root, const std::string& active, const std::string& body) {
    std::string nav;
    for (const auto& n : k_nav)
        nav += fmt::format("<a href=\"{}{}\"{}>{}</a>", root, n.file, active == n.file ? " aria-current=\"page\"" : "", n.title);
    std::string footer = d.head.empty() ? "no commit" : "commit <code>" + e(short_id(d.head)) + "</code>";
    if (!d.since.empty()) footer += fmt::format(", runs since <code>{}</code> ({})", e(d.since), e(short_id(d.since_commit)));
    return fmt::format(R"(<!DOCTYPE html>
<html lang="en"><head><meta charset="utf-8"><meta name="viewport" content="width=device-width, initial-scale=1">
<title>{0} · {1}</title><link rel="stylesheet" href="{2}style.css"></head>
<body><a class="skip" href="#main">Skip to content</a>
<header><nav aria-label="Site"><span class="brand">{1}</span>{3}</nav></header>
<main id="main" tabindex="-1">
<h1>{0}</h1>
{4}</main>
<footer>Made by <code>mlops report site</code> from {5}.</footer>
<script src="{2}site.js"></script>
</body></html>
)",
                       e(title), e(d.project), root, nav, body, footer);
}

std::map<std::string, const Run*> runs_by_id(const SiteData& d) {
    std::map<std::string, const Run*> m;
    for (const auto& r : d.runs) m[r.row.run_id] = &r;
    return m;
}

std::string run_link(const std::map<std::string, const Run*>& ids, const std::string& run_id, const std::string& root) {
    if (run_id.empty()) return "-";
    if (!ids.contains(run_id)) return "<code>" + e(short_id(run_id, 16)) + "</code>";
    return fmt::format("<a href=\"{}{}\"><code>{}</code></a>", root, e(run_href(ids.size(), run_id)), e(short_id(run_id, 16)));
}

std::string fetch_hint() {
    return "Fetch it from the remote with <code>mlops fetch</code> (records, the registry and the data the work tree names) or "
           "<code>mlops pull</code> (and check it out).";
}

// ---- the runs table's columns ----

struct Columns {
    std::vector<std::string> params, metrics;
    std::size_t hidden_params = 0, hidden_metrics = 0; // keys beyond the most common ones
};

std::vector<std::string> common_keys(const std::map<std::string, std::size_t>& counts, std::size_t max) {
    std::vector<std::pair<std::size_t, std::string>> v;
    for (const auto& [k, n] : counts) v.push_back({n, k});
    std::sort(v.begin(), v.end(), [](const auto& a, const auto& b) { return a.first != b.first ? a.first > b.first : a.second < b.second; });
    std::vector<std::string> out;
    for (std::size_t i = 0; i < v.size() && i < max; ++i) out.push_back(v[i].second);
    std::sort(out.begin(), out.end());
    return out;
}

Columns columns_of(const SiteData& d, std::size_t max) {
    std::map<std::string, std::size_t> p, m;
    for (const auto& r : d.runs) {
        if (!r.record) continue;
        for (const auto& [k, v] : flatten(r.record->params)) ++p[k];
        for (const auto& [k, v] : flatten(r.record->metrics)) ++m[k];
    }
    Columns c{common_keys(p, max), common_keys(m, max)};
    c.hidden_params = p.size() - c.params.size();
    c.hidden_metrics = m.size() - c.metrics.size();
    return c;
}

// "metrics/eval.json:accuracy" as a header: the key, with the file below.
std::string key_header(const std::string& key) {
    auto colon = key.rfind(':');
    if (colon == std::string::npos) return e(key);
    return fmt::format("{}<br><small>{}</small>", e(key.substr(colon + 1)), e(key.substr(0, colon)));
}

std::string sort_th(const std::string& label, bool numeric, const std::string& extra = "") {
    return fmt::format("<th scope=\"col\"{}{}><button type=\"button\" class=\"sort\">{}</button></th>", numeric ? " data-numeric class=\"num\"" : "", extra,
                       label);
}

std::string value_td(const std::map<std::string, nlohmann::json>& flat, const std::string& key) {
    auto it = flat.find(key);
    if (it == flat.end()) return "<td class=\"num\"></td>";
    const auto& v = it->second;
    if (v.is_number()) return fmt::format("<td class=\"num\" data-sort=\"{}\">{}</td>", e(fmt::format("{:.17g}", v.get<double>())), e(text_of(v)));
    return "<td>" + e(text_of(v)) + "</td>";
}

std::string runs_table(const SiteData& d, const Columns& cols, std::size_t begin, std::size_t end) {
    std::string s = "<div class=\"scroll\"><table id=\"runs\" class=\"sortable runs\">\n<caption class=\"muted\">Newest first. Sorting and "
                    "filtering need JavaScript; without it the table is complete as it is.</caption>\n<thead><tr>";
    s += "<th scope=\"col\" data-nocompare class=\"js-only\"><span class=\"muted\">Pick</span></th>";
    s += sort_th("Run", false) + sort_th("Stage", false) + sort_th("Status", false) + sort_th("Started", false) +
         sort_th("Duration (s)", true) + sort_th("Commit", false);
    for (const auto& k : cols.params) s += sort_th("param " + key_header(k), false);
    for (const auto& k : cols.metrics) s += sort_th(key_header(k), true);
    s += sort_th("Local objects", false);
    s += "</tr></thead>\n<tbody>\n";
    for (std::size_t i = begin; i < end; ++i) {
        const auto& r = d.runs[i];
        const auto& row = r.row;
        std::map<std::string, nlohmann::json> params, metrics;
        if (r.record) {
            params = flatten(r.record->params);
            metrics = flatten(r.record->metrics);
        }
        std::string commit = row.git_commit.empty() ? "-" : short_id(row.git_commit, 7);
        if (r.record && r.record->code.dirty) commit += "+dirty";
        s += fmt::format("<tr id=\"run-{0}\" data-run=\"{0}\" data-stage=\"{1}\" data-status=\"{2}\">"
                         "<td class=\"js-only\"><input type=\"checkbox\" class=\"pick\" aria-label=\"pick run {0}\"></td>"
                         "<td><a href=\"{3}\"><code>{4}</code></a></td><td>{1}</td><td data-sort=\"{2}\">{5}</td><td>{6}</td>"
                         "<td class=\"num dur\" data-sort=\"{7}\">{7}</td><td><code>{8}</code></td>",
                         e(row.run_id), e(row.stage), e(row.status), e(run_href(d.runs.size(), row.run_id)), e(short_id(row.run_id, 16)),
                         status_html(row.status), e(time_of(row.started_ns)), seconds(row.started_ns, row.ended_ns), e(commit));
        for (const auto& k : cols.params) s += value_td(params, k);
        for (const auto& k : cols.metrics) s += value_td(metrics, k);
        if (!r.record)
            s += "<td class=\"bad\">\u2716 record missing</td>";
        else if (!r.missing.empty())
            s += fmt::format("<td class=\"warn\">\u26A0 {} missing</td>", r.missing.size());
        else
            s += "<td class=\"ok\">\u2714 all here</td>";
        s += "</tr>\n";
    }
    return s + "</tbody></table></div>\n";
}

std::string runs_page_name(std::size_t page_index) { return page_index == 0 ? "runs.html" : fmt::format("runs-{}.html", page_index + 1); }

void runs_pages(const SiteData& d, const RenderOptions& o, Pages& out) {
    auto cols = columns_of(d, o.max_columns);
    std::size_t per = std::max<std::size_t>(1, o.runs_per_page);
    std::size_t pages = std::max<std::size_t>(1, (d.runs.size() + per - 1) / per);
    std::set<std::string> stages, statuses;
    for (const auto& r : d.runs) {
        stages.insert(r.row.stage);
        statuses.insert(r.row.status);
    }
    std::string options_stage = "<option value=\"\">all</option>", options_status = options_stage;
    for (const auto& s : stages) options_stage += fmt::format("<option value=\"{0}\">{0}</option>", e(s));
    for (const auto& s : statuses) options_status += fmt::format("<option value=\"{0}\">{0}</option>", e(s));
    for (std::size_t p = 0; p < pages; ++p) {
        std::string body;
        if (d.runs.empty()) {
            body = "<p>No runs recorded yet. Declare stages in <code>mlops.yaml</code> and run them with <code>mlops run</code>; every "
                   "stage execution is recorded and appears here.</p>\n";
            out[runs_page_name(p)] = page(d, "Runs", "", "runs.html", body);
            continue;
        }
        std::size_t begin = p * per, end = std::min(d.runs.size(), begin + per);
        std::string pager;
        if (pages > 1) {
            pager = "<nav class=\"pages\" aria-label=\"Pages of runs\">Pages: ";
            for (std::size_t q = 0; q < pages; ++q)
                pager += q == p ? fmt::format("<span aria-current=\"page\"><b>{}</b></span>", q + 1)
                                : fmt::format("<a href=\"{}\">{}</a>", runs_page_name(q), q + 1);
            pager += "</nav>\n";
        }
        body += fmt::format("<p>{} run{} recorded{}; this page shows runs {} to {}{}.</p>\n", d.runs.size(), d.runs.size() == 1 ? "" : "s",
                            d.since.empty() ? "" : fmt::format(" at commits since <code>{}</code>", e(d.since)), begin + 1, end,
                            pages > 1 ? fmt::format(" (page {} of {}; filters and sorting apply to this page)", p + 1, pages) : "");
        body += pager;
        body += fmt::format("<form id=\"run-filter\" class=\"filters js-only\" role=\"search\" aria-label=\"Filter runs\">"
                            "<label>Text in any column<input type=\"search\" name=\"q\"></label>"
                            "<label>Stage<select name=\"stage\">{}</select></label><label>Status<select name=\"status\">{}</select></label>"
                            "<label>Seconds at least<input type=\"number\" name=\"min\" min=\"0\" step=\"any\"></label>"
                            "<button type=\"button\" id=\"compare-button\">Compare picked runs</button>"
                            "<output id=\"run-count\" aria-live=\"polite\"></output></form>\n",
                            options_stage, options_status);
        body += "<section id=\"compare\" class=\"js-only\" tabindex=\"-1\" aria-label=\"Comparison of picked runs\"></section>\n";
        body += runs_table(d, cols, begin, end);
        if (cols.hidden_params || cols.hidden_metrics)
            body += fmt::format("<p class=\"muted\">The table shows the {} most common params and metrics; {} more params and {} more metrics "
                                "are on each run's page.</p>\n",
                                o.max_columns, cols.hidden_params, cols.hidden_metrics);
        body += pager;
        out[runs_page_name(p)] = page(d, p == 0 ? "Runs" : fmt::format("Runs, page {}", p + 1), "", "runs.html", body);
    }
}

std::string kv_table(const std::map<std::string, nlohmann::json>& flat, const char* key_name, const char* empty) {
    if (flat.empty()) return fmt::format("<p class=\"muted\">{}</p>\n", empty);
    std::string s = fmt::format("<table><thead><tr><th scope=\"col\">{}</th><th scope=\"col\" class=\"num\">Value</th></tr></thead><tbody>\n", key_name);
    for (const auto& [k, v] : flat) s += fmt::format("<tr><th scope=\"row\">{}</th><td class=\"num\">{}</td></tr>\n", e(k), e(text_of(v)));
    return s + "</tbody></table>\n";
}

std::string object_cell(const std::string& oid, const std::set<std::string>& missing) {
    if (oid.empty()) return "<td>(missing when it ran)</td><td></td>";
    return fmt::format("<td><code>{}</code></td><td>{}</td>", e(oid), missing.contains(oid) ? "<span class=\"bad\">\u2716 not here</span>" : "<span class=\"ok\">\u2714 here</span>");
}

std::string run_page_body(const Run& r, const RenderOptions& o) {
    const auto& row = r.row;
    std::string s;
    s += fmt::format("<p><a href=\"../runs.html#run-{}\">\u2190 all runs</a></p>\n", e(row.run_id));
    if (!r.record) {
        s += fmt::format("<div class=\"notice bad\" role=\"note\"><p><b>\u2716 The run record <code>{}</code> cannot be shown:</b> {}.</p><p>{}</p></div>\n",
                         e(row.oid), e(r.problem), fetch_hint());
        s += fmt::format("<table><tbody><tr><th scope=\"row\">Stage</th><td>{}</td></tr><tr><th scope=\"row\">Status</th><td>{}</td></tr>"
                         "<tr><th scope=\"row\">Started</th><td>{}</td></tr><tr><th scope=\"row\">Duration</th><td>{} s</td></tr>"
                         "<tr><th scope=\"row\">Commit</th><td><code>{}</code></td></tr></tbody></table>\n",
                         e(row.stage), status_html(row.status), e(time_of(row.started_ns)), seconds(row.started_ns, row.ended_ns),
                         e(row.git_commit.empty() ? "-" : row.git_commit));
        return s;
    }
    const auto& rec = *r.record;
    std::set<std::string> missing(r.missing.begin(), r.missing.end());
    if (!missing.empty())
        s += fmt::format("<div class=\"notice\" role=\"note\"><p><b>\u26A0 {} object{} of this run {} not in the local store</b> (marked below).</p><p>{}</p></div>\n",
                         missing.size(), missing.size() == 1 ? "" : "s", missing.size() == 1 ? "is" : "are", fetch_hint());
    s += "<table><tbody>\n";
    auto row_html = [&](const char* k, const std::string& v) { s += fmt::format("<tr><th scope=\"row\">{}</th><td>{}</td></tr>\n", k, v); };
    row_html("Run", "<code>" + e(rec.run_id) + "</code>");
    row_html("Stage", e(rec.stage) + (rec.pipeline.empty() ? "" : " <span class=\"muted\">(" + e(rec.pipeline) + ")</span>"));
    row_html("Status", status_html(rec.status) + (rec.error.empty() ? "" : " \u2014 " + e(rec.error)) + fmt::format(" (exit status {})", rec.exit_status));
    row_html("Command", "<pre>" + e(rec.cmd) + "</pre>");
    if (!rec.wdir.empty()) row_html("Working folder", "<code>" + e(rec.wdir) + "</code>");
    row_html("Started", e(time_of(rec.started_ns)));
    row_html("Ended", e(time_of(rec.ended_ns)) + fmt::format(" ({} s)", seconds(rec.started_ns, rec.ended_ns)));
    row_html("Code commit", rec.code.commit.empty() ? "(no commit)" : "<code>" + e(rec.code.commit) + "</code>");
    if (rec.code.dirty) {
        std::string files;
        for (const auto& f : rec.code.dirty_files) files += (files.empty() ? "" : ", ") + ("<code>" + e(f) + "</code>");
        row_html("Uncommitted changes", files);
    }
    row_html("Environment", fmt::format("host <code>{}</code>, user <code>{}</code>, mlops {}", e(rec.host), e(rec.user), e(rec.tool_version)));
    row_html("Fingerprint", "<code>" + e(rec.fingerprint) + "</code>");
    row_html("Record object", "<code>" + e(row.oid) + "</code>");
    s += "</tbody></table>\n";

    s += "<h2>Inputs</h2>\n";
    if (rec.deps.empty()) {
        s += "<p class=\"muted\">None.</p>\n";
    } else {
        s += table_head({"Path", "Object", "Local store"});
        for (const auto& [path, oid] : rec.deps) s += fmt::format("<tr><td><code>{}</code></td>{}</tr>\n", e(path), object_cell(oid, missing));
        s += "</tbody></table>\n";
    }
    s += "<h2>Outputs</h2>\n";
    if (rec.outs.empty()) {
        s += "<p class=\"muted\">None.</p>\n";
    } else {
        s += table_head({"Path", "Kind", "#Bytes", "#Files", "Object", "Local store"});
        for (const auto& out : rec.outs)
            s += fmt::format("<tr><td><code>{}</code></td><td>{}</td><td class=\"num\">{}</td><td class=\"num\">{}</td>{}</tr>\n", e(out.path),
                             e(out.kind), out.size, out.files, object_cell(out.oid, missing));
        s += "</tbody></table>\n";
    }
    s += "<h2>Params</h2>\n" + kv_table(flatten(rec.params), "Param", "None.");
    s += "<h2>Metrics</h2>\n" + kv_table(flatten(rec.metrics), "Metric", "None.");
    s += "<h2>Log</h2>\n";
    if (rec.log_oid.empty()) {
        s += "<p class=\"muted\">No log was captured.</p>\n";
    } else if (missing.contains(rec.log_oid)) {
        s += fmt::format("<p class=\"bad\">\u2716 The log <code>{}</code> is not in the local store. {}</p>\n", e(rec.log_oid), fetch_hint());
    } else {
        if (r.log_truncated) {
            std::string link = o.repo_link.empty()
                                   ? std::string()
                                   : fmt::format(" <a href=\"../{}.mlops/objects/{}/{}\">The full log</a> is object <code>{}</code> in the store.", e(o.repo_link),
                                                 e(rec.log_oid.substr(0, 2)), e(rec.log_oid.substr(2)), e(rec.log_oid));
            s += fmt::format("<p class=\"notice\">\u26A0 The log has {} bytes; shown are its first and last {} KiB.{} Print it whole with "
                             "<code>mlops runs show {} --log</code>.</p>\n",
                             r.log_size, k_log_limit / 2 / 1024, link, e(rec.run_id));
        }
        s += r.log.empty() ? std::string("<p class=\"muted\">The log is empty.</p>\n") : "<pre class=\"log\">" + e(r.log) + "</pre>\n";
    }
    return s;
}

// ---- metrics ----

// Charts per metrics page: each is at most ~100 KB a series (bounded markers and vertices).
constexpr std::size_t k_metrics_per_page = 12;

std::string metrics_page_name(std::size_t page_index) {
    return page_index == 0 ? "metrics.html" : fmt::format("metrics-{}.html", page_index + 1);
}

void metrics_page(const SiteData& d, Pages& out) {
    // Oldest first: the x axis is the run's place in time.
    std::vector<const Run*> chrono;
    for (auto it = d.runs.rbegin(); it != d.runs.rend(); ++it)
        if (it->record) chrono.push_back(&*it);
    std::map<std::string, std::map<std::string, std::vector<Point>>> by_metric; // metric -> stage -> points
    for (std::size_t i = 0; i < chrono.size(); ++i) {
        const auto& rec = *chrono[i]->record;
        for (const auto& [k, v] : flatten(rec.metrics)) {
            if (!v.is_number()) continue;
            by_metric[k][rec.stage].push_back(
                {double(i), v.get<double>(),
                 fmt::format("run {} ({}), commit {}, {}", short_id(rec.run_id, 8), rec.stage, rec.code.commit.empty() ? "-" : short_id(rec.code.commit, 7),
                             time_of(rec.started_ns))});
        }
    }
    std::string body;
    if (by_metric.empty()) {
        body = "<p>No numeric metrics recorded yet. A stage declares its metrics files under <code>metrics:</code> in <code>mlops.yaml</code>; "
               "every run records their values.</p>\n";
        out["metrics.html"] = page(d, "Metrics over time", "", "metrics.html", body);
        return;
    }
    // Ticks: about eight runs spread over the axis, labelled by their commit.
    std::vector<std::pair<double, std::string>> ticks;
    std::size_t step = std::max<std::size_t>(1, (chrono.size() + 7) / 8);
    for (std::size_t i = 0; i < chrono.size(); i += step) {
        const auto& c = chrono[i]->record->code.commit;
        ticks.push_back({double(i), c.empty() ? fmt::format("#{}", i + 1) : short_id(c, 7)});
    }
    body += fmt::format("<p>{} metric{} over {} run{}, oldest on the left; each stage is a line with its own colour and marker shape. Hover a "
                        "marker for the value, the run and its commit. Pick runs on the <a href=\"runs.html\">Runs</a> page to compare them "
                        "side by side.</p>\n<ul>",
                        by_metric.size(), by_metric.size() == 1 ? "" : "s", chrono.size(), chrono.size() == 1 ? "" : "s");
    // k_metrics_per_page charts a page: a page's size is bounded whatever the number of metrics.
    std::size_t pages = (by_metric.size() + k_metrics_per_page - 1) / k_metrics_per_page;
    std::size_t n = 0;
    for (const auto& [k, series] : by_metric) {
        body += fmt::format("<li><a href=\"{}#metric-{}\">{}</a></li>", metrics_page_name(n / k_metrics_per_page), n, e(k));
        ++n;
    }
    body += "</ul>\n";
    std::string index = body; // the list of every metric heads each page
    std::vector<std::string> chart_pages(pages);
    n = 0;
    for (const auto& [k, by_stage] : by_metric) {
        std::vector<Series> series;
        for (const auto& [stage, pts] : by_stage) series.push_back({stage, pts});
        ChartOptions co;
        co.title = k;
        co.id = fmt::format("metric-{}", n);
        co.x_label = "runs, oldest first (ticks: commit)";
        co.x_ticks = ticks;
        auto& chart_page = chart_pages[n / k_metrics_per_page];
        chart_page += fmt::format("<section aria-label=\"{}\">\n", e(k));
        chart_page += line_chart(series, co);
        chart_page += "</section>\n";
        ++n;
    }
    for (std::size_t p = 1; p < pages; ++p)
        out[metrics_page_name(p)] = page(d, fmt::format("Metrics over time, page {}", p + 1), "", "metrics.html", index + chart_pages[p]);
    body += chart_pages[0];
    // The latest run of each stage side by side: params and metrics, without JavaScript.
    std::map<std::string, const Run*> latest;
    for (const auto& r : d.runs)
        if (r.record && !latest.contains(r.row.stage)) latest[r.row.stage] = &r;
    std::map<std::string, std::vector<std::optional<nlohmann::json>>> rows;
    std::size_t col = 0;
    for (const auto& [stage, r] : latest) {
        for (const auto& [k, v] : flatten(r->record->params)) {
            auto& slot = rows["param " + k];
            slot.resize(latest.size());
            slot[col] = v;
        }
        for (const auto& [k, v] : flatten(r->record->metrics)) {
            auto& slot = rows["metric " + k];
            slot.resize(latest.size());
            slot[col] = v;
        }
        ++col;
    }
    body += "<h2>Latest run of each stage, side by side</h2>\n<div class=\"scroll\"><table><thead><tr><th scope=\"col\">Field</th>";
    for (const auto& [stage, r] : latest)
        body += fmt::format("<th scope=\"col\">{}<br><a href=\"{}\"><small>{}</small></a></th>", e(stage), e(run_href(d.runs.size(), r->row.run_id)),
                            e(short_id(r->row.run_id, 8)));
    body += "</tr></thead><tbody>\n";
    for (auto& [k, vals] : rows) {
        vals.resize(latest.size());
        body += fmt::format("<tr><th scope=\"row\">{}</th>", e(k));
        for (const auto& v : vals) body += fmt::format("<td class=\"num\">{}</td>", v ? e(text_of(*v)) : "");
        body += "</tr>\n";
    }
    body += "</tbody></table></div>\n";
    out["metrics.html"] = page(d, "Metrics over time", "", "metrics.html", body);
}

// ---- models ----

std::string model_anchor(const std::string& name) { return "model-" + name; }
std::string version_anchor(const std::string& name, int v) { return fmt::format("model-{}-v{}", name, v); }

std::string metrics_list(const nlohmann::json& flat, std::size_t max) {
    std::vector<std::string> keys;
    for (const auto& [k, v] : flat.items()) keys.push_back(k);
    // Key metrics first: the ones people promote on.
    auto rank = [](const std::string& k) {
        for (const char* w : {"accuracy", "f1", "auc", "rmse", "mae", "loss", "precision", "recall", "r2"})
            if (k.find(w) != std::string::npos) return 0;
        return 1;
    };
    std::stable_sort(keys.begin(), keys.end(), [&](const auto& a, const auto& b) { return std::pair(rank(a), a) < std::pair(rank(b), b); });
    std::string s;
    for (std::size_t i = 0; i < keys.size() && i < max; ++i) s += fmt::format("{}{} = {}", s.empty() ? "" : "<br>", e(keys[i]), e(text_of(flat[keys[i]])));
    if (keys.size() > max) s += fmt::format("<br><small>and {} more</small>", keys.size() - max);
    return s.empty() ? "-" : s;
}

std::string gates_html(const nlohmann::json& gates) {
    if (!gates.is_array() || gates.empty()) return "<span class=\"muted\">no gates</span>";
    std::string s;
    for (const auto& g : gates) {
        bool ok = g.value("ok", false);
        std::string detail = fmt::format("{} = {}", g.value("metric", ""), g.contains("value") ? text_of(g["value"]) : "-");
        if (g.contains("current") && !g["current"].is_null()) detail += ", current " + text_of(g["current"]);
        if (!g.value("note", "").empty()) detail += "; " + g.value("note", "");
        s += fmt::format("{}{} <code>{}</code> <small>({})</small>", s.empty() ? "" : "<br>", ok ? "<span class=\"ok\">\u2714</span>" : "<span class=\"bad\">\u2716</span>",
                         e(g.value("gate", "")), e(detail));
    }
    return s;
}

void models_page(const SiteData& d, Pages& out) {
    auto ids = runs_by_id(d);
    std::string body;
    if (d.models.empty()) {
        body = "<p>No models registered yet. Register a model folder or a run's output with <code>mlops model register NAME PATH</code> and "
               "promote it with <code>mlops model promote NAME VERSION --to production</code> (docs/registry.md).</p>\n";
        out["models.html"] = page(d, "Models", "", "models.html", body);
        return;
    }
    body += "<ul>";
    for (const auto& m : d.models)
        body += fmt::format("<li><a href=\"#{}\">{}</a> ({} version{})</li>", e(model_anchor(m.state.name)), e(m.state.name), m.state.versions.size(),
                            m.state.versions.size() == 1 ? "" : "s");
    body += "</ul>\n";
    for (const auto& m : d.models) {
        const auto& st = m.state;
        body += fmt::format("<section id=\"{}\"><h2>{}</h2>\n", e(model_anchor(st.name)), e(st.name));
        body += "<h3>Aliases</h3>\n";
        if (st.aliases.empty()) {
            body += "<p class=\"muted\">None.</p>\n";
        } else {
            body += table_head({"Alias", "Version", "Since"});
            for (const auto& [alias, entry] : st.aliases) {
                const auto* v = st.entry(entry);
                const auto* ev = st.latest_event(alias);
                body += fmt::format("<tr><th scope=\"row\">{}</th><td>{}</td><td>{}</td></tr>\n", e(alias),
                                    v ? fmt::format("<a href=\"#{}\">{}</a>", e(version_anchor(st.name, v->version)), v->version) : "-",
                                    ev ? e(time_of(ev->time_ns)) : "-");
            }
            body += "</tbody></table>\n";
        }
        body += "<h3>Versions</h3>\n<div class=\"scroll\">" + table_head({"Version", "Aliases", "Registered", "From", "Run", "Model object", "Metrics", "Input signature", "Signatures", "Explanations"});
        for (auto it = st.versions.rbegin(); it != st.versions.rend(); ++it) {
            const auto& v = *it;
            std::string aliases;
            for (const auto& a : st.aliases_of(v.oid)) aliases += (aliases.empty() ? "" : ", ") + e(a);
            std::string signature = "-";
            if (v.signature.is_object() || v.signature.is_array()) {
                auto text = v.signature.dump();
                signature = "<code>" + e(text.size() > 240 ? text.substr(0, 239) + "\u2026" : text) + "</code>";
            }
            std::string sigs = "-";
            if (auto s = m.signatures.find(v.oid); s != m.signatures.end()) {
                sigs.clear();
                for (const auto& sig : s->second)
                    sigs += fmt::format("{}key <code>{}</code> by {} at {}", sigs.empty() ? "" : "<br>", e(sig.key_id), e(sig.user), e(time_of(sig.time_ns)));
            }
            std::string expl = "-";
            if (auto x = m.explanations.find(v.oid); x != m.explanations.end()) {
                expl.clear();
                for (const auto& ex : x->second)
                    expl += fmt::format("{}{} on <code>{}</code>: {} <small>(object <code>{}</code>)</small>", expl.empty() ? "" : "<br>", e(ex.method),
                                        e(ex.data), e(registry::explanation_summary(ex)), e(short_id(ex.oid)));
            }
            body += fmt::format("<tr id=\"{}\"><th scope=\"row\">{}</th><td>{}</td><td>{}<br><small>by {}</small></td><td><code>{}</code></td><td>{}</td>"
                                "<td><code>{}</code> <small>{}</small></td><td>{}</td><td>{}</td><td>{}</td><td>{}</td></tr>\n",
                                e(version_anchor(st.name, v.version)), v.version, aliases.empty() ? "-" : aliases, e(time_of(v.created_ns)),
                                e(v.user), e(v.source), run_link(ids, v.run_id, ""), e(short_id(v.model_oid)), e(v.model_kind),
                                metrics_list(v.metrics, 6), signature, sigs, expl);
        }
        body += "</tbody></table></div>\n<h3>Promotion history</h3>\n";
        if (st.events.empty()) {
            body += "<p class=\"muted\">No alias was ever set.</p>\n";
        } else {
            body += table_head({"When", "Alias", "Action", "From", "To", "Gates", "By"});
            for (auto it = st.events.rbegin(); it != st.events.rend(); ++it) {
                const auto& ev = *it;
                body += fmt::format("<tr><td>{}</td><td>{}</td><td>{}</td><td>{}</td><td>{}</td><td>{}</td><td>{}</td></tr>\n", e(time_of(ev.time_ns)),
                                    e(ev.alias), e(ev.action), ev.from_entry.empty() ? "-" : fmt::format("version {}", ev.from_version),
                                    ev.to_entry.empty() ? "-" : fmt::format("version {}", ev.to_version), gates_html(ev.gates), e(ev.user));
            }
            body += "</tbody></table>\n";
        }
        if (!st.conflicts.empty()) {
            body += "<h3>Reconciled conflicts</h3><ul>";
            for (const auto& c : st.conflicts) body += "<li>" + e(c) + "</li>";
            body += "</ul>\n";
        }
        body += "</section>\n";
    }
    out["models.html"] = page(d, "Models", "", "models.html", body);
}

// ---- lineage ----

void lineage_page(const SiteData& d, Pages& out) {
    const auto& g = d.graph;
    std::string body;
    if (g.nodes.empty()) {
        body = "<p>Nothing to draw yet: lineage links tracked data (<code>mlops add</code>), pipeline runs (<code>mlops run</code>) and "
               "registered models. Each appears here once it exists.</p>\n";
        out["lineage.html"] = page(d, "Lineage", "", "lineage.html", body);
        return;
    }
    auto ids = runs_by_id(d);
    auto href = [&](std::size_t i) -> std::string {
        const auto& n = g.nodes[i];
        if (n.kind == lineage::NodeKind::run) {
            auto id = n.details.value("run_id", "");
            if (ids.contains(id)) return run_href(d.runs.size(), id);
        }
        if (n.kind == lineage::NodeKind::version)
            return "models.html#" + version_anchor(n.details.value("name", ""), n.details.value("version", 0));
        if (n.kind == lineage::NodeKind::alias) return "models.html#" + model_anchor(n.details.value("name", ""));
        return fmt::format("#node-{}", i);
    };
    std::size_t runs = 0, artifacts = 0;
    for (const auto& n : g.nodes) {
        runs += n.kind == lineage::NodeKind::run;
        artifacts += n.kind == lineage::NodeKind::artifact;
    }
    body += fmt::format("<p>{} nodes ({} data and model objects, {} runs), {} edges, drawn left to right from sources to what was made of them. "
                        "Every node is a link: runs to their page, model versions and aliases to the registry, data to its details below.{}</p>\n",
                        g.nodes.size(), artifacts, runs, g.edges.size(),
                        d.graph_runs_left_out
                            ? fmt::format(" This project has many runs: the graph shows the latest run of each stage ({} earlier runs left out; "
                                          "<code>mlops lineage TARGET</code> shows any of them).",
                                          d.graph_runs_left_out)
                            : "");
    body += "<p class=\"legend\">Colours and labels: <span>data / artifact (blue)</span>, <span>run (orange)</span>, <span>model version (green)</span>, "
            "<span>alias (purple)</span>, <span>explanation (yellow)</span>; the second line of each box says which it is.</p>\n";
    body += "<div class=\"graph\" id=\"lineage-graph\">\n" + lineage::svg(g, href) + "</div>\n<h2>Data and model objects</h2>\n";
    // Details of the nodes without a page of their own, in drawing order (layer, label).
    std::vector<std::size_t> order;
    for (std::size_t i = 0; i < g.nodes.size(); ++i)
        if (g.nodes[i].kind == lineage::NodeKind::artifact || g.nodes[i].kind == lineage::NodeKind::explanation) order.push_back(i);
    std::sort(order.begin(), order.end(), [&](std::size_t a, std::size_t b) {
        const auto &x = g.nodes[a], &y = g.nodes[b];
        return std::tuple(x.details.value("layer", 0), x.label, x.id) < std::tuple(y.details.value("layer", 0), y.label, y.id);
    });
    for (auto i : order) {
        const auto& n = g.nodes[i];
        body += fmt::format("<section class=\"node\" id=\"node-{}\"><h3>{} <small>{}</small></h3><ul>", i, e(n.label), e(lineage::describe(n)));
        for (const auto& [k, v] : n.details.items()) {
            if (k == "layer" || k == "target" || k == "latest_for") continue;
            body += fmt::format("<li>{}: <code>{}</code></li>", e(k), e(v.is_string() ? v.get<std::string>() : v.dump()));
        }
        for (const auto& edge : g.edges) {
            if (edge.to == i) body += fmt::format("<li>\u2190 {} <a href=\"{}\">{}</a></li>", e(edge.kind), e(href(edge.from)), e(g.nodes[edge.from].label));
            if (edge.from == i) body += fmt::format("<li>\u2192 {} <a href=\"{}\">{}</a></li>", e(edge.kind), e(href(edge.to)), e(g.nodes[edge.to].label));
        }
        body += "</ul></section>\n";
    }
    out["lineage.html"] = page(d, "Lineage", "", "lineage.html", body);
}

// ---- health ----

std::string drift_verdict(const nlohmann::json& saved) {
    const auto& r = saved["report"];
    auto ds = r.value("dataset_drift", nlohmann::json::object());
    bool drifted = r.value("drift_detected", false);
    return fmt::format("{} \u2014 {} of {} columns drifted (share {}, threshold {})",
                       drifted ? "<span class=\"bad\">\u2716 drift detected</span>" : "<span class=\"ok\">\u2714 no drift</span>",
                       ds.value("drifted_columns", 0), ds.value("columns", 0), e(text_of(ds.value("share", nlohmann::json()))),
                       e(text_of(ds.value("threshold", nlohmann::json()))));
}

std::string figure(const nlohmann::json& figures, const char* name, double scale = 1, const char* suffix = "") {
    if (!figures.contains(name) || !figures[name].is_number()) return "-";
    return format_number(std::round(figures[name].get<double>() * scale * 1000) / 1000) + suffix;
}

void health_page(const SiteData& d, Pages& out) {
    std::string body;
    body += "<h2>Drift</h2>\n";
    if (d.drift.empty()) {
        body += "<p class=\"muted\">No drift report yet. <code>mlops drift REFERENCE CURRENT</code> run in this repository keeps its latest "
                "report per pair of inputs for this page (docs/drift.md).</p>\n";
    }
    for (std::size_t i = 0; i < d.drift.size(); ++i) {
        const auto& saved = d.drift[i];
        const auto& r = saved["report"];
        body += fmt::format("<section id=\"drift-{}\"><h3><code>{}</code> vs <code>{}</code></h3>\n<p>{} <small>({})</small></p>\n", i,
                            e(saved.value("reference", "")), e(saved.value("current", "")), drift_verdict(saved), e(saved.value("time", "")));
        body += table_head({"Column", "Type", "Test", "#Score", "#Threshold", "Drift"});
        for (const auto& c : r.value("columns", nlohmann::json::array()))
            body += fmt::format("<tr><th scope=\"row\">{}</th><td>{}</td><td>{}</td><td class=\"num\">{}</td><td class=\"num\">{}</td><td>{}</td></tr>\n",
                                e(c.value("name", "")), e(c.value("type", "")), e(c.value("test", "")), e(text_of(c.value("score", nlohmann::json()))),
                                e(text_of(c.value("threshold", nlohmann::json()))), yes_no(!c.value("drifted", false), "no", "drifted"));
        body += "</tbody></table></section>\n";
    }
    body += "<h2>Monitoring</h2>\n";
    if (d.monitors.empty())
        body += "<p class=\"muted\">No monitor yet. <code>mlops monitor LOG --rules RULES</code> run in this repository keeps its alert state and "
                "its last windows for this page (docs/monitoring.md).</p>\n";
    for (const auto& m : d.monitors) {
        const auto& last = m.last;
        std::string title = last.is_object() ? last.value("rules_file", m.id) : m.id;
        body += fmt::format("<section id=\"monitor-{}\"><h3>Rules <code>{}</code></h3>\n", e(m.id), e(title));
        if (last.is_object())
            body += fmt::format("<p>Last run judged up to {} with windows of {} s over <code>{}</code>.</p>\n", e(last.value("now", "-")),
                                e(text_of(last.value("window_s", nlohmann::json()))), e(joined(last.value("logs", nlohmann::json()))));
        body += table_head({"Rule", "State", "Since", "Expression"});
        const auto rules = m.state.value("rules", nlohmann::json::object()); // items() must not outlive it
        for (const auto& [name, r] : rules.items()) {
            std::string state = r.value("state", "");
            std::string cell = state == "firing"    ? "<span class=\"bad\">\u2716 firing</span>"
                               : state == "pending" ? "<span class=\"warn\">\u25B2 pending</span>"
                                                    : "<span class=\"ok\">\u2714 " + e(state) + "</span>";
            body += fmt::format("<tr><th scope=\"row\">{}</th><td>{}</td><td>{}</td><td><code>{}</code></td></tr>\n", e(name), cell,
                                e(text_of(r.value("since", nlohmann::json()))), e(r.value("expr", "")));
        }
        body += "</tbody></table>\n";
        if (!last.is_object()) {
            body += "<p class=\"muted\">No windows saved (the state was written by an older mlops); the next <code>mlops monitor</code> run saves them.</p></section>\n";
            continue;
        }
        auto windows = last.value("windows", nlohmann::json::array());
        std::vector<Series> lat(3), err(1);
        const char* names[] = {"latency_p50_ms", "latency_p95_ms", "latency_p99_ms"};
        for (int k = 0; k < 3; ++k) lat[k].name = names[k];
        err[0].name = "error_rate";
        std::vector<std::pair<double, std::string>> ticks;
        std::size_t step = std::max<std::size_t>(1, (windows.size() + 5) / 6);
        for (std::size_t i = 0; i < windows.size(); ++i) {
            const auto& w = windows[i];
            auto f = w.value("figures", nlohmann::json::object());
            std::string start = w.value("start", "");
            for (int k = 0; k < 3; ++k)
                if (f.contains(names[k]) && f[names[k]].is_number()) lat[k].points.push_back({double(i), f[names[k]].get<double>(), "window " + start});
            if (f.contains("error_rate") && f["error_rate"].is_number()) err[0].points.push_back({double(i), f["error_rate"].get<double>(), "window " + start});
            if (i % step == 0) ticks.push_back({double(i), start.substr(0, 16)});
        }
        ChartOptions co;
        co.title = "Latency percentiles (ms) per window";
        co.id = "latency-" + m.id;
        co.x_label = "windows (start, UTC)";
        co.x_ticks = ticks;
        body += line_chart(lat, co);
        co.title = "Error rate per window";
        co.id = "errors-" + m.id;
        body += line_chart(err, co);
        body += "<div class=\"scroll\">" + table_head({"Window start", "#Requests", "#Error rate", "#p50 ms", "#p95 ms", "#p99 ms", "#Accuracy", "#Drift share"}, "windows");
        for (const auto& w : windows) {
            auto f = w.value("figures", nlohmann::json::object());
            body += fmt::format("<tr><th scope=\"row\">{}{}</th><td class=\"num\">{}</td><td class=\"num\">{}</td><td class=\"num\">{}</td><td class=\"num\">{}</td>"
                                "<td class=\"num\">{}</td><td class=\"num\">{}</td><td class=\"num\">{}</td></tr>\n",
                                e(w.value("start", "")), w.value("open", false) ? " <small>(open)</small>" : "", figure(f, "requests"),
                                figure(f, "error_rate", 100, "%"), figure(f, "latency_p50_ms"), figure(f, "latency_p95_ms"), figure(f, "latency_p99_ms"),
                                figure(f, "accuracy"), figure(f, "drift_share"));
        }
        body += "</tbody></table></div>\n<h4>Alerts that fired</h4>\n";
        auto events = last.value("events", nlohmann::json::array());
        if (events.empty()) {
            body += "<p class=\"muted\">None.</p>\n";
        } else {
            body += table_head({"Window", "Rule", "State", "Severity", "Values", "Summary"});
            for (auto it = events.rbegin(); it != events.rend(); ++it) {
                const auto& ev = *it;
                std::string values;
                const auto vals = ev.value("values", nlohmann::json::object());
                for (const auto& [k, v] : vals.items()) values += (values.empty() ? "" : ", ") + k + "=" + text_of(v);
                bool firing = ev.value("state", "") == "firing";
                body += fmt::format("<tr><td>{}</td><th scope=\"row\">{}</th><td>{}</td><td>{}</td><td>{}</td><td>{}</td></tr>\n",
                                    e(ev.value("window", nlohmann::json::object()).value("start", "")), e(ev.value("rule", "")),
                                    firing ? "<span class=\"bad\">\u2716 firing</span>" : "<span class=\"ok\">\u2714 resolved</span>", e(ev.value("severity", "")),
                                    e(values), e(ev.value("summary", "")));
            }
            body += "</tbody></table>\n";
        }
        body += "</section>\n";
    }
    body += "<h2>Continuous training</h2>\n";
    if (d.watch.empty()) {
        body += "<p class=\"muted\">No trigger has fired (<code>mlops watch</code>, docs/monitoring.md).</p>\n";
    } else {
        body += table_head({"When", "Trigger", "On", "Reason", "Result"});
        for (auto it = d.watch.rbegin(); it != d.watch.rend(); ++it) {
            const auto& w = *it;
            std::string result;
            for (const auto& [k, v] : w.items())
                if (k != "time" && k != "trigger" && k != "on" && k != "reason" && k != "fingerprint")
                    result += (result.empty() ? "" : "; ") + k + ": " + (v.is_string() ? v.get<std::string>() : v.dump());
            if (result.size() > 400) result = result.substr(0, 399) + "\u2026";
            body += fmt::format("<tr><td>{}</td><th scope=\"row\">{}</th><td>{}</td><td>{}</td><td><small>{}</small></td></tr>\n", e(w.value("time", "")),
                                e(w.value("trigger", "")), e(w.value("on", "")), e(w.value("reason", "")), e(result));
        }
        body += "</tbody></table>\n";
    }
    out["health.html"] = page(d, "Health", "", "health.html", body);
}

// ---- overview ----

bool empty_project(const SiteData& d) {
    return d.runs.empty() && d.models.empty() && d.graph.nodes.empty() && !d.has_pipeline && d.drift.empty() && d.monitors.empty() && d.watch.empty();
}

void overview_page(const SiteData& d, Pages& out) {
    std::string body;
    if (empty_project(d)) {
        body = R"(<div class="notice" role="note"><p><b>This project has nothing to show yet.</b> The site fills in as you use mlops:</p>
<ol>
<li>Track data: <code>mlops add data/</code> (then commit the <code>.mlops</code> pointer files with git).</li>
<li>Declare stages in <code>mlops.yaml</code> (<code>cmd</code>, <code>deps</code>, <code>outs</code>, <code>metrics</code>; docs/pipelines.md) and run them: <code>mlops run</code>. Every run is recorded with its inputs, params, metrics and log.</li>
<li>Register and promote a model: <code>mlops model register NAME PATH</code>, <code>mlops model promote NAME 1 --to production</code>.</li>
<li>Check drift and monitor the served model: <code>mlops drift REFERENCE CURRENT</code>, <code>mlops monitor LOG --rules RULES</code>.</li>
<li>Make this site again: <code>mlops report site</code>.</li>
</ol></div>
)";
        out["index.html"] = page(d, "Overview", "", "index.html", body);
        return;
    }
    body += "<div class=\"cards\">\n";
    // Latest run.
    body += "<section class=\"card\" aria-labelledby=\"latest-h\"><h2 id=\"latest-h\">Latest run</h2>\n";
    if (d.runs.empty()) {
        body += "<p class=\"muted\">No runs yet: <code>mlops run</code>.</p>\n";
    } else {
        const auto& r = d.runs.front();
        body += fmt::format("<p id=\"latest-run\"><a href=\"{}\">{}</a> \u2014 {}<br><small>{}, commit <code>{}</code></small></p>\n", e(run_href(d.runs.size(), r.row.run_id)),
                            e(r.row.stage), status_html(r.row.status), e(time_of(r.row.started_ns)),
                            e(r.row.git_commit.empty() ? "-" : short_id(r.row.git_commit, 7)));
        std::size_t failed = 0;
        for (const auto& x : d.runs) failed += x.row.status != "succeeded";
        body += fmt::format("<p>{} run{} recorded, {} not succeeded. <a href=\"runs.html\">All runs</a></p>\n", d.runs.size(), d.runs.size() == 1 ? "" : "s", failed);
    }
    body += "</section>\n";
    // Pipeline status.
    body += "<section class=\"card\" aria-labelledby=\"pipeline-h\"><h2 id=\"pipeline-h\">Pipeline</h2>\n";
    if (!d.has_pipeline) {
        body += "<p class=\"muted\">No <code>mlops.yaml</code>.</p>\n";
    } else if (!d.pipeline_problem.empty()) {
        body += fmt::format("<p class=\"bad\">\u2716 {}</p>\n", e(d.pipeline_problem));
    } else {
        std::size_t stale = 0;
        for (const auto& s : d.stages) stale += !s.reasons.empty();
        body += fmt::format("<p id=\"stages-out-of-date\">{}</p>\n", stale == 0 ? yes_no(true, fmt::format("all {} stages up to date", d.stages.size()), "")
                                                                              : yes_no(false, "", fmt::format("{} of {} stages out of date", stale, d.stages.size())));
        body += "<table><tbody>\n";
        for (const auto& s : d.stages) {
            std::string why;
            for (std::size_t i = 0; i < s.reasons.size() && i < 3; ++i) why += (why.empty() ? "" : "; ") + s.reasons[i];
            if (s.reasons.size() > 3) why += fmt::format("; and {} more", s.reasons.size() - 3);
            body += fmt::format("<tr><th scope=\"row\">{}</th><td>{}</td></tr>\n", e(s.stage),
                                s.reasons.empty() ? yes_no(true, "up to date", "") : yes_no(false, "", "out of date") + "<br><small>" + e(why) + "</small>");
        }
        body += "</tbody></table>\n";
    }
    body += "</section>\n";
    // Models in production.
    body += "<section class=\"card\" aria-labelledby=\"models-h\"><h2 id=\"models-h\">Models</h2>\n";
    if (d.models.empty()) {
        body += "<p class=\"muted\">None registered: <code>mlops model register</code>.</p>\n";
    } else {
        body += "<table><tbody>\n";
        for (const auto& m : d.models) {
            const auto& st = m.state;
            if (st.aliases.empty()) {
                body += fmt::format("<tr><th scope=\"row\"><a href=\"models.html#{}\">{}</a></th><td>{} version{}, no alias</td></tr>\n", e(model_anchor(st.name)),
                                    e(st.name), st.versions.size(), st.versions.size() == 1 ? "" : "s");
                continue;
            }
            // production first, then the other aliases by name.
            std::vector<std::string> aliases;
            if (st.aliases.contains("production")) aliases.push_back("production");
            for (const auto& [a, entry] : st.aliases)
                if (a != "production") aliases.push_back(a);
            for (const auto& a : aliases) {
                const auto* v = st.holder(a);
                if (!v) continue;
                body += fmt::format("<tr><th scope=\"row\"><a href=\"models.html#{}\">{}@{}</a></th><td>version {}<br><small>{}</small></td></tr>\n",
                                    e(version_anchor(st.name, v->version)), e(st.name), e(a), v->version, metrics_list(v->metrics, 3));
            }
        }
        body += "</tbody></table>\n";
    }
    body += "</section>\n";
    // Alerts.
    body += "<section class=\"card\" aria-labelledby=\"alerts-h\"><h2 id=\"alerts-h\">Open alerts</h2>\n";
    std::string alerts;
    for (const auto& m : d.monitors) {
        const auto rules = m.state.value("rules", nlohmann::json::object()); // items() must not outlive it
        for (const auto& [name, r] : rules.items()) {
            std::string state = r.value("state", "");
            if (state != "firing" && state != "pending") continue;
            alerts += fmt::format("<li>{} <b>{}</b> <small>since {}</small></li>",
                                  state == "firing" ? "<span class=\"bad\">\u2716 firing</span>" : "<span class=\"warn\">\u25B2 pending</span>", e(name),
                                  e(text_of(r.value("since", nlohmann::json()))));
        }
    }
    if (alerts.empty())
        body += d.monitors.empty() ? "<p class=\"muted\">No monitor yet: <code>mlops monitor LOG --rules RULES</code>.</p>\n"
                                   : "<p id=\"open-alerts\">" + yes_no(true, "no alert firing", "") + "</p>\n";
    else
        body += "<ul id=\"open-alerts\">" + alerts + "</ul>\n";
    body += "</section>\n";
    // Drift.
    body += "<section class=\"card\" aria-labelledby=\"drift-h\"><h2 id=\"drift-h\">Latest drift check</h2>\n";
    if (d.drift.empty())
        body += "<p class=\"muted\">None yet: <code>mlops drift REFERENCE CURRENT</code>.</p>\n";
    else
        body += fmt::format("<p id=\"latest-drift\"><code>{}</code> vs <code>{}</code>: {}<br><small>{}</small> <a href=\"health.html#drift-0\">Details</a></p>\n",
                            e(d.drift[0].value("reference", "")), e(d.drift[0].value("current", "")), drift_verdict(d.drift[0]),
                            e(d.drift[0].value("time", "")));
    body += "</section>\n</div>\n";
    // Latest run of each stage.
    if (!d.runs.empty()) {
        std::map<std::string, const Run*> latest;
        for (const auto& r : d.runs)
            if (!latest.contains(r.row.stage)) latest[r.row.stage] = &r;
        body += "<h2>Latest run of each stage</h2>\n" + table_head({"Stage", "Run", "Status", "Started", "#Seconds", "Commit"});
        for (const auto& [stage, r] : latest)
            body += fmt::format("<tr><th scope=\"row\">{}</th><td><a href=\"{}\"><code>{}</code></a></td><td>{}</td><td>{}</td><td class=\"num\">{}</td><td><code>{}</code></td></tr>\n",
                                e(stage), e(run_href(d.runs.size(), r->row.run_id)), e(short_id(r->row.run_id, 16)), status_html(r->row.status), e(time_of(r->row.started_ns)),
                                seconds(r->row.started_ns, r->row.ended_ns), e(r->row.git_commit.empty() ? "-" : short_id(r->row.git_commit, 7)));
        body += "</tbody></table>\n";
    }
    out["index.html"] = page(d, "Overview", "", "index.html", body);
}

} // namespace

std::string run_page(const std::string& run_id) {
    std::string s;
    for (char ch : run_id) s += std::isalnum(static_cast<unsigned char>(ch)) || ch == '-' || ch == '_' ? ch : '_';
    return (s.empty() ? std::string("_") : s) + ".html";
}

std::size_t run_group_chars(std::size_t runs) {
    if (runs <= k_single_run_pages) return 0;
    std::size_t chars = 1;
    for (double pages = 16; double(runs) / pages > 64; pages *= 16) ++chars;
    return chars;
}

std::string run_href(std::size_t runs, const std::string& run_id) {
    auto file = run_page(run_id);
    std::size_t chars = run_group_chars(runs);
    if (chars == 0) return "runs/" + file;
    return fmt::format("runs/{}.html#run-{}", file.substr(0, chars), run_id);
}

std::map<std::string, nlohmann::json> flatten(const nlohmann::json& by_file) {
    std::map<std::string, nlohmann::json> out;
    std::function<void(const nlohmann::json&, const std::string&)> walk = [&](const nlohmann::json& j, const std::string& prefix) {
        if (!j.is_object()) {
            out[prefix] = j;
            return;
        }
        for (const auto& [k, v] : j.items()) walk(v, prefix.ends_with(":") ? prefix + k : prefix + "." + k);
    };
    if (!by_file.is_object()) return out;
    for (const auto& [file, values] : by_file.items()) walk(values, file + ":");
    return out;
}

Pages render(const SiteData& d, const RenderOptions& o) {
    Pages out;
    out["style.css"] = k_css;
    out["site.js"] = k_js;
    overview_page(d, out);
    runs_pages(d, o, out);
    if (std::size_t chars = run_group_chars(d.runs.size()); chars == 0) {
        for (const auto& r : d.runs)
            out["runs/" + run_page(r.row.run_id)] =
                page(d, fmt::format("Run {} ({})", short_id(r.row.run_id, 16), r.row.stage), "../", "runs.html", run_page_body(r, o));
    } else {
        // Grouped: runs/<prefix>.html, a section per run, in the runs table's order.
        std::map<std::string, std::string> groups;
        for (const auto& r : d.runs) {
            auto& body = groups[run_page(r.row.run_id).substr(0, chars)];
            body += fmt::format("<section id=\"run-{}\"><h2>Run {} ({})</h2>\n{}</section>\n", e(r.row.run_id), e(short_id(r.row.run_id, 16)),
                                e(r.row.stage), run_page_body(r, o));
        }
        for (const auto& [prefix, body] : groups)
            out["runs/" + prefix + ".html"] = page(d, fmt::format("Runs {}\u2026", prefix), "../", "runs.html", body);
    }
    metrics_page(d, out);
    models_page(d, out);
    lineage_page(d, out);
    health_page(d, out);
    return out;
}

} // namespace mlops::site
