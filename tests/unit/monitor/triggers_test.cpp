#include <catch2/catch.hpp>

#include <mlops/monitor/triggers.hpp>

using namespace mlops;

namespace {
pipeline::Pipeline sample() {
    pipeline::Pipeline p;
    p.file = "mlops.yaml";
    for (const char* n : {"prepare", "train@small", "train@large", "evaluate"}) {
        pipeline::Stage s;
        s.name = n;
        p.stages.push_back(s);
    }
    return p;
}
std::string error_of(const std::string& triggers) {
    auto r = monitor::parse_triggers("stages: {}\ntriggers:\n" + triggers, "mlops.yaml", sample());
    REQUIRE_FALSE(r);
    return r.error().message;
}
} // namespace

TEST_CASE("monitor.triggers: the three kinds, stage selection, promotion", "[monitor]") {
    auto r = monitor::parse_triggers(R"(stages: {}
triggers:
  - name: new-data
    on: data_change
    paths: [data/, raw.csv]
    run: [train, evaluate]
    promote: {model: bc, path: models/bc/, alias: production, gates: ["accuracy >= current"]}
  - name: drifted
    on: drift
    reference: data/train.csv
    current: data/live.csv@HEAD
    drift_share: 0.3
    run: train@small
  - name: nightly
    on: schedule
    every: 1d
    run: [prepare]
)", "mlops.yaml", sample());
    REQUIRE(r);
    REQUIRE(r->size() == 3);
    const auto& a = (*r)[0];
    CHECK(a.on == "data_change");
    CHECK(a.paths == std::vector<std::string>{"data", "raw.csv"});
    REQUIRE(a.promote);
    CHECK(a.promote->path == "models/bc");
    CHECK(a.promote->gates.size() == 1);
    CHECK(a.where == "mlops.yaml:3:5");
    CHECK((*r)[1].drift_share == 0.3);
    CHECK((*r)[1].stages == std::vector<std::string>{"train@small"});
    CHECK((*r)[2].every_s == 86400);
    // A file without triggers has none.
    CHECK(monitor::parse_triggers("stages: {}\n", "mlops.yaml", sample())->empty());
}

TEST_CASE("monitor.triggers: errors name the line and column", "[monitor]") {
    CHECK(error_of("  - name: a\n    on: data_change\n    run: [trian]\n") ==
          "mlops.yaml:5:10: trigger 'a': run: no stage 'trian' in mlops.yaml (did you mean 'train'?)");
    CHECK(error_of("  - name: a\n    on: drfit\n    run: train\n").find("mlops.yaml:4:9: trigger 'a': on: 'drfit' is not") == 0);
    CHECK(error_of("  - name: a\n    on: drift\n    run: train\n").find("needs reference: and current:") != std::string::npos);
    CHECK(error_of("  - name: a\n    on: schedule\n    every: soon\n    run: train\n").find("mlops.yaml:5:12: trigger 'a': every 'soon'") == 0);
    CHECK(error_of("  - name: a\n    on: schedule\n    run: train\n").find("needs every:") != std::string::npos);
    CHECK(error_of("  - name: a\n    on: data_change\n    run: train\n    every: 1h\n").find("every is for on: schedule") != std::string::npos);
    CHECK(error_of("  - name: a\n    on: data_change\n    run: train\n    promote: {model: bc, alias: prod}\n").find("promote needs path:") != std::string::npos);
    CHECK(error_of("  - name: a\n    on: data_change\n    run: train\n    promote: {model: bc, path: m, alias: prod, gates: [\"acc >> 1\"]}\n")
              .find("trigger 'a': promote:") != std::string::npos);
    CHECK(error_of("  - name: a\n    on: data_change\n    run: train\n    rnu: x\n").find("unknown trigger key 'rnu'") != std::string::npos);
    CHECK(error_of("  - name: a\n    on: data_change\n    run: train\n  - name: a\n    on: data_change\n    run: train\n")
              .find("a second trigger named 'a'") != std::string::npos);
    CHECK(error_of("  - name: a\n    on: data_change\n").find("has no run:") != std::string::npos);
}
