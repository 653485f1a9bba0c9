// mlops report site: the project as a static site (overview, runs, metrics over time, models,
// lineage, health) that opens from disk and loads nothing from the network (docs/report-site.md).
#include "commands.hpp"

#include <filesystem>
#include <spawn.h>
#include <sys/wait.h>

#include <mlops/site/gather.hpp>
#include <mlops/site/output.hpp>
#include <mlops/site/render.hpp>
#include <mlops/util/paths.hpp>
#include <mlops/util/strings.hpp>

extern char** environ;

namespace mlops::cli {

struct ReportOptions {
    std::string output; // "" = site/ at the repository's root
    std::string since;
    bool open = false;
};

namespace {

// The repository's root as a relative link from the site folder ("../"), or "" when the site is
// outside the repository.
std::string repo_link(const std::string& root, const std::string& target) {
    if (!target.starts_with(root + "/")) return "";
    std::string rest = target.substr(root.size() + 1), link;
    for (auto part : util::split(rest, '/'))
        if (!part.empty()) link += "../";
    return link;
}

void open_in_browser(Context& ctx, const std::string& index) {
    pid_t pid = 0;
    std::string prog = "xdg-open";
    char* argv[] = {prog.data(), const_cast<char*>(index.c_str()), nullptr};
    if (posix_spawnp(&pid, prog.c_str(), nullptr, nullptr, argv, environ) != 0) {
        ctx.warn(fmt::format("--open: cannot start xdg-open; open {} in a browser", index));
        return;
    }
    int status = 0;
    (void)waitpid(pid, &status, 0);
    if (!WIFEXITED(status) || WEXITSTATUS(status) != 0) ctx.warn(fmt::format("--open: xdg-open failed; open {} in a browser", index));
}

} // namespace

int run_report(Context& ctx, const ReportOptions& opts) {
    auto& repo = ctx.repo();
    std::string target = opts.output.empty() ? repo.abs("site") : ctx.user_path(opts.output);
    if (!target.starts_with("/")) target = ctx.cwd() + "/" + target;
    target = util::normalize_path(target);
    while (target.size() > 1 && target.ends_with("/")) target.pop_back();
    if (target == repo.root() || repo.root().starts_with(target + "/") || target == "/")
        throw util::CommandError(util::Error::usage(fmt::format("-o {}: would replace the repository; give a folder of its own", opts.output)));
    site::GatherOptions go;
    go.since = opts.since;
    auto data = util::value_or_throw(site::gather(repo, go));
    site::RenderOptions ro;
    ro.repo_link = repo_link(repo.root(), target);
    auto pages = site::render(data, ro);
    auto written = util::value_or_throw(site::write_site(target, pages));
    std::string shown = opts.output.empty() ? ctx.display("site") : opts.output;
    if (ctx.global.json) {
        ctx.print_json({{"output", shown},
                        {"pages", written.pages},
                        {"runs", data.runs.size()},
                        {"models", data.models.size()},
                        {"bytes", written.bytes},
                        {"largest_page", {{"path", written.largest}, {"bytes", written.largest_bytes}}}});
    } else {
        ctx.say(fmt::format("wrote {} ({} pages, {} runs, {:.1f} MB; largest page {}, {:.0f} KB)", shown, written.pages, data.runs.size(),
                            double(written.bytes) / 1e6, written.largest, double(written.largest_bytes) / 1e3));
        ctx.say(fmt::format("open {}/index.html in a browser", shown));
    }
    if (opts.open) open_in_browser(ctx, target + "/index.html");
    return 0;
}

Runner register_report(CLI::App& app) {
    auto opts = std::make_shared<ReportOptions>();
    auto* cmd = app.add_subcommand("report", "Reports about the whole project");
    cmd->require_subcommand(1);
    auto* site = cmd->add_subcommand("site", "A static HTML site of runs, metrics, models, lineage and health (docs/report-site.md)");
    site->add_option("-o,--output", opts->output, "Folder to write (default: site/ at the repository's root); replaced whole")->type_name("DIR");
    site->add_option("--since", opts->since, "Only runs at this git revision or later (commits reachable from HEAD, not from its parents)")
        ->type_name("REV");
    site->add_flag("--open", opts->open, "Open the overview in a browser (xdg-open) afterwards");
    return [opts](Context& ctx) { return run_report(ctx, *opts); };
}

} // namespace mlops::cli
