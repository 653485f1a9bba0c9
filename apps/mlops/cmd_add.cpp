// mlops add: track files and folders by content.
#include "commands.hpp"

#include <mlops/util/paths.hpp>
#include <mlops/util/progress.hpp>
#include <mlops/workspace/add.hpp>

namespace mlops::cli {

struct AddOptions {
    std::vector<std::string> paths;
    bool git_add = false;
    unsigned jobs = 0;
};

int run_add(Context& ctx, const AddOptions& opts) {
    auto& repo = ctx.repo();
    if (opts.jobs) repo.set_jobs(opts.jobs);
    workspace::AddOptions wo;
    // The same path named twice ("data ./data/") is added once.
    for (const auto& p : ctx.repo_paths(opts.paths))
        if (std::find(wo.paths.begin(), wo.paths.end(), p) == wo.paths.end()) wo.paths.push_back(p);
    wo.git_add = opts.git_add ? workspace::GitAdd::yes : workspace::GitAdd::no;
    wo.progress = ctx.progress();
    auto added = util::value_or_throw(workspace::add(repo, wo));
    if (ctx.global.json) {
        nlohmann::json list = nlohmann::json::array();
        for (const auto& a : added)
            list.push_back({{"path", a.path},
                            {"kind", workspace::kind_name(a.pointer.kind)},
                            {"oid", a.pointer.oid},
                            {"size", a.pointer.size},
                            {"files", a.pointer.files},
                            {"changed", a.changed},
                            {"new_objects", a.new_objects},
                            {"hashed_files", a.hashed_files}});
        ctx.print_json({{"added", list}});
        return 0;
    }
    std::vector<std::string> to_commit, ignores;
    for (const auto& a : added) {
        std::string what = a.pointer.kind == workspace::Kind::dir
                               ? fmt::format("folder, {} files, {}", a.pointer.files, util::human_bytes(a.pointer.size))
                               : util::human_bytes(a.pointer.size);
        ctx.say(fmt::format("{} {} ({}; {} new object{})", a.changed ? "added" : "unchanged", ctx.display(a.path), what,
                            a.new_objects, a.new_objects == 1 ? "" : "s"));
        to_commit.push_back(ctx.display(a.path) + ".mlops");
        // The .gitignore that add wrote: the one next to the data, not necessarily the one here.
        std::string ignore = ctx.display(util::join_path(util::parent_path(a.path), ".gitignore"));
        if (std::find(ignores.begin(), ignores.end(), ignore) == ignores.end()) ignores.push_back(ignore);
    }
    if (!opts.git_add && repo.has_git() && !ctx.global.quiet) {
        std::string files;
        for (const auto& f : to_commit) files += " " + f;
        for (const auto& f : ignores) files += " " + f;
        ctx.say(fmt::format("\nTo track the changes with git, run:\n\tgit add{}", files));
    }
    return 0;
}

Runner register_add(CLI::App& app) {
    auto opts = std::make_shared<AddOptions>();
    auto* cmd = app.add_subcommand("add", "Track files or folders: store their content, write PATH.mlops pointer files");
    cmd->add_option("paths", opts->paths, "Files or folders to track")->required()->type_name("PATH...");
    cmd->add_flag("--git-add", opts->git_add, "Stage the pointer files and .gitignore with git");
    cmd->add_option("-j,--jobs", opts->jobs, "Threads for hashing and storing (default: four per core)");
    return [opts](Context& ctx) { return run_add(ctx, *opts); };
}

} // namespace mlops::cli
