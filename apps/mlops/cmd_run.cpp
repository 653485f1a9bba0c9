// mlops run (alias repro): bring the pipeline up to date.
#include "commands.hpp"

#include <mlops/pipeline/runner.hpp>

#include "slurm_cli.hpp"

namespace mlops::cli {

struct RunOptions {
    std::vector<std::string> stages;
    std::string file = "mlops.yaml";
    unsigned jobs = 0;
    bool force = false;
    bool dry_run = false;
    bool keep_going = false;
    bool downstream = false;
    bool no_run_cache = false;
    std::string executor; // local or slurm; "" = the pipeline file's `executor`, else run.executor, else local
    bool detach = false;
    std::string remote;
};

namespace {

// --executor, else the pipeline file's `executor:`, else the run.executor setting, else local.
std::string choose_executor(Context& ctx, const RunOptions& opts, const std::string& file) {
    auto check = [](const std::string& e, const std::string& where) {
        if (e != "local" && e != "slurm")
            throw util::CommandError(util::Error::usage(fmt::format("{}: unknown executor '{}' (local or slurm)", where, e)));
        return e;
    };
    if (!opts.executor.empty()) return check(opts.executor, "--executor");
    auto loaded = pipeline::load(ctx.repo(), file);
    if (loaded && !loaded->pipeline->executor.empty()) return loaded->pipeline->executor;
    if (auto e = ctx.repo().config().get("run.executor")) return check(*e, "run.executor");
    return "local";
}

} // namespace

int run_run(Context& ctx, const RunOptions& opts) {
    auto& repo = ctx.repo();
    auto file = ctx.repo_paths({opts.file}).front();
    if (choose_executor(ctx, opts, file) == "slurm") {
        SlurmRunOptions so;
        so.file = file;
        so.stages = opts.stages;
        so.jobs = opts.jobs;
        so.force = opts.force;
        so.dry_run = opts.dry_run;
        so.downstream = opts.downstream;
        so.run_cache = !opts.no_run_cache;
        so.detach = opts.detach;
        so.remote = opts.remote;
        return run_on_slurm(ctx, so);
    }
    if (opts.detach) throw util::CommandError(util::Error::usage("--detach needs --executor slurm (a local run ends with the command)"));
    pipeline::RunOptions ro;
    ro.file = file;
    ro.stages = opts.stages;
    ro.jobs = opts.jobs == 0 ? 1 : opts.jobs;
    ro.force = opts.force;
    ro.dry_run = opts.dry_run;
    ro.keep_going = opts.keep_going;
    ro.downstream = opts.downstream;
    ro.run_cache = !opts.no_run_cache;
    ro.echo = !ctx.global.quiet && !ctx.global.json;
    bool chatty = !ctx.global.quiet && !ctx.global.json;
    ro.say = [&ctx, chatty](const std::string& line) {
        if (chatty) ctx.err() << "mlops: " << line << "\n" << std::flush;
    };
    auto report = util::value_or_throw(pipeline::run(repo, ro));
    if (ctx.global.json) {
        nlohmann::json list = nlohmann::json::array();
        for (const auto& s : report.stages)
            list.push_back({{"stage", s.stage}, {"action", pipeline::action_name(s.action)}, {"reasons", s.reasons},
                            {"run_id", s.run_id.empty() ? nlohmann::json(nullptr) : nlohmann::json(s.run_id)},
                            {"exit_status", s.exit_status}, {"seconds", s.seconds}});
        ctx.print_json({{"ok", report.ok()}, {"interrupted", report.interrupted}, {"stages", list}});
    } else {
        for (const auto& s : report.stages) {
            switch (s.action) {
            case pipeline::Action::up_to_date:
                if (ctx.global.verbose) ctx.say(fmt::format("{}: up to date", s.stage));
                break;
            case pipeline::Action::would_run:
                ctx.say(fmt::format("{}: would run ({})", s.stage, fmt::join(s.reasons, "; ")));
                break;
            case pipeline::Action::failed:
                ctx.err() << "mlops: stage " << s.stage << " failed: " << fmt::format("{}", fmt::join(s.reasons, "; "))
                          << (s.run_id.empty() ? "" : fmt::format(" (run {})", s.run_id)) << "\n";
                if (!ro.echo) ctx.err() << s.log_tail;
                break;
            case pipeline::Action::skipped:
                ctx.err() << "mlops: stage " << s.stage << " not run: " << fmt::format("{}", fmt::join(s.reasons, "; ")) << "\n";
                break;
            case pipeline::Action::interrupted:
                ctx.err() << "mlops: stage " << s.stage << " interrupted\n";
                break;
            default: break;
            }
        }
        std::size_t ran = 0, restored = 0, current = 0;
        for (const auto& s : report.stages) {
            ran += s.action == pipeline::Action::ran;
            restored += s.action == pipeline::Action::restored;
            current += s.action == pipeline::Action::up_to_date || s.action == pipeline::Action::frozen;
        }
        if (!opts.dry_run && report.ok())
            ctx.say(ran + restored == 0 ? "Pipeline is up to date."
                                        : fmt::format("{} stage{} ran, {} restored from the run cache, {} up to date.", ran,
                                                      ran == 1 ? "" : "s", restored, current));
    }
    if (report.interrupted) {
        ctx.err() << "mlops: error: interrupted; stages that finished are recorded, the others will run next time\n";
        return int(util::ExitCode::interrupted);
    }
    if (!report.ok()) {
        std::vector<std::string> failed;
        for (const auto& s : report.stages)
            if (s.action == pipeline::Action::failed) failed.push_back(s.run_id.empty() ? s.stage : fmt::format("{} (run {})", s.stage, s.run_id));
        ctx.err() << fmt::format("mlops: error: {} failed: {}; see `mlops runs show RUN --log`\n",
                                 failed.size() == 1 ? "a stage" : fmt::format("{} stages", failed.size()), fmt::join(failed, ", "));
        return int(util::ExitCode::stage_failed);
    }
    return 0;
}

Runner register_run(CLI::App& app) {
    auto opts = std::make_shared<RunOptions>();
    auto* cmd = app.add_subcommand("run", "Run the pipeline stages that are out of date (and what they need)");
    cmd->alias("repro");
    cmd->add_option("stages", opts->stages, "Stages to bring up to date (default: all); 'train' includes train@*")->type_name("STAGE...");
    cmd->add_option("-f,--file", opts->file, "Pipeline file (default: mlops.yaml)");
    cmd->add_option("-j,--jobs", opts->jobs, "Stages to run at once (default: 1; with slurm: as many as Slurm allows)");
    cmd->add_flag("--force", opts->force, "Run the stages even when up to date");
    cmd->add_flag("-n,--dry-run", opts->dry_run, "Print what would run and why; run nothing");
    cmd->add_flag("-k,--keep-going", opts->keep_going, "After a failure, go on with stages that do not depend on it");
    cmd->add_flag("--downstream", opts->downstream, "Also run the stages that depend on the named ones");
    cmd->add_flag("--no-run-cache", opts->no_run_cache, "Do not restore outputs of identical earlier runs");
    cmd->add_option("--executor", opts->executor, "local (default) or slurm: one sbatch job per stage (also `executor:` in the file, or run.executor)")
        ->type_name("NAME");
    cmd->add_flag("--detach", opts->detach, "With slurm: submit and return; `mlops runs wait` collects the results");
    cmd->add_option("-r,--remote", opts->remote, "With slurm: the shared remote (default: core.remote, or the only remote)")->type_name("NAME");
    return [opts](Context& ctx) { return run_run(ctx, *opts); };
}

} // namespace mlops::cli
