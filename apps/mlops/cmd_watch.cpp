// mlops watch: continuous training. Judges the pipeline file's `triggers:` (data changed, drift,
// a schedule), runs the stages of those that fire, promotes through the registry's gates, and
// records every firing in .mlops/watch/history.jsonl (docs/monitoring.md).
#include "commands.hpp"

#include <atomic>
#include <chrono>
#include <csignal>
#include <thread>

#include <mlops/monitor/log.hpp>
#include <mlops/monitor/triggers.hpp>
#include <mlops/pipeline/runner.hpp>
#include <mlops/util/fs.hpp>

namespace mlops::cli {

struct WatchOptions {
    std::string file = "mlops.yaml";
    std::string interval = "30s";
    std::vector<std::string> triggers;
    bool once = false;
    bool dry_run = false;
    bool history = false;
    unsigned jobs = 1;
};

namespace {

std::atomic<bool> g_stop{false};
extern "C" void on_stop(int) { g_stop = true; }

const monitor::Firing* last_of(const std::vector<monitor::Firing>& h, const std::string& name) {
    const monitor::Firing* last = nullptr;
    for (const auto& f : h)
        if (f.trigger == name && (!last || f.time >= last->time)) last = &f;
    return last;
}

struct Tick {
    nlohmann::json checks = nlohmann::json::array();
    bool stage_failed = false;
    bool refused = false;
    bool interrupted = false;
};

// One round: every trigger judged in file order, the fired ones run one after the other.
Tick tick(Context& ctx, const WatchOptions& opts, const std::string& rel_file) {
    auto& repo = ctx.repo();
    bool chatty = !ctx.global.quiet && !ctx.global.json;
    auto loaded = util::value_or_throw(pipeline::load(repo, rel_file));
    auto text = util::value_or_throw(util::read_file(repo.abs(rel_file)));
    auto triggers = util::value_or_throw(monitor::parse_triggers(text, rel_file, *loaded.pipeline));
    if (triggers.empty())
        throw util::CommandError(util::Error::usage(fmt::format("{}: no triggers: to watch (see docs/monitoring.md)", rel_file)));
    for (const auto& name : opts.triggers)
        if (std::none_of(triggers.begin(), triggers.end(), [&](const auto& t) { return t.name == name; }))
            throw util::CommandError(util::Error::usage(fmt::format("--trigger {}: {} has no such trigger", name, rel_file)));
    // One watcher at a time per repository: two would run the same retraining twice.
    auto lock = util::value_or_throw(util::FileLock::acquire(repo.abs(".mlops/watch.lock"), util::LockMode::exclusive,
                                                             "another mlops watch", std::chrono::milliseconds(0)));
    auto history_path = repo.abs(".mlops/watch/history.jsonl");
    auto history = util::value_or_throw(monitor::read_history(history_path));
    Tick out;
    for (const auto& t : triggers) {
        if (!opts.triggers.empty() && std::find(opts.triggers.begin(), opts.triggers.end(), t.name) == opts.triggers.end()) continue;
        double now = double(util::now_ns()) / 1e9;
        auto c = util::value_or_throw(monitor::check(repo, loaded, t, last_of(history, t.name), now));
        nlohmann::json j = {{"trigger", t.name}, {"on", t.on}, {"fired", c.fired}, {"reason", c.reason}};
        if (!c.fired) {
            if (chatty && ctx.global.verbose) ctx.say(fmt::format("{}: not fired ({})", t.name, c.reason));
            out.checks.push_back(j);
            continue;
        }
        if (opts.dry_run) {
            if (chatty) ctx.say(fmt::format("{}: would run {} ({})", t.name, fmt::join(t.stages, ", "), c.reason));
            out.checks.push_back(j);
            continue;
        }
        if (chatty) ctx.say(fmt::format("{}: fired ({}); running {}", t.name, c.reason, fmt::join(t.stages, ", ")));
        pipeline::RunOptions ro;
        ro.file = rel_file;
        ro.stages = t.stages;
        ro.jobs = opts.jobs == 0 ? 1 : opts.jobs;
        ro.force = t.on != "data_change"; // drift and schedules retrain on unchanged inputs
        ro.echo = chatty;
        ro.say = [&ctx, chatty](const std::string& line) {
            if (chatty) ctx.err() << "mlops: " << line << "\n" << std::flush;
        };
        auto report = util::value_or_throw(pipeline::run(repo, ro));
        nlohmann::json stages = nlohmann::json::array();
        for (const auto& s : report.stages)
            stages.push_back({{"stage", s.stage}, {"action", pipeline::action_name(s.action)},
                              {"run_id", s.run_id.empty() ? nlohmann::json() : nlohmann::json(s.run_id)}});
        j["stages"] = stages;
        j["ok"] = report.ok();
        j["promotion"] = nullptr;
        if (!report.ok()) {
            out.stage_failed = true;
            out.interrupted = report.interrupted;
            if (!ctx.global.json) ctx.err() << fmt::format("mlops: trigger {}: the run failed; see `mlops runs list`\n", t.name);
        } else if (t.promote) {
            auto p = util::value_or_throw(monitor::promote(repo, *t.promote));
            j["promotion"] = {{"model", t.promote->model}, {"alias", t.promote->alias}, {"version", p.version},
                              {"registered", p.registered}, {"moved", p.moved}, {"refused", p.refused}, {"gates", p.gates}};
            out.refused |= p.refused;
            if (!ctx.global.json) {
                if (p.refused) ctx.err() << "mlops: " << p.message << "\n";
                else ctx.say(fmt::format("{}: {}", t.name, p.message));
            }
        }
        auto line = j;
        line["time"] = monitor::format_time(double(util::now_ns()) / 1e9);
        line["fingerprint"] = c.fingerprint;
        line["detail"] = c.detail;
        line["by"] = util::user_name() + "@" + util::host_name();
        util::check(monitor::append_history(history_path, line));
        history.push_back({t.name, t.on, c.reason, c.fingerprint, double(util::now_ns()) / 1e9, line});
        out.checks.push_back(j);
        if (report.interrupted) break;
    }
    return out;
}

int show_history(Context& ctx) {
    auto h = util::value_or_throw(monitor::read_history(ctx.repo().abs(".mlops/watch/history.jsonl")));
    if (ctx.global.json) {
        nlohmann::json list = nlohmann::json::array();
        for (const auto& f : h) list.push_back(f.detail);
        ctx.print_json(list);
        return 0;
    }
    if (h.empty()) {
        ctx.say("No trigger has fired yet.");
        return 0;
    }
    for (const auto& f : h) {
        std::vector<std::string> runs;
        for (const auto& s : f.detail.value("stages", nlohmann::json::array()))
            runs.push_back(fmt::format("{} {}{}", s.value("stage", ""), s.value("action", ""),
                                       s["run_id"].is_string() ? " (run " + s["run_id"].get<std::string>() + ")" : ""));
        std::string promo;
        if (auto p = f.detail.find("promotion"); p != f.detail.end() && p->is_object())
            promo = (*p)["moved"].get<bool>() ? fmt::format("; {}@{} -> version {}", (*p)["model"].get<std::string>(),
                                                            (*p)["alias"].get<std::string>(), (*p)["version"].get<int>())
                    : (*p)["refused"].get<bool>() ? "; promotion refused by its gates" : "";
        ctx.out() << fmt::format("{}  {} ({}): {}\n    {}{}{}\n", monitor::format_time(f.time), f.trigger, f.on, f.reason,
                                 runs.empty() ? "nothing ran" : fmt::format("{}", fmt::join(runs, ", ")),
                                 f.detail.value("ok", true) ? "" : "; FAILED", promo);
    }
    return 0;
}

} // namespace

int run_watch(Context& ctx, const WatchOptions& opts) {
    if (opts.history) return show_history(ctx);
    double interval = util::value_or_throw(monitor::parse_duration(opts.interval, "--interval"));
    auto rel_file = ctx.repo_paths({opts.file}).front();
    auto code = [](const Tick& t) {
        if (t.interrupted) return int(util::ExitCode::interrupted);
        if (t.stage_failed) return int(util::ExitCode::stage_failed);
        return t.refused ? int(util::ExitCode::condition_false) : 0;
    };
    auto report = [&](const Tick& t) {
        if (ctx.global.json) {
            ctx.out() << nlohmann::json({{"time", monitor::format_time(double(util::now_ns()) / 1e9)}, {"triggers", t.checks}}).dump() << "\n"
                      << std::flush;
        } else if (!ctx.global.quiet && std::none_of(t.checks.begin(), t.checks.end(), [](const nlohmann::json& c) { return c["fired"].get<bool>(); })) {
            if (opts.once) ctx.say("No trigger fired.");
        }
    };
    if (opts.once) {
        auto t = tick(ctx, opts, rel_file);
        report(t);
        return code(t);
    }
    struct sigaction sa{}, old_int{}, old_term{};
    sa.sa_handler = on_stop;
    sigemptyset(&sa.sa_mask);
    ::sigaction(SIGINT, &sa, &old_int);
    ::sigaction(SIGTERM, &sa, &old_term);
    g_stop = false;
    if (!ctx.global.quiet && !ctx.global.json)
        ctx.say(fmt::format("Watching {} every {} (Ctrl-C to stop)", rel_file, monitor::format_duration(interval)));
    int last = 0;
    while (!g_stop) {
        try {
            auto t = tick(ctx, opts, rel_file);
            report(t);
            last = code(t);
            if (t.interrupted) break;
        } catch (const util::CommandError& e) {
            // A watcher outlives a bad edit of the pipeline file: say so and look again next time.
            if (e.error().kind != util::ErrorKind::usage && e.error().kind != util::ErrorKind::lock) throw;
            ctx.err() << "mlops: error: " << e.error().message << " (watching on)\n" << std::flush;
            last = int(e.error().exit_code());
        }
        ::sigaction(SIGINT, &sa, nullptr);
        ::sigaction(SIGTERM, &sa, nullptr);
        auto until = std::chrono::steady_clock::now() + std::chrono::duration<double>(interval);
        while (!g_stop && std::chrono::steady_clock::now() < until) std::this_thread::sleep_for(std::chrono::milliseconds(50));
    }
    ::sigaction(SIGINT, &old_int, nullptr);
    ::sigaction(SIGTERM, &old_term, nullptr);
    return last == int(util::ExitCode::interrupted) ? last : 0;
}

Runner register_watch(CLI::App& app) {
    auto opts = std::make_shared<WatchOptions>();
    auto* cmd = app.add_subcommand("watch", "Continuous training: run the pipeline's triggers when data changes or drifts, or on a schedule");
    cmd->add_option("-f,--file", opts->file, "Pipeline file with triggers: (default: mlops.yaml)");
    cmd->add_option("--interval", opts->interval, "Time between rounds (default 30s)")->type_name("DURATION");
    cmd->add_flag("--once", opts->once, "One round, then exit (for cron and CI): 0, 7 when a stage failed, 1 when a promotion was refused");
    cmd->add_option("--trigger", opts->triggers, "Only these triggers (repeatable)")->type_name("NAME");
    cmd->add_flag("-n,--dry-run", opts->dry_run, "Say which triggers would fire; run and record nothing");
    cmd->add_flag("--history", opts->history, "Show every recorded firing: reason, runs, promotion");
    cmd->add_option("-j,--jobs", opts->jobs, "Stages to run at once (default: 1)");
    return [opts](Context& ctx) { return run_watch(ctx, *opts); };
}

} // namespace mlops::cli
