#include <catch2/catch.hpp>

#include <map>

#include <mlops/pipeline/graph.hpp>
#include <mlops/pipeline/lock.hpp>
#include <mlops/pipeline/spec.hpp>

using namespace mlops;

namespace {
pipeline::FileReader files(std::map<std::string, std::string> m) {
    return [m](const std::string& p) -> util::Result<std::optional<std::string>> {
        auto it = m.find(p);
        if (it == m.end()) return std::optional<std::string>{};
        return std::optional<std::string>{it->second};
    };
}
const char* k_params = "prepare:\n  split: 0.2\n  seed: 7\ntrain:\n  small: {lr: 0.1}\n  large: {lr: 0.01}\n";
} // namespace

TEST_CASE("stages, interpolation from params and vars, outputs options", "[pipeline]") {
    auto p = pipeline::parse_pipeline(R"(vars:
  - {model_dir: models}
stages:
  prepare:
    cmd: ./prepare --split ${prepare.split}
    deps: [prepare.py, data/raw]
    params: [prepare.split, {other.yaml: [x.y]}]
    outs:
      - data/prepared
      - data/cache: {cache: false, persist: true}
    metrics: [metrics.json]
    wdir: .
)",
                                      "mlops.yaml", files({{"params.yaml", k_params}, {"other.yaml", "x: {y: 1}\n"}}));
    REQUIRE(p);
    REQUIRE(p->stages.size() == 1);
    const auto& s = p->stages[0];
    CHECK(s.cmd == "./prepare --split 0.2");
    CHECK(s.deps == std::vector<std::string>{"prepare.py", "data/raw"});
    REQUIRE(s.params.size() == 2);
    CHECK(s.params[1].file == "other.yaml");
    CHECK(s.params[1].key == "x.y");
    REQUIRE(s.outs.size() == 3);
    CHECK(s.outs[0].cache);
    CHECK_FALSE(s.outs[1].cache);
    CHECK(s.outs[1].persist);
    CHECK(s.outs[2].metric);
    CHECK_FALSE(s.outs[2].cache);
}

TEST_CASE("foreach and matrix expand", "[pipeline]") {
    auto p = pipeline::parse_pipeline(R"(stages:
  train:
    foreach: [small, large]
    do:
      cmd: train ${item}
      params:
        - train.${item}
      outs:
        - models/${item}.pt
  grid:
    matrix:
      lr: [0.1, 0.2]
      depth: [2, 3]
    cmd: fit --lr ${item.lr} --depth ${item.depth}
  bydict:
    foreach:
      a: {n: 1}
      b: {n: 2}
    do:
      cmd: echo ${key} ${item.n}
)",
                                      "mlops.yaml", files({{"params.yaml", k_params}}));
    REQUIRE(p);
    std::vector<std::string> names;
    for (const auto& s : p->stages) names.push_back(s.name);
    CHECK(names == std::vector<std::string>{"train@small", "train@large", "grid@0.1-2", "grid@0.1-3", "grid@0.2-2",
                                            "grid@0.2-3", "bydict@a", "bydict@b"});
    CHECK(p->find("train@large")->outs[0].path == "models/large.pt");
    CHECK(p->find("grid@0.2-3")->cmd == "fit --lr 0.2 --depth 3");
    CHECK(p->find("bydict@b")->cmd == "echo b 2");
}

TEST_CASE("parse errors point at file, line and column", "[pipeline]") {
    auto expect = [](const std::string& yaml, const std::string& what) {
        auto p = pipeline::parse_pipeline(yaml, "mlops.yaml", files({{"params.yaml", k_params}}));
        REQUIRE_FALSE(p);
        INFO(p.error().message);
        CHECK(p.error().message.find(what) != std::string::npos);
    };
    expect("stages:\n  a:\n    cmd: x\n    dep: [y]\n", "mlops.yaml:4:5: unknown stage key 'dep' (did you mean 'deps'?)");
    expect("stages:\n  a:\n    cmd: echo ${missing}\n", "mlops.yaml:3:10: undefined variable ${missing}");
    expect("stages:\n  a:\n    cmd: x\n    params: [train.nope]\n", "mlops.yaml:4:14: params key 'train.nope' is not in params.yaml");
    expect("stages:\n  a:\n    deps: [x]\n", "stage 'a' has no cmd");
    expect("stages:\n  a:\n    cmd: x\n    outs: [/abs]\n", "must be relative");
    expect("stages:\n  a:\n    cmd: x\n    outs: [../x]\n", "outside the repository");
    expect("stages:\n  a:\n    cmd: x\n    always_changed: maybe\n", "always_changed must be true or false");
    expect("stagez: {}\n", "unknown pipeline key 'stagez' (did you mean 'stages'?)");
}

TEST_CASE("the graph comes from paths; errors name stages", "[pipeline]") {
    auto parse = [](const std::string& yaml) {
        return pipeline::parse_pipeline(yaml, "mlops.yaml", files({})).value();
    };
    auto exists = [](const std::string& p) { return p == "raw"; };
    auto p = parse("stages:\n  train:\n    cmd: t\n    deps: [data/prep/x.csv]\n    outs: [model]\n"
                   "  prep:\n    cmd: p\n    deps: [raw]\n    outs: [data/prep]\n"
                   "  eval:\n    cmd: e\n    deps: [model, data/prep]\n    outs: [eval.json]\n");
    auto g = pipeline::build_graph(p, exists);
    REQUIRE(g);
    std::vector<std::string> order;
    for (auto i : g->order) order.push_back(p.stages[i].name);
    CHECK(order == std::vector<std::string>{"prep", "train", "eval"});
    auto closure = g->closure({g->index_of("train")}, true, false);
    CHECK(closure.size() == 2);
    CHECK(g->closure({g->index_of("prep")}, false, true).size() == 3);

    auto cycle = parse("stages:\n  a:\n    cmd: a\n    deps: [b.out]\n    outs: [a.out]\n  b:\n    cmd: b\n    deps: [a.out]\n    outs: [b.out]\n");
    auto c = pipeline::build_graph(cycle, exists);
    REQUIRE_FALSE(c);
    CHECK(c.error().message.find("cycle: ") != std::string::npos);
    CHECK(c.error().message.find("a -> b") != std::string::npos);

    auto missing = parse("stages:\n  a:\n    cmd: a\n    deps: [nothing]\n");
    CHECK_FALSE(pipeline::build_graph(missing, exists));
    auto nested = parse("stages:\n  a:\n    cmd: a\n    outs: [out]\n  b:\n    cmd: b\n    outs: [out/inner]\n");
    auto n = pipeline::build_graph(nested, exists);
    REQUIRE_FALSE(n);
    CHECK(n.error().message.find("overlaps") != std::string::npos);
    auto sel = pipeline::select_stages(*g, {"trian"});
    REQUIRE_FALSE(sel);
    CHECK(sel.error().message.find("did you mean 'train'") != std::string::npos);
}

TEST_CASE("lock files round-trip; fingerprints see every input", "[pipeline]") {
    pipeline::LockData d;
    pipeline::LockedStage s;
    s.cmd = "python \"train.py\"";
    s.deps["data"] = std::string(64, 'a');
    s.deps["gone"] = "";
    s.params["params.yaml"]["train.lr"] = 0.1;
    s.outs.push_back({"model.pt", std::string(64, 'b'), "file", 10, 1, true});
    d.stages["train@small"] = s;
    auto text = pipeline::serialize_lock(d);
    auto back = pipeline::parse_lock(text, "mlops.lock");
    REQUIRE(back);
    const auto& b = back->stages.at("train@small");
    CHECK(b.cmd == s.cmd);
    CHECK(b.deps == s.deps);
    CHECK(b.params == s.params);
    CHECK(b.outs == s.outs);
    CHECK(pipeline::serialize_lock(*back) == text);

    std::vector<std::pair<std::string, bool>> outs = {{"model.pt", true}};
    auto f = pipeline::fingerprint(s, outs);
    auto changed = s;
    changed.params["params.yaml"]["train.lr"] = 0.2;
    CHECK(pipeline::fingerprint(changed, outs) != f);
    changed = s;
    changed.deps["data"] = std::string(64, 'c');
    CHECK(pipeline::fingerprint(changed, outs) != f);
    CHECK(pipeline::fingerprint(s, {{"other.pt", true}}) != f);
    CHECK(pipeline::fingerprint(s, outs) == f);
    CHECK(pipeline::lock_path_for("mlops.yaml") == "mlops.lock");
    CHECK(pipeline::lock_path_for("sub/p.yml") == "sub/p.lock");
    CHECK_FALSE(pipeline::parse_lock("stages: {}\nschema: 9\n", "x.lock"));
}
