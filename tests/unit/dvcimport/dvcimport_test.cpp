#include <catch2/catch.hpp>

#include <yaml-cpp/yaml.h>

#include <mlops/dvcimport/dvcimport.hpp>

#include "scratch.hpp"

using namespace mlops;

namespace {
// An mlops repository without git in the scratch folder.
std::unique_ptr<workspace::Repository> repository(const test::Scratch& s) {
    REQUIRE(workspace::Repository::init(s.path(), workspace::NoGit::yes));
    auto repo = workspace::Repository::discover(s.path());
    REQUIRE(repo);
    return std::move(*repo);
}
} // namespace

TEST_CASE("dvcimport: DVC's file and folder md5s", "[dvcimport]") {
    test::Scratch s;
    s.write("d/a.txt", "a\n");
    s.write("d/sub/b.txt", "b\n");
    s.write("crlf.txt", "x\r\ny\n");
    // Values computed with Python's hashlib and json.dumps(sort_keys=True), as dvc-data does.
    CHECK(*dvcimport::md5_dir(s / "d") == "849835d274483dc683eb416d6e4f887d.dir");
    CHECK(*dvcimport::md5_file(s / "crlf.txt") == "f051fab221a44e611bedf0b8024739e4");
    CHECK(*dvcimport::md5_file(s / "crlf.txt", true) == "1b5bb282b8f8792875e3c4203cfa9c57"); // DVC 2's text hash
    CHECK_FALSE(dvcimport::md5_file(s / "missing"));
}

TEST_CASE("dvcimport: dvc.yaml becomes mlops.yaml; what has no equivalent is listed", "[dvcimport]") {
    test::Scratch s;
    s.write("params.yaml", "a: 1\nb: {c: 2}\n");
    s.write("dvc.yaml", R"(stages:
  build:
    cmd: make ${a}
    deps: [src]
    params:
      - params.yaml:
    outs:
      - out.bin:
          cache: false
          remote: fast
    metrics:
      - m.json
    plots:
      - p.csv:
          x: step
    meta: {owner: ada}
    vars: [x.yaml]
)");
    auto repo = repository(s);
    auto plan = dvcimport::plan(*repo, dvcimport::Overwrite::no);
    REQUIRE(plan);
    REQUIRE(plan->pipeline);
    auto y = YAML::Load(*plan->pipeline);
    auto b = y["stages"]["build"];
    CHECK(b["cmd"].as<std::string>() == "make ${a}");
    CHECK(b["params"][0]["params.yaml"].as<std::vector<std::string>>() == std::vector<std::string>{"a", "b"}); // every key of the file
    CHECK(b["outs"][0]["out.bin"]["cache"].as<bool>() == false);
    CHECK(b["outs"][1].as<std::string>() == "p.csv");                 // a plot is an output
    CHECK(b["metrics"][0]["m.json"]["cache"].as<bool>() == true);     // DVC caches metrics by default
    CHECK_FALSE(b["meta"]);
    CHECK(plan->stages == std::vector<std::string>{"build"});
    std::vector<std::string> what; // by line
    for (const auto& p : plan->problems) what.push_back(p.what + " @" + std::to_string(p.line));
    CHECK(what == std::vector<std::string>{"outs: out.bin: remote @10", "stages: build: plots @13", "plots: p.csv: x @15",
                                           "stages: build: meta @16", "stages: build: vars @17"});
    // mlops.yaml is never replaced without --force.
    s.write("mlops.yaml", "stages: {}\n");
    auto again = dvcimport::plan(*repo, dvcimport::Overwrite::no);
    REQUIRE_FALSE(again);
    CHECK(again.error().message == "mlops.yaml exists already; --force replaces it");
    CHECK(dvcimport::plan(*repo, dvcimport::Overwrite::yes));
}

TEST_CASE("dvcimport: matrix stages and vars files carry over; what mlops cannot read is listed", "[dvcimport]") {
    test::Scratch s;
    s.write("config.yaml", "lrs: [0.1, 0.01]\n");
    s.write("dvc.yaml", R"(vars:
  - config.yaml:lrs
stages:
  grid:
    matrix:
      lr: ${lrs}
      depth: [2, 3]
    cmd: ./fit --lr ${item.lr} --depth ${item.depth}
    outs:
      - models/${item.lr}-${item.depth}
)");
    auto repo = repository(s);
    auto plan = dvcimport::plan(*repo, dvcimport::Overwrite::no);
    REQUIRE(plan);
    auto y = YAML::Load(*plan->pipeline);
    CHECK(y["vars"][0].as<std::string>() == "config.yaml"); // selected keys widen to the file, listed
    CHECK(y["stages"]["grid"]["matrix"]["depth"].size() == 2);
    CHECK(y["stages"]["grid"]["cmd"].as<std::string>() == "./fit --lr ${item.lr} --depth ${item.depth}");
    // mlops's matrix axes are lists, not ${...}: the converted file is listed as needing an edit.
    REQUIRE(plan->problems.size() == 2);
    CHECK(plan->problems[0].what == "mlops.yaml");
    CHECK(plan->problems[0].why.find("matrix axis 'lr' must be a non-empty list") != std::string::npos);
    CHECK(plan->problems[1].what == "vars: config.yaml:lrs");
    CHECK(plan->problems[1].line == 2);
    // With the axis written out, mlops reads it: nothing listed but the widened vars.
    s.write("dvc.yaml", R"(vars:
  - config.yaml:lrs
stages:
  grid:
    matrix:
      lr: [0.1, 0.01]
      depth: [2, 3]
    cmd: ./fit --lr ${item.lr} --depth ${item.depth}
)");
    auto ok = dvcimport::plan(*repo, dvcimport::Overwrite::no);
    REQUIRE(ok);
    REQUIRE(ok->problems.size() == 1);
    CHECK(ok->problems[0].what == "vars: config.yaml:lrs");
}

TEST_CASE("dvcimport: nested outputs are listed before anything is written", "[dvcimport]") {
    test::Scratch s;
    s.write("data/x.csv", "a\n1\n");
    auto file_md5 = dvcimport::md5_file(s / "data/x.csv");
    REQUIRE(file_md5);
    s.write("data/x.csv.dvc", "outs:\n- md5: " + *file_md5 + "\n  path: x.csv\n  hash: md5\n");
    auto dir_md5 = dvcimport::md5_dir(s / "data"); // the folder holds x.csv.dvc too
    REQUIRE(dir_md5);
    s.write("data.dvc", "outs:\n- md5: " + *dir_md5 + "\n  path: data\n  hash: md5\n");
    auto repo = repository(s);
    auto plan = dvcimport::plan(*repo, dvcimport::Overwrite::no);
    REQUIRE(plan);
    REQUIRE(plan->tracked.size() == 1);
    CHECK(plan->tracked[0].path == "data");
    CHECK(plan->tracked[0].verified);
    REQUIRE(plan->problems.size() == 1);
    CHECK(plan->problems[0].file == "data/x.csv.dvc");
    CHECK(plan->problems[0].why == "data/x.csv: is inside the tracked folder data; add data instead; not tracked");
    // And applying it goes through.
    auto applied = dvcimport::apply(*repo, *plan, dvcimport::Overwrite::no);
    REQUIRE(applied);
    CHECK(applied->oids.size() == 1);
}
