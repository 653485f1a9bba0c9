// mlops hooks install / uninstall / run / check: git hooks (docs/hooks.md). The scripts written
// into git's hooks folder call `mlops hooks run NAME`; the pre-commit framework's hooks
// (.pre-commit-hooks.yaml) call `mlops hooks check WHAT`. The checks are in libmlops/hooks.
#include "commands.hpp"

#include <climits>
#include <iostream>
#include <iterator>
#include <unistd.h>

#include <mlops/hooks/checks.hpp>
#include <mlops/hooks/install.hpp>
#include <mlops/remote/settings.hpp>
#include <mlops/util/fs.hpp>
#include <mlops/util/paths.hpp>
#include <mlops/workspace/checkout.hpp>

#include "remote_cli.hpp"

namespace mlops::cli {

struct HooksOptions {
    bool pre_commit = false, pre_push = false, post_checkout = false, post_merge = false;
    std::string hook;              // run
    std::string what;              // check: status, pointers, pipeline
    std::vector<std::string> args; // run: git's arguments; check: files
    std::string file = "mlops.yaml";
};

namespace {

std::vector<hooks::Hook> selected(const HooksOptions& o) {
    std::vector<hooks::Hook> out;
    if (o.pre_commit) out.push_back(hooks::Hook::pre_commit);
    if (o.pre_push) out.push_back(hooks::Hook::pre_push);
    if (o.post_checkout) out.push_back(hooks::Hook::post_checkout);
    if (o.post_merge) out.push_back(hooks::Hook::post_merge);
    if (out.empty()) out.assign(hooks::all_hooks().begin(), hooks::all_hooks().end());
    return out;
}

std::string hooks_dir(Context& ctx) {
    auto& repo = ctx.repo();
    if (!repo.has_git())
        throw util::CommandError(util::Error::usage("hooks need git (this repository was made with --no-git)"));
    return util::value_or_throw(util::value_or_throw(repo.git())->hooks_dir());
}

std::string self_path() {
    char buf[PATH_MAX];
    ssize_t n = ::readlink("/proc/self/exe", buf, sizeof buf - 1);
    return n > 0 ? std::string(buf, std::size_t(n)) : std::string("mlops");
}

// Prints one line per problem on stderr and the verdict; returns the exit code.
int report(Context& ctx, const std::vector<hooks::Problem>& problems, const std::string& what, const std::string& refused) {
    if (ctx.global.json) {
        nlohmann::json list = nlohmann::json::array();
        for (const auto& p : problems) list.push_back({{"path", p.path}, {"problem", p.message}, {"fix", p.fix}});
        ctx.print_json({{"check", what}, {"ok", problems.empty()}, {"problems", list}});
    } else {
        for (const auto& p : problems) ctx.err() << "mlops: " << p.line() << "\n";
        if (!problems.empty())
            ctx.err() << fmt::format("mlops: {}: {} problem{}{}\n", what, problems.size(), problems.size() == 1 ? "" : "s", refused);
    }
    return problems.empty() ? 0 : int(util::ExitCode::condition_false);
}

template <class T> void append(std::vector<T>& to, std::vector<T>&& from) {
    to.insert(to.end(), std::make_move_iterator(from.begin()), std::make_move_iterator(from.end()));
}

int run_pre_commit(Context& ctx) {
    auto& repo = ctx.repo();
    auto problems = util::value_or_throw(hooks::check_staged_pointers(repo));
    append(problems, util::value_or_throw(hooks::check_unadded(repo)));
    return report(ctx, problems, "pre-commit", "; commit refused (fix them, or skip this check with `git commit --no-verify`)");
}

int run_pre_push(Context& ctx, const HooksOptions& opts) {
    auto& repo = ctx.repo();
    std::string input{std::istreambuf_iterator<char>(std::cin), std::istreambuf_iterator<char>()};
    auto refs = util::value_or_throw(hooks::parse_pre_push(input));
    const auto& cfg = repo.config();
    std::string name = cfg.get_or("hooks.remote", "");
    if (name.empty() && remote::remote_names(cfg).empty()) {
        if (remote::parse_bool(cfg.get_or("hooks.require_remote", "false")))
            throw util::CommandError(util::Error::remote(
                "pre-push: no mlops remote is configured, and hooks.require_remote is set: push refused (add one with "
                "`mlops remote add NAME URL`)"));
        ctx.warn("pre-push: no mlops remote is configured, so the data these commits reference stays on this machine "
                 "(add one with `mlops remote add NAME URL`; set hooks.require_remote to true to refuse such pushes)");
        return 0;
    }
    auto plan = util::value_or_throw(hooks::pushed_objects(repo, refs, opts.args.empty() ? "" : opts.args[0]));
    if (plan.roots.empty()) return 0;
    auto r = open_remote_for(ctx, name, 0, remote::Access::write);
    auto st = remote::value_or_throw(remote::push(repo, r, plan.roots, {ctx.progress(), false}));
    if (!ctx.global.json && st.transferred.objects == 0 && st.failed.objects == 0) return 0; // nothing to say
    report_transfer(ctx, "push", r, st); // throws on failure: git then refuses the push
    return 0;
}

int run_post(Context& ctx, hooks::Hook hook, const HooksOptions& opts) {
    // post-checkout's third argument is 1 for a branch checkout, 0 for `git checkout -- FILE`.
    if (hook == hooks::Hook::post_checkout && (opts.args.size() < 3 || opts.args[2] != "1")) return 0;
    // A commit from before `mlops init` has no .mlops: nothing to do there.
    auto git_top = util::value_or_throw(gitrepo::GitRepo::discover_work_tree(ctx.cwd()));
    if (git_top && !util::value_or_throw(util::stat_path(*git_top + "/" + workspace::k_dir_name))) return 0;
    auto& repo = ctx.repo();
    workspace::CheckoutOptions co;
    co.progress = ctx.progress();
    auto result = workspace::checkout(repo, co);
    if (!result) {
        auto e = std::move(result).error();
        e.message = fmt::format("{}: {} (the data in the work tree was left as it was; `mlops pull` fetches objects "
                                "that are not here, `mlops checkout --force` discards local changes)",
                                hooks::hook_name(hook), e.message);
        throw util::CommandError(e);
    }
    std::uint64_t written = 0, removed = 0, paths = 0;
    for (const auto& r : *result) {
        if (r.unchanged) continue;
        ++paths;
        written += r.written;
        removed += r.removed;
    }
    if (paths)
        ctx.say(fmt::format("mlops: checked out {} tracked path{} ({} file{} written, {} removed)", paths, paths == 1 ? "" : "s",
                            written, written == 1 ? "" : "s", removed));
    return 0;
}

} // namespace

int run_hooks_install(Context& ctx, const HooksOptions& opts) {
    auto dir = hooks_dir(ctx);
    auto list = selected(opts);
    auto done = util::value_or_throw(hooks::install(dir, list, self_path()));
    if (ctx.global.json) {
        nlohmann::json j = nlohmann::json::array();
        for (const auto& d : done)
            j.push_back({{"hook", hooks::hook_name(d.hook)},
                         {"action", hooks::action_name(d.action)},
                         {"path", d.path},
                         {"chained", d.chained.empty() ? nlohmann::json(nullptr) : nlohmann::json(d.chained)}});
        ctx.print_json({{"hooks_dir", dir}, {"hooks", j}});
        return 0;
    }
    for (const auto& d : done) {
        std::string what;
        switch (d.action) {
        case hooks::InstallAction::installed: what = "installed"; break;
        case hooks::InstallAction::updated: what = "updated"; break;
        case hooks::InstallAction::unchanged: what = "already installed"; break;
        case hooks::InstallAction::chained: what = "installed"; break;
        }
        if (!d.chained.empty()) what += fmt::format(" (the hook that was there runs first, kept as {})", util::file_name(d.chained));
        ctx.say(fmt::format("{}: {}", hooks::hook_name(d.hook), what));
    }
    ctx.say(fmt::format("Hooks folder: {}", dir));
    return 0;
}

int run_hooks_uninstall(Context& ctx, const HooksOptions& opts) {
    auto dir = hooks_dir(ctx);
    auto done = util::value_or_throw(hooks::uninstall(dir, selected(opts)));
    if (ctx.global.json) {
        nlohmann::json j = nlohmann::json::array();
        for (const auto& d : done)
            j.push_back({{"hook", hooks::hook_name(d.hook)}, {"action", hooks::action_name(d.action)}, {"path", d.path}});
        ctx.print_json({{"hooks_dir", dir}, {"hooks", j}});
        return 0;
    }
    for (const auto& d : done) {
        const char* what = d.action == hooks::UninstallAction::removed    ? "removed"
                           : d.action == hooks::UninstallAction::restored ? "removed (the hook that was there before is back)"
                                                                          : "not installed by mlops (left alone)";
        ctx.say(fmt::format("{}: {}", hooks::hook_name(d.hook), what));
    }
    return 0;
}

int run_hooks_run(Context& outer, const HooksOptions& opts) {
    // Everything a hook says goes to stderr: git passes a hook's stdout through for some hooks
    // (pre-push) and not others, and scripts around git read stdout.
    Context ctx(outer.err(), outer.err());
    ctx.global = outer.global;
    auto hook = hooks::parse_hook(opts.hook);
    if (!hook) throw util::CommandError(util::Error::usage(fmt::format("'{}' is not a hook mlops runs (pre-commit, pre-push, post-checkout, post-merge)", opts.hook)));
    switch (*hook) {
    case hooks::Hook::pre_commit: return run_pre_commit(ctx);
    case hooks::Hook::pre_push: return run_pre_push(ctx, opts);
    case hooks::Hook::post_checkout:
    case hooks::Hook::post_merge: return run_post(ctx, *hook, opts);
    }
    return int(util::ExitCode::usage);
}

int run_hooks_check(Context& ctx, const HooksOptions& opts) {
    auto& repo = ctx.repo();
    std::vector<hooks::Problem> problems;
    if (opts.what == "status") {
        problems = util::value_or_throw(hooks::check_unadded(repo));
    } else if (opts.what == "pointers") {
        problems = util::value_or_throw(hooks::check_pointer_files(repo, ctx.repo_paths(opts.args)));
    } else {
        problems = util::value_or_throw(hooks::check_pipeline(repo, ctx.repo_paths({opts.file}).front()));
    }
    return report(ctx, problems, opts.what, "");
}

Runner register_hooks(CLI::App& app) {
    auto opts = std::make_shared<HooksOptions>();
    auto* cmd = app.add_subcommand("hooks", "Install git hooks that keep data and pointer files in step (docs/hooks.md)");
    cmd->require_subcommand(1);
    auto add_selection = [&](CLI::App* sub) {
        sub->add_flag("--pre-commit", opts->pre_commit, "pre-commit: refuse commits whose pointer files name missing objects, or with data not re-added");
        sub->add_flag("--pre-push", opts->pre_push, "pre-push: push the objects the pushed commits reference to the mlops remote");
        sub->add_flag("--post-checkout", opts->post_checkout, "post-checkout: `mlops checkout` after switching branches");
        sub->add_flag("--post-merge", opts->post_merge, "post-merge: `mlops checkout` after a merge or pull");
    };
    auto* install = cmd->add_subcommand("install", "Write the hooks (all four without flags), chaining any hook already there");
    add_selection(install);
    auto* uninstall = cmd->add_subcommand("uninstall", "Remove mlops's hooks and restore the hooks they chained");
    add_selection(uninstall);
    auto* run = cmd->add_subcommand("run", "Run a hook's check now (what the installed scripts call)");
    run->add_option("hook", opts->hook, "pre-commit, pre-push, post-checkout or post-merge")
        ->required()
        ->check(CLI::IsMember({"pre-commit", "pre-push", "post-checkout", "post-merge"}));
    run->add_option("args", opts->args, "The arguments git gave the hook")->type_name("ARG...");
    run->positionals_at_end();
    auto* check = cmd->add_subcommand("check", "One check, for the pre-commit framework (.pre-commit-hooks.yaml); exit 1 on problems");
    check->add_option("what", opts->what, "status (data not re-added), pointers (valid, objects present), pipeline (mlops.lock up to date)")
        ->required()
        ->check(CLI::IsMember({"status", "pointers", "pipeline"}));
    check->add_option("files", opts->args, "pointers: the pointer files to check (default: all)")->type_name("FILE...");
    check->add_option("-f,--file", opts->file, "pipeline: the pipeline file (default: mlops.yaml)");
    return [opts, install, uninstall, run, check](Context& ctx) {
        if (install->parsed()) return run_hooks_install(ctx, *opts);
        if (uninstall->parsed()) return run_hooks_uninstall(ctx, *opts);
        if (run->parsed()) return run_hooks_run(ctx, *opts);
        if (check->parsed()) return run_hooks_check(ctx, *opts);
        return int(util::ExitCode::usage);
    };
}

} // namespace mlops::cli
