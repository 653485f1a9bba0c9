// mlops fsck: verify every object; rebuild the index.
#include "commands.hpp"

#include <mlops/pipeline/record.hpp>
#include <mlops/registry/registry.hpp>
#include <mlops/workspace/maintenance.hpp>

namespace mlops::cli {

struct FsckOptions {
    bool rebuild_index = false;
    unsigned jobs = 0;
};

int run_fsck(Context& ctx, const FsckOptions& opts) {
    auto& repo = ctx.repo();
    if (opts.jobs) repo.set_jobs(opts.jobs);
    workspace::FsckOptions f{opts.rebuild_index, ctx.progress()};
    auto r = util::value_or_throw(workspace::fsck(repo, f));
    std::size_t runs = 0, registry = 0;
    // The run and registry tables are rebuilt from their objects.
    if (opts.rebuild_index) {
        runs = util::value_or_throw(pipeline::reindex_runs(repo));
        registry = util::value_or_throw(registry::reindex_registry(repo));
    }
    if (ctx.global.json) {
        ctx.print_json({{"ok", r.ok()}, {"checked", r.checked}, {"corrupt", r.corrupt}, {"missing", r.missing},
                        {"temp_files", r.temp_files}, {"index_rebuilt", r.index_rebuilt}, {"runs_indexed", runs},
                        {"registry_objects_indexed", registry}});
    } else {
        if (r.index_rebuilt) ctx.say(fmt::format("rebuilt the index from the pointer files, {} run records and {} registry objects", runs, registry));
        for (const auto& c : r.corrupt) ctx.err() << "corrupt object " << c << "\n";
        for (const auto& m : r.missing) ctx.err() << "missing object " << m << "\n";
        if (!r.temp_files.empty())
            ctx.say(fmt::format("{} leftover temporary file{} (run `mlops gc` to remove)", r.temp_files.size(),
                                r.temp_files.size() == 1 ? "" : "s"));
        ctx.say(fmt::format("checked {} objects: {} corrupt, {} missing", r.checked, r.corrupt.size(), r.missing.size()));
    }
    return r.ok() ? 0 : int(util::ExitCode::integrity);
}

Runner register_fsck(CLI::App& app) {
    auto opts = std::make_shared<FsckOptions>();
    auto* cmd = app.add_subcommand("fsck", "Re-hash every object; report corrupt and missing ones (exit 3)");
    cmd->add_flag("--rebuild-index", opts->rebuild_index, "Recreate the SQLite index from the pointer files first");
    cmd->add_option("-j,--jobs", opts->jobs, "Threads (default: four per core)");
    return [opts](Context& ctx) { return run_fsck(ctx, *opts); };
}

} // namespace mlops::cli
