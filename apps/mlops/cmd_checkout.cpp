// mlops checkout: make the work tree match the pointer files.
#include "commands.hpp"

#include <mlops/workspace/checkout.hpp>

namespace mlops::cli {

struct CheckoutOptions {
    std::vector<std::string> paths;
    bool force = false;
    unsigned jobs = 0;
};

int run_checkout(Context& ctx, const CheckoutOptions& opts) {
    auto& repo = ctx.repo();
    if (opts.jobs) repo.set_jobs(opts.jobs);
    workspace::CheckoutOptions co;
    co.paths = ctx.repo_paths(opts.paths);
    co.force = opts.force ? workspace::Force::yes : workspace::Force::no;
    co.progress = ctx.progress();
    auto result = util::value_or_throw(workspace::checkout(repo, co));
    if (ctx.global.json) {
        nlohmann::json list = nlohmann::json::array();
        for (const auto& r : result)
            list.push_back({{"path", r.path}, {"written", r.written}, {"removed", r.removed}, {"unchanged", r.unchanged}});
        ctx.print_json({{"paths", list}});
        return 0;
    }
    std::size_t changed = 0;
    for (const auto& r : result) {
        if (r.unchanged) continue;
        ++changed;
        ctx.say(fmt::format("{}: {} file{} written, {} removed", ctx.display(r.path), r.written, r.written == 1 ? "" : "s", r.removed));
    }
    if (changed == 0) ctx.say("Work tree already matches the pointer files.");
    return 0;
}

Runner register_checkout(CLI::App& app) {
    auto opts = std::make_shared<CheckoutOptions>();
    auto* cmd = app.add_subcommand("checkout", "Restore tracked data to what the pointer files name");
    cmd->add_option("paths", opts->paths, "Tracked paths (default: all)")->type_name("PATH...");
    cmd->add_flag("-f,--force", opts->force, "Overwrite local changes that are not in the store");
    cmd->add_option("-j,--jobs", opts->jobs, "Threads (default: four per core)");
    return [opts](Context& ctx) { return run_checkout(ctx, *opts); };
}

} // namespace mlops::cli
