#include <mlops/lineage/render.hpp>

#include <algorithm>
#include <functional>
#include <map>
#include <set>

#include <fmt/format.h>

#include <mlops/util/strings.hpp>

namespace mlops::lineage {

using util::Error;
using util::fail;

Result<Format> parse_format(const std::string& name) {
    static const std::pair<const char*, Format> k_formats[] = {
        {"text", Format::text}, {"dot", Format::dot}, {"mermaid", Format::mermaid}, {"json", Format::json}, {"html", Format::html}};
    for (auto [n, f] : k_formats)
        if (name == n) return f;
    return fail(Error::usage(fmt::format("--format '{}': expected text, dot, mermaid, json or html", name)));
}

namespace {

int layer_of(const Node& n) { return n.details.value("layer", 0); }
bool is_target(const Node& n) { return n.details.value("target", false); }

// Nodes in drawing order: by layer, then kind, then label.
std::vector<std::size_t> ordered(const Graph& g) {
    std::vector<std::size_t> idx(g.nodes.size());
    for (std::size_t i = 0; i < idx.size(); ++i) idx[i] = i;
    std::sort(idx.begin(), idx.end(), [&](std::size_t a, std::size_t b) {
        const auto &x = g.nodes[a], &y = g.nodes[b];
        return std::tuple(layer_of(x), int(x.kind), x.label, x.id) < std::tuple(layer_of(y), int(y.kind), y.label, y.id);
    });
    return idx;
}

} // namespace

std::string describe(const Node& n) {
    switch (n.kind) {
    case NodeKind::artifact:
        return fmt::format("{} {}", n.details.value("kind", "file"), n.details.value("oid", "").substr(0, 12));
    case NodeKind::run: {
        auto commit = n.details.value("commit", nlohmann::json(nullptr));
        return fmt::format("run, {}{}", commit.is_string() ? "commit " + commit.get<std::string>().substr(0, 12) : std::string("no commit"),
                           n.details.value("dirty", false) ? " + uncommitted changes" : "");
    }
    case NodeKind::version: return "model version";
    case NodeKind::alias: return "alias";
    case NodeKind::explanation: return "explanation, " + n.details.value("summary", std::string());
    }
    return "";
}

namespace {

std::string text_view(const Graph& g) {
    std::size_t target = 0;
    for (std::size_t i = 0; i < g.nodes.size(); ++i)
        if (is_target(g.nodes[i])) target = i;
    std::string out;
    const auto& t = g.nodes[target];
    out += fmt::format("{}  ({})\n", t.label, describe(t));
    std::set<std::size_t> shown{target};
    // Upstream first (what it came from), then downstream (where it went).
    std::function<void(std::size_t, int, bool)> walk = [&](std::size_t n, int depth, bool up) {
        std::vector<const Edge*> next;
        for (const auto& e : g.edges)
            if ((up ? e.to : e.from) == n) next.push_back(&e);
        std::sort(next.begin(), next.end(), [&](const Edge* a, const Edge* b) {
            return g.nodes[up ? a->from : a->to].label < g.nodes[up ? b->from : b->to].label;
        });
        for (const auto* e : next) {
            std::size_t m = up ? e->from : e->to;
            const auto& node = g.nodes[m];
            bool again = !shown.insert(m).second;
            out += fmt::format("{}{} {:<9} {}  ({}){}\n", std::string(std::size_t(depth) * 2, ' '), up ? "<-" : "->", e->kind, node.label,
                               describe(node), again ? "  (see above)" : "");
            if (!again) walk(m, depth + 1, up);
        }
    };
    walk(target, 1, true);
    walk(target, 1, false);
    return out;
}

std::string quote_dot(const std::string& s) {
    std::string out = "\"";
    for (char c : s) {
        if (c == '"' || c == '\\') out += '\\';
        out += c;
    }
    return out + "\"";
}

std::string dot_view(const Graph& g, const std::string& title) {
    std::string out = fmt::format("digraph lineage {{\n  label={};\n  rankdir=LR;\n  node [fontname=\"Helvetica\"];\n", quote_dot(title));
    static const char* k_shapes[] = {"note", "box", "component", "cds", "tab"};
    for (auto i : ordered(g)) {
        const auto& n = g.nodes[i];
        out += fmt::format("  n{} [label={}, shape={}{}];\n", i, quote_dot(n.label + "\n" + describe(n)), k_shapes[int(n.kind)],
                           is_target(n) ? ", style=bold, penwidth=2" : "");
    }
    for (const auto& e : g.edges) out += fmt::format("  n{} -> n{} [label={}];\n", e.from, e.to, quote_dot(e.kind));
    return out + "}\n";
}

std::string mermaid_label(const std::string& s) {
    std::string out;
    for (char c : s) out += c == '"' ? std::string("#quot;") : std::string(1, c);
    return out;
}

std::string mermaid_view(const Graph& g) {
    std::string out = "graph LR\n";
    static const char* k_open[] = {"[\"", "([\"", "[[\"", "{{\"", ">\""};
    static const char* k_close[] = {"\"]", "\"])", "\"]]", "\"}}", "\"]"};
    for (auto i : ordered(g)) {
        const auto& n = g.nodes[i];
        out += fmt::format("  n{}{}{}<br/>{}{}\n", i, k_open[int(n.kind)], mermaid_label(n.label), mermaid_label(describe(n)),
                           k_close[int(n.kind)]);
    }
    for (const auto& e : g.edges) out += fmt::format("  n{} -->|{}| n{}\n", e.from, e.kind, e.to);
    for (std::size_t i = 0; i < g.nodes.size(); ++i)
        if (is_target(g.nodes[i])) out += fmt::format("  style n{} stroke-width:3px\n", i);
    return out;
}

std::string esc(const std::string& s) { return util::markup_escape(s); }

std::string cut(const std::string& s, std::size_t n) { return s.size() <= n ? s : s.substr(0, n - 1) + "\u2026"; }

std::string svg_of(const Graph& g, const std::function<std::string(std::size_t)>& href, bool with_namespace) {
    constexpr int k_w = 220, k_h = 46, k_dx = 290, k_dy = 66, k_margin = 20;
    static const char* k_fill[] = {"#e8f1fb", "#fff4e0", "#e9f7ea", "#f6e8fb", "#fdf6d8"};
    static const char* k_stroke[] = {"#4a7fb5", "#c58a1a", "#3d8f46", "#8e4aa8", "#a38b1a"};
    auto order = ordered(g);
    int min_layer = 0, max_layer = 0;
    for (const auto& n : g.nodes) {
        min_layer = std::min(min_layer, layer_of(n));
        max_layer = std::max(max_layer, layer_of(n));
    }
    std::map<int, int> rows;
    std::vector<std::pair<int, int>> pos(g.nodes.size());
    int max_rows = 1;
    for (auto i : order) {
        int l = layer_of(g.nodes[i]);
        int r = rows[l]++;
        max_rows = std::max(max_rows, rows[l]);
        pos[i] = {k_margin + (l - min_layer) * k_dx, k_margin + r * k_dy};
    }
    int width = k_margin * 2 + (max_layer - min_layer) * k_dx + k_w;
    int height = k_margin * 2 + (max_rows - 1) * k_dy + k_h;
    std::string svg = fmt::format(
        "<svg{} width=\"{}\" height=\"{}\" viewBox=\"0 0 {} {}\" role=\"img\" aria-label=\"lineage graph\">\n"
        "<defs><marker id=\"arrow\" viewBox=\"0 0 10 10\" refX=\"10\" refY=\"5\" markerWidth=\"7\" markerHeight=\"7\" orient=\"auto\">"
        "<path d=\"M0,0 L10,5 L0,10 z\" fill=\"#777\"/></marker></defs>\n",
        with_namespace ? " xmlns=\"http://www.w3.org/2000/svg\"" : "", width, height, width, height);
    for (const auto& e : g.edges) {
        auto [x1, y1] = pos[e.from];
        auto [x2, y2] = pos[e.to];
        int sx = x1 + k_w, sy = y1 + k_h / 2, tx = x2, ty = y2 + k_h / 2, mx = (sx + tx) / 2;
        svg += fmt::format("<path class=\"edge\" d=\"M{},{} C{},{} {},{} {},{}\" marker-end=\"url(#arrow)\"><title>{} \u2192 {} ({})</title></path>\n",
                           sx, sy, mx, sy, mx, ty, tx, ty, esc(g.nodes[e.from].label), esc(g.nodes[e.to].label), esc(e.kind));
    }
    for (auto i : order) {
        const auto& n = g.nodes[i];
        auto [x, y] = pos[i];
        svg += fmt::format("<a href=\"{}\"><g class=\"node {}{}\"><title>{}</title>"
                           "<rect x=\"{}\" y=\"{}\" width=\"{}\" height=\"{}\" rx=\"6\" fill=\"{}\" stroke=\"{}\" stroke-width=\"{}\"/>"
                           "<text x=\"{}\" y=\"{}\" class=\"label\">{}</text><text x=\"{}\" y=\"{}\" class=\"sub\">{}</text></g></a>\n",
                           esc(href(i)), kind_name(n.kind), is_target(n) ? " target" : "", esc(n.label + " — " + describe(n)), x, y, k_w, k_h,
                           k_fill[int(n.kind)], k_stroke[int(n.kind)], is_target(n) ? 3 : 1, x + 8, y + 19, esc(cut(n.label, 30)), x + 8,
                           y + 36, esc(cut(describe(n), 34)));
    }
    svg += "</svg>\n";
    return svg;
}

std::string html_view(const Graph& g, const std::string& title) {
    auto order = ordered(g);
    std::string svg = svg_of(g, [](std::size_t i) { return fmt::format("#node-{}", i); }, true);
    std::string details;
    for (auto i : order) {
        const auto& n = g.nodes[i];
        details += fmt::format("<section id=\"node-{}\" class=\"{}\"><h2>{} <small>{}</small></h2>\n<table>\n", i, kind_name(n.kind),
                               esc(n.label), esc(describe(n)));
        for (const auto& [k, v] : n.details.items()) {
            if (k == "layer" || k == "target" || k == "latest_for") continue;
            details += fmt::format("<tr><th>{}</th><td><code>{}</code></td></tr>\n", esc(k), esc(v.is_string() ? v.get<std::string>() : v.dump()));
        }
        std::string links;
        for (const auto& e : g.edges) {
            if (e.to == i) links += fmt::format("<li>\u2190 {} <a href=\"#node-{}\">{}</a></li>", esc(e.kind), e.from, esc(g.nodes[e.from].label));
            if (e.from == i) links += fmt::format("<li>\u2192 {} <a href=\"#node-{}\">{}</a></li>", esc(e.kind), e.to, esc(g.nodes[e.to].label));
        }
        details += "</table>\n";
        if (!links.empty()) details += "<ul class=\"links\">" + links + "</ul>\n";
        details += "</section>\n";
    }
    return fmt::format(R"(<!DOCTYPE html>
<html lang="en"><head><meta charset="utf-8"><title>{0}</title>
<style>
body {{ font-family: -apple-system, "Segoe UI", Helvetica, Arial, sans-serif; margin: 24px; color: #222; }}
h1 {{ font-size: 20px; }} h2 {{ font-size: 16px; margin: 0 0 6px; }} h2 small {{ color: #666; font-weight: normal; }}
.graph {{ overflow-x: auto; border: 1px solid #ddd; border-radius: 6px; padding: 8px; }}
.edge {{ fill: none; stroke: #999; stroke-width: 1.5; }}
.label {{ font-size: 13px; font-weight: 600; }} .sub {{ font-size: 11px; fill: #555; }}
.node:hover rect {{ stroke-width: 3; }}
section {{ border: 1px solid #e3e3e3; border-radius: 6px; padding: 10px 14px; margin: 12px 0; }}
section:target {{ border-color: #4a7fb5; box-shadow: 0 0 0 3px #cfe0f3; }}
table {{ border-collapse: collapse; }} th {{ text-align: left; padding: 2px 12px 2px 0; color: #555; vertical-align: top; }}
td code {{ word-break: break-all; }} ul.links {{ margin: 6px 0 0; padding-left: 18px; }}
.legend span {{ display: inline-block; padding: 2px 8px; margin-right: 6px; border-radius: 4px; border: 1px solid; font-size: 12px; }}
</style></head>
<body>
<h1>{0}</h1>
<p class="legend"><span style="background:#e8f1fb;border-color:#4a7fb5">data / artifact</span><span style="background:#fff4e0;border-color:#c58a1a">run</span><span style="background:#e9f7ea;border-color:#3d8f46">model version</span><span style="background:#f6e8fb;border-color:#8e4aa8">alias</span> Click a node for its details.</p>
<div class="graph">
{1}</div>
{2}</body></html>
)",
                       esc(title), svg, details);
}

} // namespace

std::string svg(const Graph& g, const std::function<std::string(std::size_t)>& href) { return svg_of(g, href, false); }

nlohmann::json graph_json(const Graph& g) {
    nlohmann::json nodes = nlohmann::json::array(), edges = nlohmann::json::array();
    std::string target;
    for (auto i : ordered(g)) {
        const auto& n = g.nodes[i];
        auto d = n.details;
        int layer = d.value("layer", 0);
        if (is_target(n)) target = n.id;
        d.erase("layer");
        d.erase("target");
        d.erase("latest_for");
        nodes.push_back({{"id", n.id}, {"kind", kind_name(n.kind)}, {"label", n.label}, {"layer", layer}, {"details", d}});
    }
    for (const auto& e : g.edges) edges.push_back({{"from", g.nodes[e.from].id}, {"to", g.nodes[e.to].id}, {"kind", e.kind}});
    std::sort(edges.begin(), edges.end(), [](const auto& a, const auto& b) {
        return std::tie(a["from"].template get_ref<const std::string&>(), a["to"].template get_ref<const std::string&>()) <
               std::tie(b["from"].template get_ref<const std::string&>(), b["to"].template get_ref<const std::string&>());
    });
    return {{"target", target}, {"nodes", nodes}, {"edges", edges}};
}

std::string render(const Graph& g, Format format, const std::string& title) {
    switch (format) {
    case Format::text: return text_view(g);
    case Format::dot: return dot_view(g, title);
    case Format::mermaid: return mermaid_view(g);
    case Format::json: return graph_json(g).dump(2) + "\n";
    case Format::html: return html_view(g, title);
    }
    return "";
}

} // namespace mlops::lineage
