// mlops lineage TARGET: where a data file, run, model or alias came from and where it went
// (docs/lineage.md), as text, DOT, Mermaid, JSON or one self-contained HTML page.
#include "commands.hpp"

#include <mlops/lineage/graph.hpp>
#include <mlops/lineage/render.hpp>
#include <mlops/util/fs.hpp>
#include <mlops/util/paths.hpp>

namespace mlops::cli {

struct LineageOptions {
    std::string target;
    bool upstream = false;
    bool downstream = false;
    int depth = 0;
    std::string format = "text";
    std::string output;
};

int run_lineage(Context& ctx, const LineageOptions& opts) {
    auto& repo = ctx.repo();
    auto format = util::value_or_throw(lineage::parse_format(ctx.global.json ? "json" : opts.format));
    if (opts.depth < 0) throw util::CommandError(util::Error::usage("--depth must be 0 (unlimited) or more"));
    auto dir = opts.upstream == opts.downstream ? lineage::Direction::both
               : opts.upstream                  ? lineage::Direction::upstream
                                                : lineage::Direction::downstream;
    auto graph = util::value_or_throw(lineage::build_graph(repo));
    // The target as a repository path, when it can be one.
    std::string rel;
    if (auto r = util::to_repo_relative(repo.root(), ctx.cwd(), opts.target)) rel = *r;
    auto target = util::value_or_throw(lineage::resolve_target(repo, graph, rel, opts.target));
    auto part = lineage::neighbourhood(graph, target, dir, opts.depth);
    auto text = lineage::render(part, format, fmt::format("Lineage of {}", opts.target));
    if (opts.output.empty()) {
        ctx.out() << text;
        return 0;
    }
    util::check(util::write_file_atomic(ctx.user_path(opts.output), text, util::Durability::fsync));
    if (!ctx.global.json) ctx.say(fmt::format("wrote {} ({} nodes, {} edges)", opts.output, part.nodes.size(), part.edges.size()));
    return 0;
}

Runner register_lineage(CLI::App& app) {
    auto opts = std::make_shared<LineageOptions>();
    auto* cmd = app.add_subcommand("lineage", "Where a path, run, oid or model (NAME@ALIAS, NAME:VERSION) came from and where it went");
    cmd->add_option("target", opts->target, "A path, an oid, a run id, NAME@ALIAS or NAME:VERSION")->required();
    cmd->add_flag("--upstream", opts->upstream, "Only what it came from");
    cmd->add_flag("--downstream", opts->downstream, "Only what came from it");
    cmd->add_option("--depth", opts->depth, "At most N steps away (default 0: all)");
    cmd->add_option("--format", opts->format, "text (default), dot, mermaid, json or html");
    cmd->add_option("-o,--output", opts->output, "Write to FILE instead of stdout")->type_name("FILE");
    return [opts](Context& ctx) { return run_lineage(ctx, *opts); };
}

} // namespace mlops::cli
