// Drawing a lineage graph: an indented text view for terminals, Graphviz DOT, Mermaid (for
// Markdown that GitHub renders), JSON, and one self-contained HTML page (inline SVG laid out in
// layers by distance from the target, every node a link to its details; no script, no network).
#pragma once

#include <functional>
#include <string>

#include <mlops/lineage/graph.hpp>

namespace mlops::lineage {

enum class Format { text, dot, mermaid, json, html };
Result<Format> parse_format(const std::string& name);

// `g` is a neighbourhood (every node has details["layer"]; one has details["target"] = true).
std::string render(const Graph& g, Format format, const std::string& title);
nlohmann::json graph_json(const Graph& g);

// One line about a node ("file 1f3a…", "run, commit 9c2e…", "model version").
std::string describe(const Node& n);
// The inline-SVG drawing of the HTML form alone (no namespace attribute: it is meant for inside an
// HTML page): columns by details["layer"], every node a link to href(node index).
std::string svg(const Graph& g, const std::function<std::string(std::size_t)>& href);

} // namespace mlops::lineage
