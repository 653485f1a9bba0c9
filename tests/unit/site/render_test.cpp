#include <catch2/catch.hpp>

#include "occurrences.hpp"

#include <algorithm>
#include <regex>

#include <mlops/site/render.hpp>

using namespace mlops;

namespace {

site::Run make_run(int i, const std::string& stage, const std::string& status) {
    site::Run r;
    // Like mlops run's ids: random-looking hex (here the index's digits, reversed, after a fixed prefix
    // for the first check below).
    auto digits = fmt::format("{:012x}", i);
    std::reverse(digits.begin(), digits.end());
    r.row.run_id = i < 100 ? fmt::format("{:04x}{:012x}", 0xabcd, i) : digits + "abcd";
    r.row.oid = fmt::format("{:064x}", 0x1000 + i);
    r.row.stage = stage;
    r.row.status = status;
    r.row.started_ns = 1'700'000'000'000'000'000 + std::int64_t(i) * 1'000'000'000;
    r.row.ended_ns = r.row.started_ns + 1'500'000'000;
    r.row.git_commit = fmt::format("{:040x}", 0xc0ffee00 + i / 10);
    pipeline::RunRecord rec;
    rec.run_id = r.row.run_id;
    rec.stage = stage;
    rec.cmd = "python3 train.py";
    rec.code.commit = r.row.git_commit;
    rec.started_ns = r.row.started_ns;
    rec.ended_ns = r.row.ended_ns;
    rec.status = status;
    rec.params = {{"params.yaml", {{"lr", 0.01 * (i + 1)}, {"model", {{"depth", i % 5}}}}}};
    rec.metrics = {{"metrics.json", {{"accuracy", 0.5 + 0.001 * i}}}};
    rec.deps["data/train.csv"] = std::string(64, 'd');
    rec.outs.push_back({"models/m", std::string(64, 'e'), "dir", 10, 2, true});
    rec.log_oid = std::string(64, 'f');
    r.log = "epoch 1\n";
    r.log_size = r.log.size();
    r.record = rec;
    return r;
}

site::SiteData sample(int runs) {
    site::SiteData d;
    d.project = "demo";
    d.head = std::string(40, 'a');
    for (int i = runs - 1; i >= 0; --i) d.runs.push_back(make_run(i, i % 2 ? "train" : "evaluate", i % 7 == 3 ? "failed" : "succeeded"));
    return d;
}


} // namespace

TEST_CASE("site: pages are the same bytes for the same data, with every section present", "[site]") {
    auto d = sample(30);
    auto a = site::render(d, {});
    auto b = site::render(d, {});
    CHECK(a == b);
    for (const char* p : {"index.html", "runs.html", "metrics.html", "models.html", "lineage.html", "health.html", "style.css", "site.js"})
        CHECK(a.contains(p));
    CHECK(a.contains("runs/" + site::run_page(d.runs[0].row.run_id)));
    // The runs table holds every run with its metric as a sortable number.
    const auto& runs = a["runs.html"];
    CHECK(test::occurrences(runs, "<tr id=\"run-") == 30);
    CHECK(runs.find("data-sort=\"0.52") != std::string::npos); // accuracy of run 29
    // A chart per metric with a marker and hover text per run.
    const auto& metrics = a["metrics.html"];
    CHECK(test::occurrences(metrics, "class=\"marker\"") >= 30);
    CHECK(metrics.find("<title>train = 0.529 \u2014 run abcd0000 (train), commit") != std::string::npos);
    CHECK(metrics.find("metrics.json:accuracy") != std::string::npos);
}

TEST_CASE("site: the runs table is paginated", "[site]") {
    auto d = sample(2500);
    site::RenderOptions o;
    auto pages = site::render(d, o);
    CHECK(pages.contains("runs.html"));
    CHECK(pages.contains("runs-2.html"));
    CHECK(pages.contains("runs-3.html"));
    CHECK_FALSE(pages.contains("runs-4.html"));
    CHECK(test::occurrences(pages["runs.html"], "<tr id=\"run-") == 1000);
    CHECK(test::occurrences(pages["runs-3.html"], "<tr id=\"run-") == 500);
    std::size_t largest = 0;
    for (const auto& [path, content] : pages) largest = std::max(largest, content.size());
    CHECK(largest < 5'000'000);
    // 2,500 runs: the run pages are grouped by the ids' first characters, each run a section.
    REQUIRE(site::run_group_chars(2500) == 2); // 256 pages of about 10 runs
    CHECK(site::run_group_chars(2000) == 0);
    CHECK(site::run_group_chars(100000) == 3);
    std::size_t groups = 0;
    for (const auto& [path, content] : pages)
        if (path.starts_with("runs/")) {
            ++groups;
            CHECK(path.size() == std::string("runs/xx.html").size());
        }
    CHECK(groups == 256);
    const auto& r = d.runs[1234].row.run_id;
    auto href = site::run_href(d.runs.size(), r);
    CHECK(href == "runs/" + r.substr(0, 2) + ".html#run-" + r);
    CHECK(pages["runs/" + r.substr(0, 2) + ".html"].find("<section id=\"run-" + r + "\">") != std::string::npos);
    CHECK(pages["runs-2.html"].find("href=\"" + href + "\"") != std::string::npos);
}

TEST_CASE("site: names and values with HTML characters are escaped everywhere", "[site]") {
    auto d = sample(3);
    auto& r = d.runs[0];
    r.row.stage = "<script>alert(1)</script>";
    r.record->stage = r.row.stage;
    r.record->params = {{"params.yaml", {{"note", "<script>alert(2)</script>"}}}};
    r.record->metrics = {{"metrics.json", {{"<script>alert(3)</script>", 1.0}}}};
    r.log = "<b>not bold</b>";
    auto pages = site::render(d, {});
    for (const auto& [path, content] : pages) {
        if (path == "site.js") continue;
        INFO(path);
        CHECK(content.find("<script>alert") == std::string::npos);
        CHECK(content.find("<b>not bold") == std::string::npos);
    }
    CHECK(pages["runs.html"].find("&lt;script&gt;alert(1)&lt;/script&gt;") != std::string::npos);
    CHECK(pages["runs.html"].find("&lt;script&gt;alert(2)&lt;/script&gt;") != std::string::npos);
    CHECK(pages["metrics.html"].find("&lt;script&gt;alert(3)&lt;/script&gt;") != std::string::npos);
}

TEST_CASE("site: no page refers to a network address", "[site]") {
    auto d = sample(5);
    d.drift.push_back({{"time", "2026-01-01T00:00:00.000Z"}, {"reference", "a.csv"}, {"current", "b.csv"},
                       {"report", {{"drift_detected", true}, {"dataset_drift", {{"drifted_columns", 1}, {"columns", 2}, {"share", 0.5}, {"threshold", 0.5}}},
                                   {"columns", nlohmann::json::array({{{"name", "x"}, {"type", "num"}, {"test", "ks"}, {"score", 0.01}, {"threshold", 0.05}, {"drifted", true}}})}}}});
    site::Monitor m;
    m.id = "abc";
    m.state = {{"version", 1}, {"rules", {{"slow", {{"state", "firing"}, {"since", "2026-11-29T10:01:00Z"}, {"expr", "latency_p99_ms > 50"}}}}}};
    m.last = {{"rules_file", "alerts.yaml"}, {"window_s", 60}, {"now", "2026-11-29T10:03:30Z"}, {"logs", {"serve.log"}},
              {"windows", {{{"start", "2026-11-29T10:01:00Z"}, {"open", false}, {"figures", {{"requests", 20}, {"latency_p99_ms", 98.8}}}}}},
              {"events", {{{"rule", "slow"}, {"state", "firing"}, {"values", {{"latency_p99_ms", 98.8}}}, {"window", {{"start", "2026-11-29T10:01:00Z"}}}}}}};
    d.monitors.push_back(m);
    auto pages = site::render(d, {});
    CHECK(pages["index.html"].find("<b>slow</b>") != std::string::npos);
    CHECK(pages["health.html"].find("latency_p99_ms=98.8") != std::string::npos);
    CHECK(pages["health.html"].find("id=\"latency-abc\"") != std::string::npos);
    std::regex net(R"((https?:)?//[A-Za-z0-9])");
    for (const auto& [path, content] : pages) {
        INFO(path);
        CHECK_FALSE(std::regex_search(content, net));
    }
    CHECK(pages["index.html"].find("drift detected") != std::string::npos);
}

TEST_CASE("site: an empty project gets a page that says how to start", "[site]") {
    site::SiteData d;
    d.project = "empty";
    auto pages = site::render(d, {});
    CHECK(pages["index.html"].find("nothing to show yet") != std::string::npos);
    CHECK(pages["index.html"].find("mlops run") != std::string::npos);
    CHECK(pages["runs.html"].find("No runs recorded yet") != std::string::npos);
}

TEST_CASE("site: missing records and objects are shown with the command that fetches them", "[site]") {
    auto d = sample(2);
    d.runs[0].missing = {std::string(64, 'e')};
    d.runs[1].record.reset();
    d.runs[1].problem = "the run record is not in the local store";
    d.runs[0].log = std::string(100, 'x');
    d.runs[0].log_truncated = true;
    d.runs[0].log_size = 10'000'000;
    site::RenderOptions o;
    o.repo_link = "../";
    auto pages = site::render(d, o);
    const auto& p0 = pages["runs/" + site::run_page(d.runs[0].row.run_id)];
    CHECK(p0.find("not in the local store") != std::string::npos);
    CHECK(p0.find("mlops fetch") != std::string::npos);
    CHECK(p0.find("href=\"../../.mlops/objects/ff/") != std::string::npos); // the full log
    CHECK(p0.find("10000000 bytes") != std::string::npos);
    const auto& p1 = pages["runs/" + site::run_page(d.runs[1].row.run_id)];
    CHECK(p1.find("cannot be shown") != std::string::npos);
    CHECK(pages["runs.html"].find("record missing") != std::string::npos);
}

TEST_CASE("site: params and metrics are flattened per file", "[site]") {
    auto flat = site::flatten({{"params.yaml", {{"a", {{"b", 1}}}, {"c", "x"}}}});
    REQUIRE(flat.size() == 2);
    CHECK(flat.at("params.yaml:a.b") == 1);
    CHECK(flat.at("params.yaml:c") == "x");
    CHECK(site::run_page("ab/../c") == "ab____c.html");
}

TEST_CASE("site: the models page shows versions, aliases, gates, signatures and explanations", "[site]") {
    auto d = sample(2);
    site::Model m;
    m.state.name = "bc";
    registry::VersionEntry v;
    v.oid = std::string(64, '1');
    v.name = "bc";
    v.version = 1;
    v.model_oid = std::string(64, '2');
    v.run_id = d.runs[0].row.run_id;
    v.metrics = {{"accuracy", 0.97}, {"loss", 0.1}};
    v.created_ns = 1'700'000'000'000'000'000;
    m.state.versions.push_back(v);
    registry::AliasEvent ev;
    ev.alias = "production";
    ev.action = "promote";
    ev.to_entry = v.oid;
    ev.to_version = 1;
    ev.gates = nlohmann::json::array({{{"gate", "accuracy>=0.95"}, {"metric", "accuracy"}, {"value", 0.97}, {"current", nullptr}, {"ok", true}, {"note", ""}}});
    m.state.events.push_back(ev);
    m.state.aliases["production"] = v.oid;
    signing::Signature sig;
    sig.key_id = "24265d66fafe";
    sig.user = "ann";
    m.signatures[v.oid].push_back(sig);
    registry::Explanation x;
    x.oid = std::string(64, '3');
    x.method = "permutation";
    x.data = "data/test.csv";
    x.report = nlohmann::json::object();
    m.explanations[v.oid].push_back(x);
    d.models.push_back(m);
    auto pages = site::render(d, {});
    const auto& p = pages["models.html"];
    CHECK(p.find("id=\"model-bc-v1\"") != std::string::npos);
    CHECK(p.find("accuracy&gt;=0.95") != std::string::npos);
    CHECK(p.find("key <code>24265d66fafe</code> by ann") != std::string::npos);
    CHECK(p.find("permutation on <code>data/test.csv</code>") != std::string::npos);
    CHECK(p.find("href=\"" + site::run_href(d.runs.size(), v.run_id) + "\"") != std::string::npos);
    CHECK(pages["index.html"].find("bc@production") != std::string::npos);
    CHECK(pages["index.html"].find("accuracy = 0.97") != std::string::npos);
}

TEST_CASE("site: many metrics are charted over several pages", "[site]") {
    auto d = sample(50);
    for (auto& r : d.runs)
        for (int k = 0; k < 30; ++k) r.record->metrics["metrics.json"][fmt::format("m{:02}", k)] = k + 0.5;
    auto pages = site::render(d, {});
    // 31 metrics (accuracy and m00..m29), 12 a page.
    CHECK(pages.contains("metrics.html"));
    CHECK(pages.contains("metrics-2.html"));
    CHECK(pages.contains("metrics-3.html"));
    CHECK_FALSE(pages.contains("metrics-4.html"));
    CHECK(test::occurrences(pages["metrics.html"], "<figure class=\"chart\">") == 12);
    CHECK(test::occurrences(pages["metrics-3.html"], "<figure class=\"chart\">") == 7);
    CHECK(pages["metrics.html"].find("href=\"metrics-3.html#metric-30\"") != std::string::npos);
}
