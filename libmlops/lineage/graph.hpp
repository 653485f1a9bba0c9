// Lineage: the artifact graph of a repository, built from the objects and the index (no extra
// bookkeeping): data files and folders (by oid) -> runs (stage, params, code commit) -> outputs ->
// registered model versions -> aliases, and onwards to the runs that consumed them. A folder's
// tree links to the entries that other nodes name (a stage that reads data/train.csv out of a
// tracked `data/`). Backs `mlops lineage`.
#pragma once

#include <functional>
#include <map>
#include <string>
#include <vector>

#include <nlohmann/json.hpp>

#include <mlops/index/index.hpp>
#include <mlops/workspace/repository.hpp>

namespace mlops::lineage {

using util::Result;

enum class NodeKind { artifact, run, version, alias, explanation };
const char* kind_name(NodeKind k);

struct Node {
    std::string id; // "artifact:<oid>", "run:<id>", "version:<name>:<n>", "alias:<name>@<alias>"
    NodeKind kind = NodeKind::artifact;
    std::string label;        // a path, "train (1f3a…)", "bc:2", "bc@production"
    nlohmann::json details = nlohmann::json::object(); // what the HTML and JSON forms show
};

struct Edge {
    std::size_t from = 0, to = 0;
    std::string kind; // input, output, contains, registers, alias
};

struct Graph {
    std::vector<Node> nodes;
    std::vector<Edge> edges;
    std::map<std::string, std::size_t> by_id;
    std::size_t add(Node n); // returns the index of the node with that id (existing or new)
    void link(std::size_t from, std::size_t to, const std::string& kind);
    const Node* find(const std::string& id) const;
};

// Every run record, registry entry and event, and the work tree's pointer files.
Result<Graph> build_graph(workspace::Repository& repo);
// The same with only the runs `keep` accepts (index rows; the site keeps the latest per stage of a
// large project).
Result<Graph> build_graph(workspace::Repository& repo, const std::function<bool(const index::RunRow&)>& keep);

// TARGET: a path (work tree, or as runs recorded it), NAME@ALIAS or NAME:VERSION, a run id (or a
// unique prefix) or an oid (or a unique prefix of at least 6 hex digits). Errors say what was tried.
Result<std::size_t> resolve_target(workspace::Repository& repo, const Graph& g, const std::string& cwd_rel_target,
                                   const std::string& raw);

enum class Direction { upstream, downstream, both };

// The part of `g` within `depth` edges of `target` (0 = unlimited) in the given direction; each
// node gets its signed distance (upstream negative) in details["layer"], used by the drawings.
Graph neighbourhood(const Graph& g, std::size_t target, Direction dir, int depth);

// The whole graph in layers for drawing: each node's details["layer"] is the length of the longest
// path reaching it (sources at 0). Identical content used as a run's input and output makes a cycle;
// it is broken at the node with the lowest index, and edges that would point backwards are dropped.
Graph layered(const Graph& g);

} // namespace mlops::lineage
