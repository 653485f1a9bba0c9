// mlops fetch: bring the objects the pointer files reference from a remote into the local store;
// without paths also the run records and the registry, and NAME@ALIAS fetches a registered model.
#include "commands.hpp"

#include <algorithm>

#include "records_cli.hpp"
#include "remote_cli.hpp"

namespace mlops::cli {

int run_fetch(Context& ctx, const TransferCliOptions& opts) {
    auto& repo = ctx.repo();
    auto r = open_remote_for(ctx, opts.remote, opts.jobs, remote::Access::read);
    RecordsFetched rec;
    bool records = opts.paths.empty() && !opts.no_records;
    // A model named by NAME@ALIAS is looked up in the registry: bring the registry first (a fresh
    // clone has none yet), then its bundle.
    auto paths = opts.paths;
    if (!opts.no_records && std::any_of(paths.begin(), paths.end(), [&](const std::string& a) { return names_model(ctx, a); })) {
        rec = fetch_records(ctx, r);
        records = false;
    }
    auto roots = model_roots(ctx, paths); // NAME@ALIAS, NAME:VERSION: that model's bundle
    if (opts.paths.empty() || !paths.empty()) {
        auto sel = remote::value_or_throw(remote::select_paths(repo, ctx.repo_paths(paths)));
        auto data = remote::value_or_throw(remote::roots_for(repo, sel));
        roots.insert(roots.end(), data.begin(), data.end());
    }
    auto st = remote::value_or_throw(remote::fetch(repo, r, roots, {ctx.progress()}));
    if (records && !st.error) rec = fetch_records(ctx, r);
    add_transfer_stats(st, rec.stats);
    report_transfer(ctx, "fetch", r, st, {{"records", records_json(rec.runs, rec.registry)}, {"conflicts", rec.conflicts}});
    if (!ctx.global.json) say_records(ctx, "Received", rec.runs, rec.registry, rec.conflicts);
    return 0;
}

Runner register_fetch(CLI::App& app) {
    auto opts = std::make_shared<TransferCliOptions>();
    auto* cmd = app.add_subcommand("fetch", "Download tracked data (and runs, the registry, or a model NAME@ALIAS) into the local store");
    add_transfer_options(cmd, *opts);
    return [opts](Context& ctx) { return run_fetch(ctx, *opts); };
}

} // namespace mlops::cli
