// mlops params diff: the values of the params the pipeline's stages use, work tree vs REV (default
// HEAD) or REV vs REV, with deltas for numbers.
#include "commands.hpp"

#include <mlops/pipeline/compare.hpp>

namespace mlops::cli {

struct ParamsOptions {
    std::vector<std::string> revs;
    std::string file = "mlops.yaml";
    bool all = false;
    std::string format = "table";
};

int run_params_diff(Context& ctx, const ParamsOptions& opts) {
    auto format = util::value_or_throw(pipeline::parse_table_format(opts.format));
    auto& repo = ctx.repo();
    auto file = ctx.repo_paths({opts.file}).front();
    auto sides = util::value_or_throw(pipeline::sides_for(repo, opts.revs));
    auto p = util::value_or_throw(pipeline::pipelines_for(repo, sides, file));
    pipeline::Values old_v, new_v;
    if (p.old_side)
        old_v = util::value_or_throw(pipeline::params_values(repo, *p.old_side, sides.old_side));
    if (p.new_side)
        new_v = util::value_or_throw(pipeline::params_values(repo, *p.new_side, sides.new_side));
    auto changes = pipeline::compare_values(
        old_v, new_v, opts.all ? pipeline::Unchanged::show : pipeline::Unchanged::hide);

    if (ctx.global.json) {
        nlohmann::json list = nlohmann::json::array();
        for (const auto& c : changes)
            list.push_back(pipeline::change_json(c, pipeline::Relative::no));
        ctx.print_json({{"old", pipeline::source_json(sides.old_side)},
                        {"new", pipeline::source_json(sides.new_side)},
                        {"params", list}});
        return 0;
    }
    if (changes.empty()) {
        ctx.say(fmt::format("No {}params between {} and {}.", opts.all ? "" : "changed ",
                            sides.old_side.label, sides.new_side.label));
        return 0;
    }
    if (!ctx.global.quiet)
        ctx.out() << pipeline::render_table(
            pipeline::changes_table(changes, "Param", pipeline::Relative::no), format);
    return 0;
}

Runner register_params(CLI::App& app) {
    auto opts = std::make_shared<ParamsOptions>();
    auto* cmd = app.add_subcommand("params", "Compare the params the pipeline's stages use");
    cmd->require_subcommand(1);
    auto* diff = cmd->add_subcommand(
        "diff", "Params values: work tree vs REV (default HEAD), or REV vs REV");
    diff->add_option("revs", opts->revs, "Zero, one or two git revisions")
        ->type_name("[REV [REV]]");
    diff->add_option("-f,--file", opts->file, "Pipeline file (default: mlops.yaml)");
    diff->add_flag("-a,--all", opts->all, "Show unchanged params too");
    diff->add_option("--format", opts->format,
                     "table (aligned, the default) or md (a Markdown table)")
        ->check(CLI::IsMember({"table", "md"}));
    return [opts, diff](Context& ctx) {
        if (diff->parsed()) return run_params_diff(ctx, *opts);
        return int(util::ExitCode::usage);
    };
}

} // namespace mlops::cli
