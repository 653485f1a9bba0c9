// mlops fetch: bring the objects the pointer files reference from a remote into the local store.
#include "commands.hpp"
#include "remote_cli.hpp"

namespace mlops::cli {

int run_fetch(Context& ctx, const TransferCliOptions& opts) {
    auto& repo = ctx.repo();
    auto sel = remote::value_or_throw(remote::select_paths(repo, ctx.repo_paths(opts.paths)));
    auto roots = remote::value_or_throw(remote::roots_for(repo, sel));
    auto r = open_remote_for(ctx, opts.remote, opts.jobs, remote::Access::read);
    auto st = remote::value_or_throw(remote::fetch(repo, r, roots, {ctx.progress()}));
    report_transfer(ctx, "fetch", r, st);
    return 0;
}

Runner register_fetch(CLI::App& app) {
    auto opts = std::make_shared<TransferCliOptions>();
    auto* cmd = app.add_subcommand("fetch", "Download tracked data from a remote into the local store (the work tree is left alone)");
    add_transfer_options(cmd, *opts);
    return [opts](Context& ctx) { return run_fetch(ctx, *opts); };
}

} // namespace mlops::cli
