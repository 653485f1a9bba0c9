// mlops metrics show / metrics diff: the values in the metrics files the pipeline declares, in the
// work tree or every commit of the branch, and compared between revisions or between two runs.
#include "commands.hpp"

#include <mlops/pipeline/compare.hpp>

#include "compare_cli.hpp"
#include "run_lookup.hpp"

namespace mlops::cli {

struct MetricsOptions {
    std::vector<std::string> revs;
    std::vector<std::string> runs;
    std::string file = "mlops.yaml";
    bool all_commits = false;
    CompareOptions compare; // show uses its format only
};

namespace {

struct Shown {
    pipeline::Source src;
    gitrepo::CommitInfo info; // commits only
    pipeline::Values values;
};

std::string short_id(const std::string& commit) {
    return commit.substr(0, 7);
}

// Every commit reachable from HEAD, newest first, whose metrics files exist there.
std::vector<Shown> history(Context& ctx, workspace::Repository& repo, const std::string& file) {
    std::vector<Shown> out;
    if (!repo.has_git())
        throw util::CommandError(util::Error::usage(
            "metrics show --all-commits needs git (this repository was made with --no-git)"));
    auto* git = util::value_or_throw(repo.git());
    auto head = util::value_or_throw(git->head_commit());
    if (!head) return out;
    util::check(git->walk(
        {*head}, [&](const std::string& id, const std::vector<std::string>&) -> util::Result<bool> {
            pipeline::Source src{short_id(id), id, false};
            // An old commit with a broken pipeline or metrics file is skipped, not fatal: it is
            // history.
            auto p = pipeline::pipeline_at(repo, src, file);
            if (!p) {
                ctx.warn(fmt::format("skipping commit {}: {}", src.label, p.error().message));
                return true;
            }
            if (!*p) return true;
            auto values = pipeline::metrics_values(repo, **p, src);
            if (!values) {
                ctx.warn(fmt::format("skipping commit {}: {}", src.label, values.error().message));
                return true;
            }
            if (values->empty()) return true;
            out.push_back({src, MLOPS_TRY(git->commit_info(id)), std::move(*values)});
            return true;
        }));
    return out;
}

} // namespace

int run_metrics_show(Context& ctx, const MetricsOptions& opts) {
    auto format = util::value_or_throw(pipeline::parse_table_format(opts.compare.format));
    auto& repo = ctx.repo();
    auto file = ctx.repo_paths({opts.file}).front();
    auto ws = pipeline::work_tree_source();
    auto p = util::value_or_throw(pipeline::pipeline_at(repo, ws, file));
    if (!p)
        throw util::CommandError(util::Error::usage(fmt::format(
            "{}: no pipeline file (declare stages in {}, see docs/pipelines.md)", file, file)));
    std::vector<Shown> shown;
    shown.push_back({ws, {}, util::value_or_throw(pipeline::metrics_values(repo, *p, ws))});
    if (opts.all_commits)
        for (auto& s : history(ctx, repo, file))
            shown.push_back(std::move(s));

    if (ctx.global.json) {
        nlohmann::json list = nlohmann::json::array();
        for (const auto& s : shown) {
            nlohmann::json entry = pipeline::source_json(s.src);
            if (!s.src.work_tree()) {
                entry["summary"] = s.info.summary;
                entry["time"] = s.info.time;
            }
            nlohmann::json metrics = nlohmann::json::object();
            for (const auto& [f, kv] : s.values)
                for (const auto& [k, v] : kv)
                    metrics[f][k] = v;
            entry["metrics"] = metrics;
            list.push_back(std::move(entry));
        }
        ctx.print_json({{"revisions", list}});
        return 0;
    }
    auto files = pipeline::metrics_files(*p);
    pipeline::Table t;
    if (opts.all_commits) {
        t.columns = {"Revision", "File", "Metric", "Value"};
        t.align = {pipeline::Align::left, pipeline::Align::left, pipeline::Align::left,
                   pipeline::Align::right};
    } else {
        t.columns = {"File", "Metric", "Value"};
        t.align = {pipeline::Align::left, pipeline::Align::left, pipeline::Align::right};
    }
    for (const auto& s : shown)
        for (const auto& [f, kv] : s.values)
            for (const auto& [k, v] : kv) {
                std::vector<std::string> row = {f, k, pipeline::format_value(v)};
                if (opts.all_commits) row.insert(row.begin(), s.src.label);
                t.rows.push_back(std::move(row));
            }
    if (t.rows.empty()) {
        if (files.empty())
            ctx.say(
                fmt::format("No metrics files: no stage in {} declares `metrics:` outputs.", file));
        else
            ctx.say(
                fmt::format("No metrics yet: {} {} not there (run the pipeline with `mlops run`).",
                            fmt::join(files, ", "), files.size() == 1 ? "is" : "are"));
        return 0;
    }
    if (!ctx.global.quiet) ctx.out() << pipeline::render_table(t, format);
    return 0;
}

int run_metrics_diff(Context& ctx, const MetricsOptions& opts) {
    auto& repo = ctx.repo();
    DiffSide old_side, new_side;
    pipeline::Values old_v, new_v;
    if (!opts.runs.empty()) {
        if (!opts.revs.empty())
            throw util::CommandError(
                util::Error::usage("metrics diff takes revisions or --runs RUN RUN, not both"));
        if (opts.runs.size() != 2)
            throw util::CommandError(util::Error::usage("--runs takes two run ids"));
        auto a = load_run_record(ctx, opts.runs[0]);
        auto b = load_run_record(ctx, opts.runs[1]);
        old_v = pipeline::values_from_json(a.metrics);
        new_v = pipeline::values_from_json(b.metrics);
        auto run_json = [](const pipeline::RunRecord& r) {
            return nlohmann::json{{"run", r.run_id},
                                  {"stage", r.stage},
                                  {"commit", r.code.commit.empty()
                                                 ? nlohmann::json(nullptr)
                                                 : nlohmann::json(r.code.commit)}};
        };
        old_side = {run_json(a), "run " + a.run_id};
        new_side = {run_json(b), "run " + b.run_id};
    } else {
        auto file = ctx.repo_paths({opts.file}).front();
        auto sides = util::value_or_throw(pipeline::sides_for(repo, opts.revs));
        auto p = util::value_or_throw(pipeline::pipelines_for(repo, sides, file));
        if (p.old_side)
            old_v =
                util::value_or_throw(pipeline::metrics_values(repo, *p.old_side, sides.old_side));
        if (p.new_side)
            new_v =
                util::value_or_throw(pipeline::metrics_values(repo, *p.new_side, sides.new_side));
        old_side = {pipeline::source_json(sides.old_side), sides.old_side.label};
        new_side = {pipeline::source_json(sides.new_side), sides.new_side.label};
    }
    return print_diff(ctx, {"metrics", "Metric", pipeline::Relative::yes}, opts.compare, old_side,
                      new_side, old_v, new_v);
}

Runner register_metrics(CLI::App& app) {
    auto opts = std::make_shared<MetricsOptions>();
    auto* cmd = app.add_subcommand("metrics", "Show and compare the pipeline's metrics");
    cmd->require_subcommand(1);
    auto* show =
        cmd->add_subcommand("show", "The values in every metrics file the pipeline declares");
    show->add_flag("-A,--all-commits", opts->all_commits,
                   "Also every commit of the current branch, newest first");
    show->add_option("-f,--file", opts->file, "Pipeline file (default: mlops.yaml)");
    add_format_flag(show, opts->compare.format);
    auto* diff = cmd->add_subcommand(
        "diff", "Metrics: work tree vs REV (default HEAD), REV vs REV, or run vs run");
    diff->add_option("revs", opts->revs, "Zero, one or two git revisions")
        ->type_name("[REV [REV]]");
    diff->add_option("--runs", opts->runs,
                     "Compare the metrics recorded in two runs (ids or unique prefixes)")
        ->expected(2)
        ->type_name("RUN");
    diff->add_option("-f,--file", opts->file, "Pipeline file (default: mlops.yaml)");
    add_diff_flags(diff, opts->compare, "metrics");
    return [opts, show, diff](Context& ctx) {
        if (show->parsed()) return run_metrics_show(ctx, *opts);
        if (diff->parsed()) return run_metrics_diff(ctx, *opts);
        return int(util::ExitCode::usage);
    };
}

} // namespace mlops::cli
