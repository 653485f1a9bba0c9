// Drawing a lineage graph: an indented text view for terminals, Graphviz DOT, Mermaid (for
// Markdown that GitHub renders), JSON, and one self-contained HTML page (inline SVG laid out in
// layers by distance from the target, every node a link to its details; no script, no network).
#pragma once

#include <string>

#include <mlops/lineage/graph.hpp>

namespace mlops::lineage {

enum class Format { text, dot, mermaid, json, html };
Result<Format> parse_format(const std::string& name);

// `g` is a neighbourhood (every node has details["layer"]; one has details["target"] = true).
std::string render(const Graph& g, Format format, const std::string& title);
nlohmann::json graph_json(const Graph& g);

} // namespace mlops::lineage
