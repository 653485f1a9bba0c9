// mlops import-dvc: a DVC project (dvc.yaml, *.dvc files, .dvc/config) to mlops.yaml, pointer
// files and remotes; what has no mlops equivalent is listed (docs/import-dvc.md).
#include "commands.hpp"

#include <mlops/dvcimport/dvcimport.hpp>
#include <mlops/util/paths.hpp>

namespace mlops::cli {

struct ImportDvcOptions {
    std::string dir;
    bool dry_run = false;
    bool force = false;
};

int run_import_dvc(Context& ctx, const ImportDvcOptions& opts) {
    if (!opts.dir.empty()) {
        // DIR is the project: the repository must be rooted there.
        auto abs = util::normalize_path(ctx.user_path(opts.dir));
        if (util::normalize_path(ctx.repo().root()) != abs)
            throw util::CommandError(util::Error::usage(fmt::format(
                "{}: not the root of the mlops repository ({}); run `mlops init` there first, or `mlops -C {} import-dvc`", opts.dir,
                ctx.repo().root(), opts.dir)));
    }
    auto& repo = ctx.repo();
    auto overwrite = opts.force ? dvcimport::Overwrite::yes : dvcimport::Overwrite::no;
    auto plan = util::value_or_throw(dvcimport::plan(repo, overwrite));
    dvcimport::Applied applied;
    if (!opts.dry_run) applied = util::value_or_throw(dvcimport::apply(repo, plan, overwrite));
    auto oid_of = [&](const std::string& path) -> nlohmann::json {
        for (const auto& [p, oid] : applied.oids)
            if (p == path) return oid;
        return nullptr;
    };
    if (ctx.global.json) {
        nlohmann::json j;
        j["dry_run"] = opts.dry_run;
        j["pipeline"] = plan.pipeline ? nlohmann::json{{"file", "mlops.yaml"}, {"stages", plan.stages}, {"written", !opts.dry_run}}
                                      : nlohmann::json(nullptr);
        if (opts.dry_run && plan.pipeline) j["pipeline"]["text"] = *plan.pipeline;
        j["tracked"] = nlohmann::json::array();
        for (const auto& t : plan.tracked)
            j["tracked"].push_back({{"path", t.path}, {"dvc_file", t.dvc_file}, {"kind", t.dir ? "dir" : "file"}, {"md5", t.md5},
                                    {"source", t.source}, {"verified", t.verified}, {"oid", oid_of(t.path)}});
        j["remotes"] = nlohmann::json::array();
        for (const auto& r : plan.remotes) {
            nlohmann::json settings = nlohmann::json::object();
            for (const auto& [k, v] : r.settings) settings[k] = v;
            j["remotes"].push_back({{"name", r.name}, {"url", r.url}, {"default", r.is_default}, {"settings", settings}});
        }
        j["locked"] = nlohmann::json::array();
        if (opts.dry_run)
            for (const auto& ad : plan.adopted) j["locked"].push_back(ad.stage);
        else
            j["locked"] = applied.locked;
        j["not_converted"] = nlohmann::json::array();
        for (const auto& p : plan.problems)
            j["not_converted"].push_back({{"file", p.file}, {"line", p.line ? nlohmann::json(p.line) : nlohmann::json(nullptr)},
                                          {"what", p.what}, {"why", p.why}});
        ctx.print_json(j);
        return 0;
    }
    const char* would = opts.dry_run ? "Would write" : "Wrote";
    if (plan.pipeline) ctx.say(fmt::format("{} mlops.yaml: {} stage{} ({})", would, plan.stages.size(), plan.stages.size() == 1 ? "" : "s",
                                           fmt::join(plan.stages, ", ")));
    for (const auto& t : plan.tracked)
        ctx.say(fmt::format("{} {}.mlops (from {}, {}{})", opts.dry_run ? "Would track" : "Tracked", t.path, t.source, t.dvc_file,
                            t.verified ? ": md5 verified" : ""));
    std::vector<std::string> locked = applied.locked;
    if (opts.dry_run)
        for (const auto& ad : plan.adopted) locked.push_back(ad.stage);
    if (!locked.empty())
        ctx.say(fmt::format("{} up to date in mlops.lock (dvc.lock matches the work tree): {}", opts.dry_run ? "Would record" : "Recorded",
                            fmt::join(locked, ", ")));
    for (const auto& r : plan.remotes)
        ctx.say(fmt::format("{} remote '{}' ({}){}", opts.dry_run ? "Would add" : "Added", r.name, r.url, r.is_default ? " as the default" : ""));
    if (opts.dry_run && plan.pipeline && !ctx.global.quiet) ctx.out() << "\n--- mlops.yaml ---\n" << *plan.pipeline << "---\n";
    if (!plan.problems.empty()) {
        ctx.say(fmt::format("\nNot converted ({}):", plan.problems.size()));
        for (const auto& p : plan.problems)
            ctx.say(fmt::format("  {}{}: {}: {}", p.file, p.line ? fmt::format(":{}", p.line) : "", p.what, p.why));
    }
    if (!opts.dry_run && !ctx.global.quiet)
        ctx.say("\nNext: review mlops.yaml, `mlops status`, `mlops run`; commit the pointer files and mlops.yaml; the *.dvc files, "
                "dvc.yaml and dvc.lock can then be removed with `git rm`.");
    return 0;
}

Runner register_import_dvc(CLI::App& app) {
    auto opts = std::make_shared<ImportDvcOptions>();
    auto* cmd = app.add_subcommand("import-dvc", "Convert a DVC project (dvc.yaml, *.dvc, .dvc/config) to mlops.yaml, pointer files and remotes");
    cmd->add_option("dir", opts->dir, "The DVC project: the repository root (default: the current repository)")->type_name("[DIR]");
    cmd->add_flag("-n,--dry-run", opts->dry_run, "Show what would be written; write nothing");
    cmd->add_flag("--force", opts->force, "Replace an existing mlops.yaml");
    return [opts](Context& ctx) { return run_import_dvc(ctx, *opts); };
}

} // namespace mlops::cli
