// mlops runs list / runs show: the recorded stage executions.
#include "commands.hpp"

#include <mlops/pipeline/record.hpp>

#include "run_lookup.hpp"

namespace mlops::cli {

struct RunsOptions {
    std::string stage;
    std::size_t limit = 20;
    std::string run;
    bool show_log = false;
};

int run_runs_list(Context& ctx, const RunsOptions& opts) {
    auto* index = util::value_or_throw(ctx.repo().index());
    auto rows = util::value_or_throw(index->runs(opts.stage, opts.limit));
    if (ctx.global.json) {
        nlohmann::json list = nlohmann::json::array();
        for (const auto& r : rows)
            list.push_back({{"run_id", r.run_id}, {"stage", r.stage}, {"pipeline", r.pipeline}, {"status", r.status},
                            {"started", pipeline::iso_time(r.started_ns)}, {"duration_s", double(r.ended_ns - r.started_ns) / 1e9},
                            {"commit", r.git_commit.empty() ? nlohmann::json(nullptr) : nlohmann::json(r.git_commit)}, {"oid", r.oid}});
        ctx.print_json({{"runs", list}});
        return 0;
    }
    if (rows.empty()) {
        ctx.say("No runs recorded yet (run a pipeline with `mlops run`).");
        return 0;
    }
    ctx.say(fmt::format("{:<18} {:<24} {:<12} {:<24} {:>9}  {}", "RUN", "STAGE", "STATUS", "STARTED", "SECONDS", "COMMIT"));
    for (const auto& r : rows)
        ctx.say(fmt::format("{:<18} {:<24} {:<12} {:<24} {:>9.2f}  {}", r.run_id, r.stage, r.status, pipeline::iso_time(r.started_ns),
                            double(r.ended_ns - r.started_ns) / 1e9, r.git_commit.substr(0, 12)));
    return 0;
}

int run_runs_show(Context& ctx, const RunsOptions& opts) {
    auto rec = load_run_record(ctx, opts.run);
    if (ctx.global.json) {
        ctx.print_json(pipeline::run_record_json(rec));
        return 0;
    }
    ctx.say(fmt::format("run       {}\nstage     {} ({})\nstatus    {}{}\ncommand   {}", rec.run_id, rec.stage, rec.pipeline, rec.status,
                        rec.error.empty() ? "" : " (" + rec.error + ")", rec.cmd));
    ctx.say(fmt::format("started   {}  ({:.2f} s, exit status {})", pipeline::iso_time(rec.started_ns),
                        double(rec.ended_ns - rec.started_ns) / 1e9, rec.exit_status));
    ctx.say(fmt::format("code      {}{}", rec.code.commit.empty() ? "(no commit)" : rec.code.commit,
                        rec.code.dirty ? fmt::format(" + uncommitted changes in {}", fmt::join(rec.code.dirty_files, ", ")) : ""));
    ctx.say(fmt::format("host      {} (user {}, mlops {})", rec.host, rec.user, rec.tool_version));
    for (const auto& [p, oid] : rec.deps) ctx.say(fmt::format("dep       {}  {}", p, oid.empty() ? "(missing)" : oid.substr(0, 12)));
    for (const auto& [file, keys] : rec.params.items())
        for (const auto& [k, v] : keys.items()) ctx.say(fmt::format("param     {}:{} = {}", file, k, v.dump()));
    for (const auto& o : rec.outs) ctx.say(fmt::format("out       {}  {}  ({})", o.path, o.oid.substr(0, 12), o.kind));
    for (const auto& [file, keys] : rec.metrics.items())
        for (const auto& [k, v] : keys.items()) ctx.say(fmt::format("metric    {}:{} = {}", file, k, v.dump()));
    ctx.say(fmt::format("log       {}", rec.log_oid));
    if (opts.show_log && !rec.log_oid.empty()) {
        auto log = util::value_or_throw(ctx.repo().objects().read(rec.log_oid));
        ctx.out() << "\n" << log;
    }
    return 0;
}

Runner register_runs(CLI::App& app) {
    auto opts = std::make_shared<RunsOptions>();
    auto* cmd = app.add_subcommand("runs", "List and show recorded stage runs");
    cmd->require_subcommand(1);
    auto* list = cmd->add_subcommand("list", "Recorded runs, newest first");
    list->add_option("--stage", opts->stage, "Only this stage ('train' includes train@*)");
    list->add_option("-n,--limit", opts->limit, "At most N runs (default 20, 0 = all)");
    auto* show = cmd->add_subcommand("show", "One run: command, inputs, params, outputs, metrics, code, log");
    show->add_option("run", opts->run, "Run id (or a unique prefix)")->required();
    show->add_flag("--log", opts->show_log, "Print the captured output too");
    return [opts, list, show](Context& ctx) {
        if (list->parsed()) return run_runs_list(ctx, *opts);
        if (show->parsed()) return run_runs_show(ctx, *opts);
        return int(util::ExitCode::usage);
    };
}

} // namespace mlops::cli
