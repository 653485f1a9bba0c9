// mlops diff: changes in tracked data between the work tree and a revision, or two revisions.
#include "commands.hpp"

#include <mlops/util/progress.hpp>
#include <mlops/workspace/history.hpp>

namespace mlops::cli {

struct DiffOptions {
    std::vector<std::string> revs;
    std::vector<std::string> paths;
    bool exit_code = false;
};

int run_diff(Context& ctx, const DiffOptions& opts) {
    auto& repo = ctx.repo();
    if (opts.revs.size() > 2) throw util::CommandError(util::Error::usage("diff takes at most two revisions"));
    workspace::DiffOptions d;
    if (opts.revs.size() >= 1) d.a_rev = opts.revs[0];
    if (opts.revs.size() == 2) d.b_rev = opts.revs[1];
    d.paths = ctx.repo_paths(opts.paths);
    auto entries = util::value_or_throw(workspace::diff(repo, d));
    if (ctx.global.json) {
        nlohmann::json j = {{"added", nlohmann::json::array()}, {"removed", nlohmann::json::array()}, {"modified", nlohmann::json::array()}};
        for (const auto& e : entries) {
            nlohmann::json row = {{"path", e.path}, {"old_size", e.old_size}, {"new_size", e.new_size},
                                  {"old_oid", e.old_oid.empty() ? nlohmann::json(nullptr) : nlohmann::json(e.old_oid)},
                                  {"new_oid", e.new_oid.empty() ? nlohmann::json(nullptr) : nlohmann::json(e.new_oid)},
                                  {"is_dir", e.is_dir}, {"contents_unknown", e.contents_unknown}};
            j[workspace::change_name(e.change)].push_back(row);
        }
        ctx.print_json(j);
    } else if (entries.empty()) {
        ctx.say("No changes in tracked data.");
    } else {
        for (const auto& e : entries) {
            std::string size = e.change == workspace::ChangeKind::added     ? util::human_bytes(e.new_size)
                               : e.change == workspace::ChangeKind::removed ? util::human_bytes(e.old_size)
                                   : fmt::format("{} -> {}", util::human_bytes(e.old_size), util::human_bytes(e.new_size));
            const char* colour = e.change == workspace::ChangeKind::added ? "32" : e.change == workspace::ChangeKind::removed ? "31" : "33";
            ctx.say(fmt::format("{}  {}{}  ({})", paint(ctx, colour, fmt::format("{:<9}", workspace::change_name(e.change))),
                                e.path, e.is_dir ? "/" : "", size));
        }
    }
    return opts.exit_code && !entries.empty() ? int(util::ExitCode::condition_false) : 0;
}

Runner register_diff(CLI::App& app) {
    auto opts = std::make_shared<DiffOptions>();
    auto* cmd = app.add_subcommand("diff", "Show changes in tracked data: work tree vs REV (default HEAD), or REV vs REV");
    cmd->add_option("revs", opts->revs, "Zero, one or two git revisions")->type_name("[REV [REV]]");
    // One value per --path: a vector option would otherwise swallow the revisions after it.
    cmd->add_option("--path", opts->paths, "Only these tracked paths (repeatable)")->allow_extra_args(false);
    cmd->add_flag("--exit-code", opts->exit_code, "Exit with 1 when there are changes");
    return [opts](Context& ctx) { return run_diff(ctx, *opts); };
}

} // namespace mlops::cli
