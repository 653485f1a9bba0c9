#include <mlops/pipeline/runner.hpp>

#include <atomic>
#include <csignal>
#include <filesystem>
#include <mutex>
#include <random>
#include <set>
#include <unistd.h>

#include <mlops/pipeline/compare.hpp>
#include <mlops/pipeline/executor.hpp>
#include <mlops/pipeline/record.hpp>
#include <mlops/util/fs.hpp>
#include <mlops/util/paths.hpp>
#include <mlops/workspace/add.hpp>
#include <mlops/workspace/checkout.hpp>
#include <mlops/workspace/materialize.hpp>
#include <mlops/workspace/scan.hpp>

namespace mlops::pipeline {

using util::Error;
using util::fail;

const char* action_name(Action a) {
    switch (a) {
    case Action::up_to_date: return "up-to-date";
    case Action::ran: return "ran";
    case Action::restored: return "restored";
    case Action::failed: return "failed";
    case Action::skipped: return "skipped";
    case Action::would_run: return "would-run";
    case Action::frozen: return "frozen";
    case Action::interrupted: return "interrupted";
    }
    return "?";
}

bool RunReport::ok() const {
    if (interrupted) return false;
    for (const auto& s : stages)
        if (s.action == Action::failed || s.action == Action::skipped || s.action == Action::interrupted) return false;
    return true;
}

Result<Loaded> load(workspace::Repository& repo, const std::string& file) {
    auto abs = repo.abs(file);
    if (!MLOPS_TRY(util::stat_path(abs)))
        return fail(Error::usage(fmt::format("{}: no pipeline file (declare stages in {}, see docs/pipelines.md)", file, file)));
    auto text = MLOPS_TRY(util::read_file(abs));
    FileReader reader = [&repo](const std::string& rel) -> Result<std::optional<std::string>> {
        auto p = repo.abs(rel);
        if (!MLOPS_TRY(util::stat_path(p))) return std::optional<std::string>{};
        return std::optional<std::string>{MLOPS_TRY(util::read_file(p))};
    };
    Loaded l;
    l.pipeline = std::make_unique<Pipeline>(MLOPS_TRY(parse_pipeline(text, file, reader)));
    l.graph = MLOPS_TRY(build_graph(*l.pipeline, [&repo](const std::string& rel) {
        auto st = util::stat_path(repo.abs(rel));
        return st && st->has_value();
    }));
    l.lock_file = lock_path_for(file);
    l.lock = MLOPS_TRY(read_lock(repo.abs(l.lock_file), l.lock_file));
    return l;
}

namespace {

// The oid of a work-tree path now ("" when missing); refreshes its stat cache.
Result<std::string> current_oid(workspace::Repository& repo, const std::string& rel) {
    if (!MLOPS_TRY(util::stat_path(repo.abs(rel)))) return std::string();
    workspace::ScanOptions so;
    so.entries = workspace::TreeEntries::oid_only;
    auto snap = MLOPS_TRY(workspace::snapshot(repo, rel, so));
    if (snap.stat_set) {
        auto* index = MLOPS_TRY(repo.index());
        (void)index->store_stat_set(rel, *snap.stat_set);
    }
    return snap.pointer.oid;
}

std::vector<std::pair<std::string, bool>> out_paths(const Stage& s) {
    std::vector<std::pair<std::string, bool>> v;
    for (const auto& o : s.outs) v.emplace_back(o.path, o.cache);
    return v;
}

} // namespace

Result<StageState> stage_state(workspace::Repository& repo, const Stage& stage, const LockedStage* locked) {
    StageState st;
    st.now.cmd = stage.cmd;
    for (const auto& d : stage.deps) {
        auto oid = MLOPS_TRY(current_oid(repo, d));
        if (oid.empty()) st.missing_deps = true;
        st.now.deps[d] = oid;
    }
    std::map<std::string, std::optional<std::string>> params_text;
    for (const auto& p : stage.params) {
        if (!params_text.contains(p.file)) {
            auto abs = repo.abs(p.file);
            params_text[p.file] = MLOPS_TRY(util::stat_path(abs)) ? std::optional<std::string>(MLOPS_TRY(util::read_file(abs))) : std::nullopt;
        }
        const auto& text = params_text[p.file];
        if (!text) return fail(Error::usage(fmt::format("{}: params file {} does not exist", p.where.str(), p.file)));
        auto v = MLOPS_TRY(lookup_param(*text, p.file, p.key));
        if (!v) return fail(Error::usage(fmt::format("{}: params key '{}' is not in {}", p.where.str(), p.key, p.file)));
        st.now.params[p.file][p.key] = *v;
    }
    if (locked) st.now.outs = locked->outs;
    st.fingerprint = fingerprint(st.now, out_paths(stage));

    auto& why = st.reasons;
    if (stage.always_changed) why.push_back("always_changed is set");
    if (!locked) {
        why.push_back("never run");
        return st;
    }
    if (locked->cmd != stage.cmd) why.push_back("command changed");
    for (const auto& [path, oid] : st.now.deps) {
        auto it = locked->deps.find(path);
        if (it == locked->deps.end()) why.push_back(fmt::format("new dependency {}", path));
        else if (it->second != oid) why.push_back(oid.empty() ? fmt::format("dependency {} is missing", path) : fmt::format("dependency {} changed", path));
    }
    for (const auto& [path, oid] : locked->deps)
        if (!st.now.deps.contains(path)) why.push_back(fmt::format("dependency {} removed", path));
    for (const auto& [file, keys] : st.now.params.items())
        for (const auto& [k, v] : keys.items()) {
            const nlohmann::json* old = nullptr;
            if (locked->params.contains(file) && locked->params[file].contains(k)) old = &locked->params[file][k];
            if (!old) why.push_back(fmt::format("new param {}:{}", file, k));
            else if (*old != v) why.push_back(fmt::format("param {}:{} changed ({} -> {})", file, k, old->dump(), v.dump()));
        }
    for (const auto& [file, keys] : locked->params.items())
        for (const auto& [k, v] : keys.items())
            if (!st.now.params.contains(file) || !st.now.params[file].contains(k)) why.push_back(fmt::format("param {}:{} removed", file, k));
    for (const auto& o : stage.outs) {
        const auto* lo = locked->out(o.path);
        if (!lo) {
            why.push_back(fmt::format("new output {}", o.path));
            continue;
        }
        auto oid = MLOPS_TRY(current_oid(repo, o.path));
        if (oid.empty()) why.push_back(fmt::format("output {} is missing", o.path));
        else if (oid != lo->oid) why.push_back(fmt::format("output {} was modified", o.path));
    }
    for (const auto& lo : locked->outs) {
        bool still = false;
        for (const auto& o : stage.outs) still |= o.path == lo.path;
        if (!still) why.push_back(fmt::format("output {} removed", lo.path));
    }
    return st;
}

namespace {
std::atomic<bool> g_interrupted{false};
extern "C" void on_interrupt(int) { g_interrupted = true; }
} // namespace

InterruptGuard::InterruptGuard() {
    g_interrupted = false;
    struct sigaction sa{};
    sa.sa_handler = on_interrupt;
    sigemptyset(&sa.sa_mask);
    ::sigaction(SIGINT, &sa, &m_int);
    ::sigaction(SIGTERM, &sa, &m_term);
}

InterruptGuard::~InterruptGuard() {
    ::sigaction(SIGINT, &m_int, nullptr);
    ::sigaction(SIGTERM, &m_term, nullptr);
}

bool interrupt_requested() { return g_interrupted.load(); }

namespace {

std::string tail_lines(const std::string& path, std::size_t lines) {
    auto text = util::read_file(path);
    if (!text) return {};
    std::size_t pos = text->size(), n = 0;
    if (pos > 0 && (*text)[pos - 1] == '\n') --pos;
    while (pos > 0 && n < lines) {
        auto nl = text->rfind('\n', pos - 1);
        if (nl == std::string::npos) {
            pos = 0;
            break;
        }
        pos = nl;
        ++n;
    }
    std::string out = text->substr(pos == 0 ? 0 : pos + 1);
    if (!out.empty() && out.back() != '\n') out += '\n';
    return out;
}


// 64 random bits, like a git object id: any short prefix is very likely unique. (A time prefix
// made stages of one run share their first eight hex digits, so `mlops runs show 615de9a4` was
// ambiguous.) Runs are ordered by their start time, never by id.
std::string new_run_id() {
    static std::mutex mutex;
    static std::mt19937_64 rng{std::random_device{}() ^ std::uint64_t(util::now_ns())};
    std::lock_guard lock(mutex);
    return fmt::format("{:016x}", rng());
}

enum class Phase { pending, running, done };

struct Runner {
    workspace::Repository& repo;
    const RunOptions& opts;
    Loaded& loaded;
    std::vector<std::size_t> selected;
    std::vector<bool> is_selected;
    std::vector<Phase> phase;
    std::vector<StageOutcome> outcome;
    std::vector<bool> ok_for_downstream; // finished and its outputs are valid
    std::vector<StageState> state;
    std::map<std::string, LockedStage> lock_updates;
    std::vector<std::string> run_ids;
    // The code commit and dirty files, looked up once per run, before the run changes the work
    // tree, and only when a stage runs or is restored (a run with nothing to do never loads git).
    std::optional<CodeVersion> code;
    // Why the run was interrupted when something killed it (RunOptions::interrupt_cause), asked once.
    std::optional<std::string> killed_by;
    bool tmp_made = false;
    LocalExecutor executor;
    bool stop_scheduling = false;
    // Objects of finished stages (logs, outputs, records) and their index rows are made durable
    // together: one syncfs pair per flush, at most about once a second, instead of several syncs per
    // stage. Nothing refers to them before the flush, so a crash loses whole runs, never half ones.
    store::WriteBatch batch;
    std::vector<index::RunRow> pending_rows;
    std::vector<std::pair<std::string, index::StatSet>> pending_stat_sets;
    std::chrono::steady_clock::time_point last_flush = std::chrono::steady_clock::now();

    Status flush() {
        MLOPS_TRYV(repo.objects().commit(batch));
        auto* index = MLOPS_TRY(repo.index());
        MLOPS_TRYV(index->insert_runs(pending_rows));
        for (const auto& [path, set] : pending_stat_sets) (void)index->store_stat_set(path, set);
        pending_rows.clear();
        pending_stat_sets.clear();
        last_flush = std::chrono::steady_clock::now();
        return {};
    }
    Status maybe_flush() {
        if (std::chrono::steady_clock::now() - last_flush >= std::chrono::seconds(1)) return flush();
        return {};
    }

    const Stage& stage(std::size_t i) const { return loaded.pipeline->stages[i]; }

    void say(const std::string& s) { opts.say(s); }

    bool selected_stage(std::size_t i) const { return is_selected[i]; }

    Status need_code_version() {
        if (!code) code = MLOPS_TRY(code_version(repo, {loaded.lock_file}));
        return {};
    }

    // Removes outputs before a run (unless persist), makes their folders.
    Status prepare_outputs(const Stage& s) {
        for (const auto& o : s.outs) {
            std::string abs = repo.abs(o.path);
            if (!o.persist) {
                std::error_code ec;
                std::filesystem::remove_all(abs, ec);
                if (ec) return fail(Error::io(fmt::format("cannot remove output {}: {}", o.path, ec.message())));
            }
            MLOPS_TRYV(util::make_dirs(util::parent_path(abs)));
        }
        if (!s.wdir.empty()) MLOPS_TRYV(util::make_dirs(repo.abs(s.wdir)));
        return {};
    }

    // Restores a stage's outputs from the run that had this fingerprint; false when not possible.
    Result<bool> try_run_cache(std::size_t i) {
        auto* index = MLOPS_TRY(repo.index());
        auto row = MLOPS_TRY(index->cached_run(state[i].fingerprint));
        if (!row || !repo.objects().exists(row->oid)) return false;
        auto rec_text = repo.objects().read(row->oid);
        if (!rec_text) return false;
        auto rec = parse_run_record(*rec_text, row->oid);
        if (!rec) return false;
        const auto& s = stage(i);
        // Every output and every object inside it must be here.
        std::vector<std::pair<const Output*, const LockedOut*>> plan;
        for (const auto& o : s.outs) {
            const LockedOut* lo = nullptr;
            for (const auto& ro : rec->outs)
                if (ro.path == o.path) lo = &ro;
            if (!lo || !repo.objects().exists(lo->oid)) return false;
            if (lo->kind == "dir") {
                workspace::Pointer p{1, workspace::Kind::dir, lo->oid, lo->size, lo->files};
                auto tree = workspace::target_tree(repo, p, lo->path);
                if (!tree) return false;
                for (const auto& e : tree->entries)
                    if (!repo.objects().exists(e.oid)) return false;
            }
            plan.emplace_back(&o, lo);
        }
        MLOPS_TRYV(prepare_outputs(s));
        auto links = MLOPS_TRY(workspace::link_types(repo));
        for (const auto& [o, lo] : plan) {
            workspace::Pointer p{1, lo->kind == "dir" ? workspace::Kind::dir : workspace::Kind::file, lo->oid, lo->size, lo->files};
            auto tree = MLOPS_TRY(workspace::target_tree(repo, p, lo->path));
            for (const auto& e : tree.entries)
                MLOPS_TRYV(workspace::materialize_file(repo, e.oid, e.mode, e.path.empty() ? repo.abs(o->path) : repo.abs(o->path + "/" + e.path), links));
            if (o->cache && repo.has_git()) MLOPS_TRY(workspace::ignore_in_git(repo, o->path));
        }
        LockedStage entry = state[i].now;
        entry.outs = rec->outs;
        lock_updates[s.name] = entry;
        outcome[i].action = Action::restored;
        outcome[i].run_id = rec->run_id;
        return true;
    }

    Status start(std::size_t i) {
        const auto& s = stage(i);
        MLOPS_TRYV(prepare_outputs(s));
        std::string run_id = new_run_id();
        run_ids[i] = run_id;
        if (!tmp_made) MLOPS_TRYV(util::make_dirs(repo.mlops_dir() + "/tmp"));
        tmp_made = true;
        Job job;
        job.id = i;
        job.name = s.name;
        job.cmd = s.cmd;
        job.cwd = s.wdir.empty() ? repo.root() : repo.abs(s.wdir);
        job.env = {{"MLOPS_STAGE", s.name}, {"MLOPS_RUN_ID", run_id}, {"MLOPS_REPO_ROOT", repo.root()},
                   {"MLOPS_PIPELINE", loaded.pipeline->file}};
        job.log_path = fmt::format("{}/tmp/run-{}.log", repo.mlops_dir(), run_id);
        job.echo = opts.echo;
        job.prefix = opts.jobs > 1 ? fmt::format("[{}] ", s.name) : "";
        outcome[i].log_path = job.log_path;
        say(fmt::format("running {}{}", s.name, state[i].reasons.empty() ? "" : fmt::format(" ({})", state[i].reasons.front())));
        MLOPS_TRYV(executor.start(job));
        phase[i] = Phase::running;
        return {};
    }

    // After the command exited: store outputs and the log, write the run record.
    Status finish(std::size_t i, const JobResult& r) {
        const auto& s = stage(i);
        phase[i] = Phase::done;
        auto& out = outcome[i];
        out.run_id = run_ids[i];
        out.exit_status = r.exit_status;
        out.seconds = double(r.ended_ns - r.started_ns) / 1e9;
        RunRecord rec;
        rec.run_id = run_ids[i];
        rec.stage = s.name;
        rec.pipeline = loaded.pipeline->file;
        rec.cmd = s.cmd;
        rec.wdir = s.wdir;
        rec.fingerprint = state[i].fingerprint;
        rec.deps = state[i].now.deps;
        rec.params = state[i].now.params;
        rec.code = *code;
        rec.started_ns = r.started_ns;
        rec.ended_ns = r.ended_ns;
        rec.exit_status = r.exit_status;
        bool interrupted = g_interrupted.load();
        std::string failure;
        // Killed from outside: this process was signalled, or the command was (Slurm signals every
        // process of a job, and the command may end before our own signal arrives).
        bool signalled = interrupted || r.signal != 0;
        if (signalled && opts.interrupt_cause && (!killed_by || killed_by->empty())) killed_by = opts.interrupt_cause();
        if (signalled && killed_by && !killed_by->empty()) {
            interrupted = false; // killed, not stopped: a failure with its cause
            failure = *killed_by;
        }
        if (failure.empty() && r.exit_status != 0) failure = fmt::format("command exited with status {}", r.exit_status);
        if (failure.empty())
            for (const auto& o : s.outs)
                if (!MLOPS_TRY(util::stat_path(repo.abs(o.path)))) {
                    failure = fmt::format("output {} was not created", o.path);
                    break;
                }
        auto log = MLOPS_TRY(repo.objects().put_file(out.log_path, &batch));
        rec.log_oid = log.oid;
        if (failure.empty()) {
            for (const auto& o : s.outs) {
                workspace::ScanOptions so{workspace::StoreMode::store, &batch, false, "storing"};
                auto snap = MLOPS_TRY(workspace::snapshot(repo, o.path, so));
                if (snap.stat_set) pending_stat_sets.emplace_back(o.path, std::move(*snap.stat_set));
                rec.outs.push_back({o.path, snap.pointer.oid, workspace::kind_name(snap.pointer.kind), snap.pointer.size,
                                    snap.pointer.files, o.cache});
                if (o.metric && snap.pointer.kind == workspace::Kind::file) {
                    // A metrics file that cannot be read as JSON or YAML is recorded without values:
                    // the run did succeed; `mlops metrics show` names the error.
                    if (auto text = util::read_file(repo.abs(o.path)))
                        if (auto m = parse_metrics(*text, o.path)) rec.metrics[o.path] = std::move(*m);
                }
            }
        }
        rec.status = interrupted ? "interrupted" : failure.empty() ? "succeeded" : "failed";
        rec.error = failure;
        auto put = MLOPS_TRY(repo.objects().put_bytes(serialize_run_record(rec), &batch));
        pending_rows.push_back(run_row(rec, put.oid));
        if (!failure.empty()) out.log_tail = tail_lines(out.log_path, 20);
        ::unlink(out.log_path.c_str());
        MLOPS_TRYV(maybe_flush());
        if (interrupted) {
            out.action = Action::interrupted;
            return {};
        }
        if (!failure.empty()) {
            out.action = Action::failed;
            out.reasons = {failure};
            return {};
        }
        for (const auto& o : s.outs)
            if (o.cache && repo.has_git()) MLOPS_TRY(workspace::ignore_in_git(repo, o.path));
        LockedStage entry = state[i].now;
        entry.outs = rec.outs;
        lock_updates[s.name] = std::move(entry);
        out.action = Action::ran;
        ok_for_downstream[i] = true;
        say(fmt::format("{}: done in {:.2f} s", s.name, out.seconds));
        return {};
    }

    void skip_downstream(std::size_t i, const std::string& why) {
        for (auto j : loaded.graph.downstream[i]) {
            if (!selected_stage(j) || phase[j] != Phase::pending) continue;
            phase[j] = Phase::done;
            outcome[j].action = Action::skipped;
            outcome[j].reasons = {why};
            skip_downstream(j, why);
        }
    }

    // Decides what to do with a stage whose upstream stages are all finished.
    Status schedule(std::size_t i) {
        const auto& s = stage(i);
        auto it = loaded.lock.stages.find(s.name);
        const LockedStage* locked = it == loaded.lock.stages.end() ? nullptr : &it->second;
        if (auto up = lock_updates.find(s.name); up != lock_updates.end()) locked = &up->second;
        if (s.frozen && !opts.force) {
            phase[i] = Phase::done;
            outcome[i].action = Action::frozen;
            ok_for_downstream[i] = true;
            return {};
        }
        state[i] = MLOPS_TRY(stage_state(repo, s, locked));
        auto& reasons = state[i].reasons;
        for (auto u : loaded.graph.upstream[i])
            if (outcome[u].action == Action::would_run) reasons.push_back(fmt::format("upstream stage {} would run", stage(u).name));
        if (opts.force && reasons.empty()) reasons.push_back("--force");
        outcome[i].reasons = reasons;
        if (reasons.empty()) {
            phase[i] = Phase::done;
            outcome[i].action = Action::up_to_date;
            ok_for_downstream[i] = true;
            return {};
        }
        if (opts.dry_run) {
            phase[i] = Phase::done;
            outcome[i].action = Action::would_run;
            ok_for_downstream[i] = true;
            return {};
        }
        if (state[i].missing_deps) {
            std::string missing;
            for (const auto& [p, oid] : state[i].now.deps)
                if (oid.empty()) missing = p;
            phase[i] = Phase::done;
            outcome[i].action = Action::failed;
            outcome[i].reasons = {fmt::format("dependency {} does not exist", missing)};
            return {};
        }
        MLOPS_TRYV(need_code_version());
        if (opts.run_cache && !opts.force && MLOPS_TRY(try_run_cache(i))) {
            phase[i] = Phase::done;
            ok_for_downstream[i] = true;
            say(fmt::format("{}: restored from the run cache (run {})", s.name, outcome[i].run_id));
            return {};
        }
        return start(i);
    }

    Status loop() {
        for (;;) {
            if (g_interrupted) break;
            bool progress = false;
            if (!stop_scheduling) {
                for (auto i : selected) {
                    if (phase[i] != Phase::pending) continue;
                    if (executor.running() >= std::max(1u, opts.jobs)) break;
                    bool ready = true;
                    for (auto u : loaded.graph.upstream[i]) {
                        if (!selected_stage(u)) continue;
                        if (phase[u] != Phase::done) ready = false;
                    }
                    if (!ready) continue;
                    bool upstream_ok = true;
                    for (auto u : loaded.graph.upstream[i])
                        if (selected_stage(u) && !ok_for_downstream[u]) upstream_ok = false;
                    if (!upstream_ok) continue; // marked skipped by skip_downstream
                    MLOPS_TRYV(schedule(i));
                    progress = true;
                    if (outcome[i].action == Action::failed && phase[i] == Phase::done) {
                        skip_downstream(i, fmt::format("upstream stage {} failed", stage(i).name));
                        if (!opts.keep_going) stop_scheduling = true;
                    }
                }
            }
            if (executor.running() == 0) {
                bool pending = false;
                for (auto i : selected) pending |= phase[i] == Phase::pending;
                if (!pending || stop_scheduling) break;
                if (!progress) break; // nothing runnable: everything left waits on skipped stages
                continue;
            }
            auto r = executor.wait(std::chrono::milliseconds(100));
            if (!r) continue;
            MLOPS_TRYV(finish(r->id, *r));
            if (outcome[r->id].action == Action::failed) {
                skip_downstream(r->id, fmt::format("upstream stage {} failed", stage(r->id).name));
                if (!opts.keep_going) stop_scheduling = true;
            }
        }
        if (g_interrupted) {
            executor.cancel_all();
            while (auto r = executor.wait(std::chrono::milliseconds(200))) MLOPS_TRYV(finish(r->id, *r));
        }
        return {};
    }
};

} // namespace

Result<RunReport> run(workspace::Repository& repo, const RunOptions& opts) {
    auto loaded = MLOPS_TRY(load(repo, opts.file));
    const auto& g = loaded.graph;
    std::vector<std::size_t> roots;
    if (opts.stages.empty()) {
        roots = g.order;
    } else {
        roots = MLOPS_TRY(select_stages(g, opts.stages));
    }
    auto lock = MLOPS_TRY(repo.lock_objects(util::LockMode::shared));
    InterruptGuard guard;
    Runner r{repo, opts, loaded};
    r.selected = opts.no_upstream ? roots : g.closure(roots, true, opts.downstream);
    std::size_t n = loaded.pipeline->stages.size();
    r.is_selected.assign(n, false);
    for (auto i : r.selected) r.is_selected[i] = true;
    r.phase.assign(n, Phase::pending);
    r.outcome.resize(n);
    r.ok_for_downstream.assign(n, false);
    r.state.resize(n);
    r.run_ids.resize(n);
    for (std::size_t i = 0; i < n; ++i) r.outcome[i].stage = loaded.pipeline->stages[i].name;
    auto st = r.loop();
    // Whatever finished is recorded, and whatever succeeded is locked, even when something else
    // failed or the run was interrupted; the objects first, then what refers to them.
    auto flushed = r.flush();
    if (!flushed) return fail(std::move(flushed).error());
    Status locked;
    if (opts.write_lock) locked = update_lock(repo.abs(loaded.lock_file), loaded.lock_file, r.lock_updates);
    if (!st) return fail(std::move(st).error());
    if (!locked) return fail(std::move(locked).error());
    RunReport report;
    bool killed = r.killed_by && !r.killed_by->empty();
    report.interrupted = g_interrupted.load() && !killed;
    report.locked = r.lock_updates;
    for (auto i : r.selected) {
        if (r.phase[i] == Phase::pending) {
            r.outcome[i].action = report.interrupted ? Action::interrupted : Action::skipped;
            if (r.outcome[i].reasons.empty() && !report.interrupted)
                r.outcome[i].reasons = {killed ? "not run: " + *r.killed_by : "not run: an earlier stage failed"};
        }
        report.stages.push_back(r.outcome[i]);
    }
    return report;
}

} // namespace mlops::pipeline
