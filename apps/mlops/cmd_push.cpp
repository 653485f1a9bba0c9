// mlops push: send the objects the pointer files reference (and everything they reach) to a remote;
// without paths also the run records and the model registry (records_cli.hpp).
#include "commands.hpp"
#include "records_cli.hpp"
#include "remote_cli.hpp"

namespace mlops::cli {

int run_push(Context& ctx, const TransferCliOptions& opts) {
    auto& repo = ctx.repo();
    auto sel = remote::value_or_throw(remote::select_paths(repo, ctx.repo_paths(opts.paths)));
    auto roots = remote::value_or_throw(remote::roots_for(repo, sel));
    // Without paths, run records and the registry go too; they are listed once they are there.
    bool records = opts.paths.empty() && !opts.no_records;
    RecordSet set;
    if (records) {
        set = record_set(ctx);
        roots.insert(roots.end(), set.roots.begin(), set.roots.end());
    }
    auto r = open_remote_for(ctx, opts.remote, opts.jobs, remote::Access::write);
    auto st = remote::value_or_throw(remote::push(repo, r, roots, {ctx.progress(), opts.recheck}));
    RefsPushed refs;
    if (records && !st.error && st.failed.objects == 0) refs = push_record_refs(ctx, r, set);
    report_transfer(ctx, "push", r, st, {{"records", records_json(refs.runs, refs.registry)}});
    if (!ctx.global.json) say_records(ctx, "Listed", refs.runs, refs.registry, {});
    return 0;
}

Runner register_push(CLI::App& app) {
    auto opts = std::make_shared<TransferCliOptions>();
    auto* cmd = app.add_subcommand("push", "Send tracked data to a remote (only what it lacks)");
    add_transfer_options(cmd, *opts);
    cmd->add_flag("--recheck", opts->recheck,
                  "Ask the remote about every object, even those earlier transfers recorded as there");
    return [opts](Context& ctx) { return run_push(ctx, *opts); };
}

} // namespace mlops::cli
