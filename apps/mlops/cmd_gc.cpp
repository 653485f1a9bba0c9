// mlops gc: remove objects that nothing refers to.
#include "commands.hpp"

#include <mlops/pipeline/roots.hpp>
#include <mlops/registry/registry.hpp>
#include <mlops/util/progress.hpp>
#include <mlops/workspace/maintenance.hpp>

namespace mlops::cli {

struct GcOptions {
    bool dry_run = false;
    bool worktree_only = false;
};

int run_gc(Context& ctx, const GcOptions& opts) {
    workspace::GcOptions g;
    g.dry_run = opts.dry_run;
    g.scope = opts.worktree_only ? workspace::RootScope::worktree : workspace::RootScope::history;
    // Every feature's roots: pointer files, then pipeline lock files and run records.
    auto sources = workspace::root_sources();
    for (const auto& s : pipeline::root_sources()) sources.push_back(s);
    for (const auto& s : registry::root_sources()) sources.push_back(s);
    auto r = util::value_or_throw(workspace::gc(ctx.repo(), g, sources));
    if (ctx.global.json) {
        ctx.print_json({{"dry_run", opts.dry_run}, {"kept", r.kept}, {"removed", r.removed},
                        {"removed_bytes", r.removed_bytes}, {"temp_files_removed", r.temp_files_removed}});
    } else {
        ctx.say(fmt::format("{} {} object{} ({}); kept {}{}", opts.dry_run ? "would remove" : "removed", r.removed,
                            r.removed == 1 ? "" : "s", util::human_bytes(r.removed_bytes), r.kept,
                            r.temp_files_removed ? fmt::format("; {} leftover temporary files", r.temp_files_removed) : ""));
    }
    return 0;
}

Runner register_gc(CLI::App& app) {
    auto opts = std::make_shared<GcOptions>();
    auto* cmd = app.add_subcommand("gc", "Remove objects not reachable from any pointer file in the work tree, the git index, "
                                         "or any commit of any branch or tag");
    cmd->add_flag("-n,--dry-run", opts->dry_run, "Only report what would be removed");
    cmd->add_flag("--worktree-only", opts->worktree_only, "Keep only what the work tree and the git index refer to (drops old versions)");
    return [opts](Context& ctx) { return run_gc(ctx, *opts); };
}

} // namespace mlops::cli
