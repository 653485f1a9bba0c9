// mlops params diff: the values of the params the pipeline's stages use, work tree vs REV (default
// HEAD) or REV vs REV, with deltas for numbers.
#include "commands.hpp"

#include <mlops/pipeline/compare.hpp>

#include "compare_cli.hpp"

namespace mlops::cli {

struct ParamsOptions {
    std::vector<std::string> revs;
    std::string file = "mlops.yaml";
    CompareOptions compare;
};

int run_params_diff(Context& ctx, const ParamsOptions& opts) {
    auto& repo = ctx.repo();
    auto file = ctx.repo_paths({opts.file}).front();
    auto sides = util::value_or_throw(pipeline::sides_for(repo, opts.revs));
    auto p = util::value_or_throw(pipeline::pipelines_for(repo, sides, file));
    pipeline::Values old_v, new_v;
    if (p.old_side)
        old_v = util::value_or_throw(pipeline::params_values(repo, *p.old_side, sides.old_side));
    if (p.new_side)
        new_v = util::value_or_throw(pipeline::params_values(repo, *p.new_side, sides.new_side));
    return print_diff(ctx, {"params", "Param", pipeline::Relative::no}, opts.compare,
                      {pipeline::source_json(sides.old_side), sides.old_side.label},
                      {pipeline::source_json(sides.new_side), sides.new_side.label}, old_v, new_v);
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
    add_diff_flags(diff, opts->compare, "params");
    return [opts, diff](Context& ctx) {
        if (diff->parsed()) return run_params_diff(ctx, *opts);
        return int(util::ExitCode::usage);
    };
}

} // namespace mlops::cli
