#include <catch2/catch.hpp>

#include <mlops/lineage/graph.hpp>
#include <mlops/lineage/render.hpp>

using namespace mlops;

TEST_CASE("site: the lineage layout puts every node after what it came from", "[site][lineage]") {
    lineage::Graph g;
    auto node = [&](const char* id, lineage::NodeKind k) { return g.add({id, k, id, {}}); };
    auto raw = node("artifact:raw", lineage::NodeKind::artifact);
    auto prep = node("run:prep", lineage::NodeKind::run);
    auto data = node("artifact:data", lineage::NodeKind::artifact);
    auto train = node("run:train", lineage::NodeKind::run);
    auto model = node("artifact:model", lineage::NodeKind::artifact);
    auto v1 = node("version:m:1", lineage::NodeKind::version);
    g.link(raw, prep, "input");
    g.link(prep, data, "output");
    g.link(data, train, "input");
    g.link(raw, train, "input"); // a shortcut: train still comes after data
    g.link(train, model, "output");
    g.link(model, v1, "registers");
    auto l = lineage::layered(g);
    auto layer = [&](const char* id) { return l.find(id)->details["layer"].get<int>(); };
    CHECK(layer("artifact:raw") == 0);
    CHECK(layer("run:prep") == 1);
    CHECK(layer("artifact:data") == 2);
    CHECK(layer("run:train") == 3);
    CHECK(layer("version:m:1") == 5);
    CHECK(l.edges.size() == g.edges.size());
    auto svg = lineage::svg(l, [](std::size_t i) { return "page-" + std::to_string(i) + ".html"; });
    CHECK(svg.find("href=\"page-0.html\"") != std::string::npos);
    CHECK(svg.find("http") == std::string::npos); // no namespace URL: inline in HTML
    CHECK(lineage::svg(l, [](std::size_t) { return std::string("#"); }) == lineage::svg(l, [](std::size_t) { return std::string("#"); }));
}

TEST_CASE("site: a cycle (the same content in and out of a run) does not stop the layout", "[site][lineage]") {
    lineage::Graph g;
    auto a = g.add({"artifact:a", lineage::NodeKind::artifact, "a", {}});
    auto r = g.add({"run:r", lineage::NodeKind::run, "r", {}});
    auto b = g.add({"artifact:b", lineage::NodeKind::artifact, "b", {}});
    g.link(a, r, "input");
    g.link(r, a, "output"); // cp a a2: identical content, one node
    g.link(r, b, "output");
    auto l = lineage::layered(g);
    REQUIRE(l.nodes.size() == 3);
    for (const auto& e : l.edges) CHECK(l.nodes[e.from].details["layer"].get<int>() < l.nodes[e.to].details["layer"].get<int>());
    CHECK(l.edges.size() == 2); // the backward edge is not drawn
}
