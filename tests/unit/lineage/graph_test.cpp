#include <catch2/catch.hpp>

#include <mlops/lineage/graph.hpp>
#include <mlops/lineage/render.hpp>

using namespace mlops;

namespace {
// raw -> prepare -> prepared (contains train.csv) ; train.csv -> train -> model -> bc:1 -> bc@production; model -> evaluate
lineage::Graph sample() {
    lineage::Graph g;
    auto art = [&](const char* oid, const char* path) {
        return g.add({std::string("artifact:") + oid, lineage::NodeKind::artifact, path, {{"oid", oid}, {"kind", "file"}}});
    };
    auto run = [&](const char* id, const char* stage) {
        return g.add({std::string("run:") + id, lineage::NodeKind::run, stage, {{"run_id", id}, {"stage", stage}, {"commit", "c0ffee"}}});
    };
    auto raw = art("aaaaaa01", "raw.csv");
    auto prep = run("r1", "prepare");
    auto prepared = art("aaaaaa02", "prepared");
    auto train_csv = art("aaaaaa03", "prepared/train.csv");
    auto train = run("r2", "train");
    auto model = art("aaaaaa04", "models/bc");
    auto eval = run("r3", "evaluate");
    auto v1 = g.add({"version:bc:1", lineage::NodeKind::version, "bc:1", {}});
    auto prod = g.add({"alias:bc@production", lineage::NodeKind::alias, "bc@production", {}});
    g.link(raw, prep, "input");
    g.link(prep, prepared, "output");
    g.link(prepared, train_csv, "contains");
    g.link(train_csv, train, "input");
    g.link(train, model, "output");
    g.link(model, eval, "input");
    g.link(model, v1, "registers");
    g.link(v1, prod, "alias");
    g.link(v1, prod, "alias"); // links are not duplicated
    return g;
}
bool has(const lineage::Graph& g, const std::string& id) { return g.find(id) != nullptr; }
} // namespace

TEST_CASE("neighbourhood walks upstream, downstream or both, with depth", "[lineage]") {
    auto g = sample();
    REQUIRE(g.edges.size() == 8);
    auto prod = g.by_id.at("alias:bc@production");
    auto up = lineage::neighbourhood(g, prod, lineage::Direction::upstream, 0);
    CHECK(has(up, "artifact:aaaaaa01"));
    CHECK_FALSE(has(up, "run:r3")); // a consumer of the model is not upstream of the alias
    CHECK(up.find("artifact:aaaaaa01")->details["layer"] == -7);
    CHECK(up.find("alias:bc@production")->details["target"] == true);
    auto near = lineage::neighbourhood(g, prod, lineage::Direction::upstream, 2);
    CHECK(near.nodes.size() == 3);
    auto raw = g.by_id.at("artifact:aaaaaa01");
    auto down = lineage::neighbourhood(g, raw, lineage::Direction::downstream, 0);
    CHECK(has(down, "alias:bc@production"));
    CHECK(has(down, "run:r3"));
    auto mid = lineage::neighbourhood(g, g.by_id.at("artifact:aaaaaa04"), lineage::Direction::both, 1);
    CHECK(mid.nodes.size() == 4); // train, evaluate, bc:1 and the model itself
}

TEST_CASE("lineage renders as text, dot, mermaid, json and self-contained html", "[lineage]") {
    auto g = sample();
    auto part = lineage::neighbourhood(g, g.by_id.at("artifact:aaaaaa04"), lineage::Direction::both, 0);
    auto text = lineage::render(part, lineage::Format::text, "t");
    CHECK(text.starts_with("models/bc  (file aaaaaa04)\n"));
    CHECK(text.find("<- output    train") != std::string::npos);
    CHECK(text.find("-> alias     bc@production") != std::string::npos);
    auto dot = lineage::render(part, lineage::Format::dot, "Lineage of \"x\"");
    CHECK(dot.starts_with("digraph lineage {\n  label=\"Lineage of \\\"x\\\"\";"));
    CHECK(lineage::render(part, lineage::Format::mermaid, "t").starts_with("graph LR\n"));
    auto j = lineage::graph_json(part);
    CHECK(j["target"] == "artifact:aaaaaa04");
    CHECK(j["nodes"].size() == part.nodes.size());
    auto html = lineage::render(part, lineage::Format::html, "<t>");
    CHECK(html.find("<title>&lt;t&gt;</title>") != std::string::npos);
    CHECK(html.find("<svg") != std::string::npos);
    CHECK(html.find("<script") == std::string::npos);
    CHECK(html.find("http://www.w3.org/2000/svg") != std::string::npos); // the namespace, not a download
    // Deterministic: the same graph gives the same page.
    CHECK(html == lineage::render(part, lineage::Format::html, "<t>"));
    CHECK_FALSE(lineage::parse_format("svg"));
}
