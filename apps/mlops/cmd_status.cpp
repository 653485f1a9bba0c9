// mlops status: which tracked paths differ from their pointer files.
#include "commands.hpp"

#include <mlops/pipeline/runner.hpp>
#include <mlops/util/fs.hpp>
#include <mlops/workspace/status.hpp>

#include "remote_cli.hpp"

namespace mlops::cli {

struct StatusOptions {
    std::vector<std::string> paths;
    bool exit_code = false;
    bool remote = false;
    std::string remote_name;
};

nlohmann::json change_json(const workspace::FileChange& c) {
    return {{"path", c.path}, {"change", workspace::change_name(c.change)}, {"old_size", c.old_size}, {"new_size", c.new_size}};
}

int run_status(Context& ctx, const StatusOptions& opts) {
    if (opts.remote) return run_remote_status(ctx, {opts.remote_name, opts.paths, 0, opts.exit_code});
    auto& repo = ctx.repo();
    workspace::StatusOptions so;
    so.paths = ctx.repo_paths(opts.paths);
    so.progress = ctx.progress();
    auto result = util::value_or_throw(workspace::status(repo, so));
    bool clean = std::all_of(result.begin(), result.end(),
                             [](const auto& s) { return s.state == workspace::PathState::unchanged; });
    // The pipeline's stages too, when there is a pipeline and no paths were named.
    std::optional<pipeline::RunReport> stages;
    if (opts.paths.empty() && util::value_or_throw(util::stat_path(repo.abs("mlops.yaml")))) {
        pipeline::RunOptions ro;
        ro.dry_run = true;
        ro.echo = false;
        stages = util::value_or_throw(pipeline::run(repo, ro));
        for (const auto& s : stages->stages) clean &= s.action != pipeline::Action::would_run;
    }
    if (ctx.global.json) {
        nlohmann::json list = nlohmann::json::array();
        for (const auto& s : result) {
            nlohmann::json changes = nlohmann::json::array();
            for (const auto& c : s.changes) changes.push_back(change_json(c));
            list.push_back({{"path", s.path},
                            {"kind", workspace::kind_name(s.kind)},
                            {"state", workspace::state_name(s.state)},
                            {"expected_oid", s.expected_oid},
                            {"actual_oid", s.actual_oid.empty() ? nlohmann::json(nullptr) : nlohmann::json(s.actual_oid)},
                            {"changes", changes}});
        }
        nlohmann::json j = {{"clean", clean}, {"paths", list}};
        if (stages) {
            nlohmann::json sl = nlohmann::json::array();
            for (const auto& s : stages->stages)
                sl.push_back({{"stage", s.stage},
                              {"state", s.action == pipeline::Action::would_run ? "changed" : pipeline::action_name(s.action)},
                              {"reasons", s.reasons}});
            j["stages"] = sl;
        }
        ctx.print_json(j);
    } else if (result.empty() && !stages) {
        ctx.say("Nothing tracked yet (track data with `mlops add PATH`).");
    } else if (clean) {
        if (result.empty())
            ctx.say(fmt::format("Pipeline is up to date ({} stage{}).", stages->stages.size(), stages->stages.size() == 1 ? "" : "s"));
        else
            ctx.say(fmt::format("Tracked data is up to date ({} path{}){}.", result.size(), result.size() == 1 ? "" : "s",
                                stages ? fmt::format(", and so are the {} pipeline stages", stages->stages.size()) : ""));
    } else {
        for (const auto& s : result) {
            if (s.state == workspace::PathState::unchanged) {
                if (ctx.global.verbose) ctx.say(fmt::format("{}: unchanged", ctx.display(s.path)));
                continue;
            }
            const char* colour = s.state == workspace::PathState::modified ? "33" : "31";
            std::string state = s.state == workspace::PathState::not_in_store ? "missing (and not in the store)"
                                                                              : workspace::state_name(s.state);
            ctx.say(fmt::format("{}: {}", ctx.display(s.path), paint(ctx, colour, state)));
            for (const auto& c : s.changes)
                ctx.say(fmt::format("\t{:<10}{}", std::string(workspace::change_name(c.change)) + ":", ctx.display(c.path)));
        }
        if (!std::all_of(result.begin(), result.end(), [](const auto& s) { return s.state == workspace::PathState::unchanged; }))
            ctx.say("\n(use `mlops add PATH` to record changes, `mlops checkout PATH` to restore)");
        if (stages) {
            bool header = false;
            for (const auto& s : stages->stages) {
                if (s.action != pipeline::Action::would_run) continue;
                if (!header) ctx.say(fmt::format("{}Pipeline stages out of date (`mlops run` brings them up to date):", result.empty() ? "" : "\n"));
                header = true;
                ctx.say(fmt::format("\t{}: {}", paint(ctx, "33", s.stage), fmt::join(s.reasons, "; ")));
            }
        }
    }
    return opts.exit_code && !clean ? int(util::ExitCode::condition_false) : 0;
}

Runner register_status(CLI::App& app) {
    auto opts = std::make_shared<StatusOptions>();
    auto* cmd = app.add_subcommand("status", "Show tracked paths whose content differs from their pointer files");
    cmd->add_option("paths", opts->paths, "Tracked paths (default: all)")->type_name("PATH...");
    cmd->add_flag("--exit-code", opts->exit_code, "Exit with 1 when anything differs (for CI and hooks)");
    cmd->add_flag("--remote", opts->remote, "Show which tracked objects a remote lacks (as `mlops remote status`)");
    cmd->add_option("-r", opts->remote_name, "The remote for --remote (default: core.remote, or the only remote)")->type_name("NAME");
    return [opts](Context& ctx) { return run_status(ctx, *opts); };
}

} // namespace mlops::cli
