// mlops dag: the stage graph as text, Graphviz dot, Mermaid or JSON.
#include "commands.hpp"

#include <mlops/pipeline/runner.hpp>

namespace mlops::cli {

struct DagOptions {
    std::string file = "mlops.yaml";
    std::string format = "text";
};

static std::string quoted(const std::string& s) { return nlohmann::json(s).dump(); }

int run_dag(Context& ctx, const DagOptions& opts) {
    auto& repo = ctx.repo();
    auto loaded = util::value_or_throw(pipeline::load(repo, ctx.repo_paths({opts.file}).front()));
    const auto& g = loaded.graph;
    const auto& stages = loaded.pipeline->stages;
    std::string format = ctx.global.json ? "json" : opts.format;
    if (format == "json") {
        nlohmann::json nodes = nlohmann::json::array(), edges = nlohmann::json::array();
        for (auto i : g.order) {
            nodes.push_back({{"stage", stages[i].name}, {"cmd", stages[i].cmd}, {"deps", stages[i].deps}});
            for (auto u : g.upstream[i]) edges.push_back({{"from", stages[u].name}, {"to", stages[i].name}});
        }
        ctx.print_json({{"stages", nodes}, {"edges", edges}});
    } else if (format == "dot") {
        ctx.out() << "digraph pipeline {\n  rankdir=LR;\n  node [shape=box];\n";
        for (auto i : g.order) ctx.out() << "  " << quoted(stages[i].name) << ";\n";
        for (auto i : g.order)
            for (auto u : g.upstream[i]) ctx.out() << "  " << quoted(stages[u].name) << " -> " << quoted(stages[i].name) << ";\n";
        ctx.out() << "}\n";
    } else if (format == "mermaid") {
        ctx.out() << "flowchart LR\n";
        for (auto i : g.order) ctx.out() << "  s" << i << "[" << quoted(stages[i].name) << "]\n";
        for (auto i : g.order)
            for (auto u : g.upstream[i]) ctx.out() << "  s" << u << " --> s" << i << "\n";
    } else if (format == "text") {
        for (auto i : g.order) {
            std::vector<std::string> ups;
            for (auto u : g.upstream[i]) ups.push_back(stages[u].name);
            ctx.out() << stages[i].name;
            if (!ups.empty()) ctx.out() << "  <- " << fmt::format("{}", fmt::join(ups, ", "));
            ctx.out() << "\n";
        }
    } else {
        throw util::CommandError(util::Error::usage(fmt::format("unknown format '{}' (text, dot, mermaid, json)", format)));
    }
    return 0;
}

Runner register_dag(CLI::App& app) {
    auto opts = std::make_shared<DagOptions>();
    auto* cmd = app.add_subcommand("dag", "Show the pipeline's stage graph");
    cmd->add_option("-f,--file", opts->file, "Pipeline file (default: mlops.yaml)");
    cmd->add_option("--format", opts->format, "text, dot, mermaid or json")->check(CLI::IsMember({"text", "dot", "mermaid", "json"}));
    return [opts](Context& ctx) { return run_dag(ctx, *opts); };
}

} // namespace mlops::cli
