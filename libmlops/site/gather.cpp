#include <mlops/site/gather.hpp>

#include <algorithm>
#include <filesystem>
#include <set>

#include <fmt/format.h>

#include <mlops/monitor/triggers.hpp>
#include <mlops/pipeline/runner.hpp>
#include <mlops/util/fs.hpp>
#include <mlops/util/hash.hpp>
#include <mlops/util/parallel.hpp>
#include <mlops/util/paths.hpp>

namespace mlops::site {

using util::Error;
using util::fail;
using workspace::Repository;

std::string drift_report_path(const std::string& repo_root, const std::string& reference, const std::string& current) {
    return repo_root + "/.mlops/drift/" + util::sha256_hex(reference + "\n" + current).substr(0, 16) + ".json";
}

std::string monitor_last_path(const std::string& state_path) {
    std::string base = state_path.ends_with(".json") ? state_path.substr(0, state_path.size() - 5) : state_path;
    return base + ".last.json";
}

namespace {

// The record, what is missing, and the log (head and tail beyond the limit, hash-verified).
void load_run(Repository& repo, Run& run) {
    const auto& objects = repo.objects();
    if (!objects.exists(run.row.oid)) {
        run.problem = "the run record is not in the local store";
        run.missing.push_back(run.row.oid);
        return;
    }
    auto text = objects.read(run.row.oid);
    if (!text) {
        run.problem = text.error().message;
        return;
    }
    auto rec = pipeline::parse_run_record(*text, run.row.oid);
    if (!rec) {
        run.problem = rec.error().message;
        return;
    }
    std::set<std::string> missing;
    for (const auto& [path, oid] : rec->deps)
        if (!oid.empty() && !objects.exists(oid)) missing.insert(oid);
    for (const auto& o : rec->outs)
        if (!o.oid.empty() && !objects.exists(o.oid)) missing.insert(o.oid);
    if (!rec->log_oid.empty()) {
        if (!objects.exists(rec->log_oid)) {
            missing.insert(rec->log_oid);
        } else {
            std::string head, tail;
            std::uint64_t size = 0;
            auto st = objects.stream(rec->log_oid, [&](const char* p, std::size_t n) -> util::Status {
                size += n;
                std::size_t half = k_log_limit / 2;
                if (head.size() < half) {
                    std::size_t take = std::min(n, half - head.size());
                    head.append(p, take);
                    p += take;
                    n -= take;
                }
                tail.append(p, n);
                if (tail.size() > 2 * half) tail.erase(0, tail.size() - half);
                return {};
            });
            if (!st) {
                run.log = "(the log object cannot be read: " + st.error().message + ")";
            } else {
                run.log_size = size;
                if (size > k_log_limit) {
                    if (tail.size() > k_log_limit / 2) tail.erase(0, tail.size() - k_log_limit / 2);
                    run.log = std::move(head);
                    run.log += "\n\n[...]\n\n";
                    run.log += tail;
                    run.log_truncated = true;
                } else {
                    run.log = head + tail;
                }
            }
        }
    }
    run.missing.assign(missing.begin(), missing.end());
    run.record = std::move(*rec);
}

Result<void> stage_status(Repository& repo, SiteData& d) {
    d.pipeline_file = "mlops.yaml";
    if (!MLOPS_TRY(util::stat_path(repo.abs(d.pipeline_file)))) return {};
    d.has_pipeline = true;
    auto loaded = pipeline::load(repo, d.pipeline_file);
    if (!loaded) {
        d.pipeline_problem = loaded.error().message;
        return {};
    }
    const auto& stages = loaded->pipeline->stages;
    std::vector<bool> stale(stages.size(), false);
    std::vector<StageStatus> by_index(stages.size());
    for (auto i : loaded->graph.order) {
        const auto& s = stages[i];
        auto it = loaded->lock.stages.find(s.name);
        auto st = pipeline::stage_state(repo, s, it == loaded->lock.stages.end() ? nullptr : &it->second);
        by_index[i].stage = s.name;
        if (!st) {
            by_index[i].reasons.push_back(st.error().message);
        } else {
            by_index[i].reasons = st->reasons;
        }
        for (auto u : loaded->graph.upstream[i])
            if (stale[u]) by_index[i].reasons.push_back(fmt::format("upstream stage {} is out of date", stages[u].name));
        stale[i] = !by_index[i].reasons.empty();
    }
    for (std::size_t i = 0; i < stages.size(); ++i) d.stages.push_back(std::move(by_index[i]));
    return {};
}

// Every file of `dir` ending in `suffix`, sorted by name.
std::vector<std::string> files_in(const std::string& dir, const std::string& suffix) {
    std::vector<std::string> out;
    std::error_code ec;
    for (std::filesystem::directory_iterator it(dir, ec), end; !ec && it != end; it.increment(ec)) {
        auto name = it->path().filename().string();
        if (name.ends_with(suffix) && !name.starts_with(".")) out.push_back(name);
    }
    std::sort(out.begin(), out.end());
    return out;
}

nlohmann::json read_json(const std::string& path) {
    auto text = util::read_file(path);
    if (!text) return nullptr;
    auto j = nlohmann::json::parse(*text, nullptr, false);
    return j.is_discarded() ? nlohmann::json(nullptr) : j;
}

void health(Repository& repo, SiteData& d) {
    auto drift_dir = repo.abs(".mlops/drift");
    for (const auto& f : files_in(drift_dir, ".json")) {
        auto j = read_json(drift_dir + "/" + f);
        if (j.is_object() && j.contains("report") && j["report"].is_object()) d.drift.push_back(std::move(j));
    }
    std::stable_sort(d.drift.begin(), d.drift.end(),
                     [](const auto& a, const auto& b) { return a.value("time", "") > b.value("time", ""); });
    auto mon_dir = repo.abs(".mlops/monitor");
    for (const auto& f : files_in(mon_dir, ".json")) {
        if (f.ends_with(".last.json")) continue;
        auto state = read_json(mon_dir + "/" + f);
        if (!state.is_object() || !state.contains("rules")) continue;
        Monitor m;
        m.id = f.substr(0, f.size() - 5);
        m.state = std::move(state);
        m.last = read_json(monitor_last_path(mon_dir + "/" + f));
        d.monitors.push_back(std::move(m));
    }
    if (auto h = monitor::read_history(repo.abs(".mlops/watch/history.jsonl")))
        for (auto& f : *h) d.watch.push_back(std::move(f.detail));
}

} // namespace

Result<SiteData> gather(Repository& repo, const GatherOptions& opts) {
    SiteData d;
    d.project = util::file_name(repo.root());
    std::optional<std::set<std::string>> commits; // --since: the commits whose runs are shown
    if (repo.has_git()) {
        auto* git = MLOPS_TRY(repo.git());
        if (auto head = MLOPS_TRY(git->head_commit())) d.head = *head;
        if (!opts.since.empty()) {
            auto since = git->resolve_commit(opts.since);
            if (!since) return fail(Error::usage(fmt::format("--since {}: {}", opts.since, since.error().message)));
            d.since = opts.since;
            d.since_commit = *since;
            // Commits reachable from HEAD but not from the revision's parents: the revision and later.
            std::set<std::string> before;
            MLOPS_TRYV(git->walk({*since}, [&](const std::string& id, const std::vector<std::string>&) -> Result<bool> {
                if (id != *since) before.insert(id);
                return true;
            }));
            commits.emplace();
            if (!d.head.empty())
                MLOPS_TRYV(git->walk({d.head}, [&](const std::string& id, const std::vector<std::string>&) -> Result<bool> {
                    if (!before.contains(id)) commits->insert(id);
                    return true;
                }));
            commits->insert(*since);
        }
    } else if (!opts.since.empty()) {
        return fail(Error::usage(fmt::format("--since {}: this repository has no git history (made with --no-git)", opts.since)));
    }

    auto* index = MLOPS_TRY(repo.index());
    for (auto& row : MLOPS_TRY(index->runs("", 0))) {
        if (commits && !commits->contains(row.git_commit)) continue;
        d.runs.push_back(Run{std::move(row), {}, {}, {}, {}, 0, false});
    }
    // Newest first, ties broken by id so the order never depends on the index.
    std::stable_sort(d.runs.begin(), d.runs.end(), [](const Run& a, const Run& b) {
        return std::tie(b.row.started_ns, b.row.run_id) < std::tie(a.row.started_ns, a.row.run_id);
    });
    MLOPS_TRYV(util::parallel_for(d.runs.size(), util::io_jobs(), [&](std::size_t i) -> util::Status {
        load_run(repo, d.runs[i]);
        return {};
    }));

    for (const auto& name : MLOPS_TRY(registry::model_names(repo))) {
        auto state = registry::load_model(repo, name);
        if (!state) continue; // alias events whose versions have not arrived yet
        Model m;
        m.state = std::move(*state);
        for (const auto& v : m.state.versions) {
            if (auto s = registry::signatures(repo, v); s && !s->empty()) m.signatures[v.oid] = std::move(*s);
            if (auto e = registry::explanations(repo, v); e && !e->empty()) m.explanations[v.oid] = std::move(*e);
        }
        d.models.push_back(std::move(m));
    }

    // The lineage graph: every run of a small project; the latest run of each stage of a large one.
    std::set<std::string> shown_runs;
    if (d.runs.size() > opts.graph_run_limit) {
        std::set<std::string> stages;
        for (const auto& r : d.runs)
            if (stages.insert(r.row.stage).second) shown_runs.insert(r.row.run_id);
        d.graph_runs_left_out = d.runs.size() - shown_runs.size();
    } else {
        for (const auto& r : d.runs) shown_runs.insert(r.row.run_id);
    }
    auto graph = MLOPS_TRY(lineage::build_graph(repo, [&](const index::RunRow& row) { return shown_runs.contains(row.run_id); }));
    d.graph = lineage::layered(graph);

    MLOPS_TRYV(stage_status(repo, d));
    health(repo, d);
    return d;
}

} // namespace mlops::site
