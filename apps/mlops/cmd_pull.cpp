// mlops pull: fetch, then check out what was fetched.
#include "commands.hpp"
#include "records_cli.hpp"
#include "remote_cli.hpp"

#include <mlops/workspace/checkout.hpp>

namespace mlops::cli {

int run_pull(Context& ctx, const TransferCliOptions& opts) {
    auto& repo = ctx.repo();
    auto sel = remote::value_or_throw(remote::select_paths(repo, ctx.repo_paths(opts.paths)));
    auto roots = remote::value_or_throw(remote::roots_for(repo, sel));
    auto r = open_remote_for(ctx, opts.remote, opts.jobs, remote::Access::read);
    auto st = remote::value_or_throw(remote::fetch(repo, r, roots, {ctx.progress()}));
    RecordsFetched rec;
    if (opts.paths.empty() && !opts.no_records && !st.error) {
        rec = fetch_records(ctx, r);
        add_transfer_stats(st, rec.stats);
    }
    if (st.error) {
        report_transfer(ctx, "pull", r, st); // throws: nothing is checked out from a failed fetch
        return 0;
    }
    // Whole tracked paths go through checkout; parts of a folder are written entry by entry.
    workspace::CheckoutOptions co;
    co.force = opts.force ? workspace::Force::yes : workspace::Force::no;
    co.progress = ctx.progress();
    std::vector<remote::Selection> parts;
    for (const auto& s : sel) {
        if (s.sub.empty())
            co.paths.push_back(s.tracked);
        else
            parts.push_back(s);
    }
    nlohmann::json checked = nlohmann::json::array();
    std::vector<std::string> lines;
    if (!co.paths.empty()) {
        for (const auto& c : util::value_or_throw(workspace::checkout(repo, co))) {
            checked.push_back(nlohmann::json{{"path", c.path}, {"written", c.written}, {"removed", c.removed}, {"unchanged", c.unchanged}});
            if (!c.unchanged)
                lines.push_back(fmt::format("{}: {} file{} written, {} removed", ctx.display(c.path), c.written,
                                            c.written == 1 ? "" : "s", c.removed));
        }
    }
    for (const auto& p : parts) {
        auto c = remote::value_or_throw(remote::checkout_part(repo, p, opts.force));
        std::string path = p.tracked + "/" + p.sub;
        checked.push_back(nlohmann::json{{"path", path}, {"written", c.written}, {"removed", 0}, {"unchanged", c.written == 0}});
        if (c.written) lines.push_back(fmt::format("{}: {} file{} written", ctx.display(path), c.written, c.written == 1 ? "" : "s"));
    }
    report_transfer(ctx, "pull", r, st,
                    {{"checkout", checked}, {"records", records_json(rec.runs, rec.registry)}, {"conflicts", rec.conflicts}});
    if (!ctx.global.json) {
        for (const auto& l : lines) ctx.say(l);
        say_records(ctx, "Received", rec.runs, rec.registry, rec.conflicts);
    }
    return 0;
}

Runner register_pull(CLI::App& app) {
    auto opts = std::make_shared<TransferCliOptions>();
    auto* cmd = app.add_subcommand("pull", "Fetch tracked data from a remote, then check it out into the work tree");
    add_transfer_options(cmd, *opts);
    cmd->add_flag("-f,--force", opts->force, "Overwrite local changes that are not in the store");
    return [opts](Context& ctx) { return run_pull(ctx, *opts); };
}

} // namespace mlops::cli
