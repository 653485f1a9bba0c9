// mlops init: create .mlops/ in the git work tree.
#include "commands.hpp"

#include <mlops/workspace/repository.hpp>

namespace mlops::cli {

struct InitOptions {
    bool no_git = false;
};

int run_init(Context& ctx, const InitOptions& opts) {
    auto r = util::value_or_throw(workspace::Repository::init(ctx.cwd(), opts.no_git ? workspace::NoGit::yes : workspace::NoGit::no));
    if (ctx.global.json) {
        ctx.print_json({{"root", r.root}, {"created", r.created}, {"git", r.git}});
    } else {
        ctx.say(fmt::format("{} mlops repository in {}/.mlops", r.created ? "Initialized empty" : "Reinitialized existing", r.root));
        if (r.created && r.git) ctx.say("Commit .mlops/config and .mlops/.gitignore with git to share the settings.");
    }
    return 0;
}

Runner register_init(CLI::App& app) {
    auto opts = std::make_shared<InitOptions>();
    auto* cmd = app.add_subcommand("init", "Create an mlops repository (.mlops/) in this git work tree");
    cmd->add_flag("--no-git", opts->no_git, "Allow a repository outside a git work tree (history commands will not work)");
    return [opts](Context& ctx) { return run_init(ctx, *opts); };
}

} // namespace mlops::cli
