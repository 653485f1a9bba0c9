#include <catch2/catch.hpp>

#include <mlops/pipeline/compare.hpp>

#include "scratch.hpp"

using namespace mlops;
using nlohmann::json;
using pipeline::ChangeKind;
using pipeline::Values;

namespace {
const pipeline::Change* find(const std::vector<pipeline::Change>& changes, const std::string& key) {
    for (const auto& c : changes)
        if (c.key == key) return &c;
    return nullptr;
}

const char* k_pipeline = R"(stages:
  train:
    foreach: [small, large]
    do:
      cmd: echo ${item}
      params:
        - train.${item}
        - other.yaml: [seed]
      metrics:
        - metrics/${item}.json
)";

// A git repository with mlops initialised in `s`; commands use a fixed identity.
std::unique_ptr<workspace::Repository> make_repo(const test::Scratch& s) {
    REQUIRE(s.sh("git init -q -b main") == 0);
    REQUIRE(workspace::Repository::init(s.path(), workspace::NoGit::no));
    auto repo = workspace::Repository::discover(s.path());
    REQUIRE(repo);
    return std::move(*repo);
}
int commit(const test::Scratch& s, const std::string& msg) {
    return s.sh("git add -A >/dev/null && GIT_AUTHOR_NAME=T GIT_AUTHOR_EMAIL=t@x "
                "GIT_COMMITTER_NAME=T GIT_COMMITTER_EMAIL=t@x "
                "git commit -qm '" +
                msg + "'");
}
} // namespace

TEST_CASE("metrics documents flatten to dotted keys", "[compare]") {
    auto j = pipeline::parse_metrics(
        R"({"acc": 0.9, "loss": {"train": 0.1, "val": 0.2}, "hist": [1, 2], "name": "x"})",
        "m.json");
    REQUIRE(j);
    CHECK(*j == json{{"acc", 0.9}, {"loss.train", 0.1}, {"loss.val", 0.2}, {"name", "x"}});
    auto y = pipeline::parse_metrics("acc: 0.5\nepochs: 3\nok: true\n", "m.yaml");
    REQUIRE(y);
    CHECK(*y == json{{"acc", 0.5}, {"epochs", 3}, {"ok", true}});
    auto empty = pipeline::parse_metrics("", "m.yaml");
    REQUIRE(empty);
    CHECK(empty->empty());
}

TEST_CASE("a bad metrics file is an error naming the file and line", "[compare]") {
    auto bad = pipeline::parse_metrics("{\n  \"acc\": 0.9,\n  \"loss\": [1,\n", "metrics/a.yaml");
    REQUIRE_FALSE(bad);
    CHECK(bad.error().message.starts_with("metrics/a.yaml:4:1: invalid YAML"));
    CHECK(bad.error().message.find("JSON or YAML") != std::string::npos);
    CHECK(bad.error().exit_code() == util::ExitCode::usage);
    // A .json file is JSON: YAML would read `"epochs": ,` as null.
    auto json_bad =
        pipeline::parse_metrics("{\"acc\": 0.9,\n \"epochs\": ,\n}\n", "metrics/a.json");
    REQUIRE_FALSE(json_bad);
    INFO(json_bad.error().message);
    CHECK(json_bad.error().message.starts_with("metrics/a.json:2:12: invalid JSON: syntax error"));
    CHECK(pipeline::parse_metrics("{\"acc\": 0.9,\n \"epochs\": ,\n}\n", "metrics/a.yaml"));
    auto first = pipeline::parse_metrics("x", "m.json");
    REQUIRE_FALSE(first);
    CHECK(first.error().message.starts_with("m.json:1:1: invalid JSON"));
    auto scalar = pipeline::parse_metrics("just words\n", "HEAD:m.yaml");
    REQUIRE_FALSE(scalar);
    CHECK(scalar.error().message.starts_with("HEAD:m.yaml:1:1: a metrics file must be"));
    CHECK_FALSE(pipeline::parse_metrics("3", "m.json"));
    CHECK_FALSE(pipeline::parse_metrics("[1, 2]", "m.json"));
}

TEST_CASE("comparing values: kinds, deltas, relative change", "[compare]") {
    Values old_v{{"m.json",
                  {{"acc", 0.8},
                   {"epochs", 10},
                   {"loss", 0.0},
                   {"name", "a"},
                   {"gone", 1},
                   {"same", 5},
                   {"flag", false}}}};
    Values new_v{{"m.json",
                  {{"acc", 0.9},
                   {"epochs", 12},
                   {"loss", 0.5},
                   {"name", "b"},
                   {"new", 2},
                   {"same", 5},
                   {"flag", true}}}};
    auto changes = pipeline::compare_values(old_v, new_v, pipeline::Unchanged::hide);
    CHECK(find(changes, "same") == nullptr);
    CHECK(changes.size() == 7);

    auto* acc = find(changes, "acc");
    REQUIRE(acc);
    CHECK(acc->kind == ChangeKind::modified);
    REQUIRE(acc->delta);
    CHECK(acc->delta->dump() == "0.1"); // not 0.09999999999999998
    REQUIRE(acc->relative);
    CHECK(*acc->relative == Approx(0.125));

    auto* epochs = find(changes, "epochs");
    REQUIRE(epochs);
    CHECK(epochs->delta->is_number_integer());
    CHECK(*epochs->delta == 2);
    CHECK(*epochs->relative == Approx(0.2));

    auto* loss = find(changes, "loss");
    CHECK(loss->delta->get<double>() == Approx(0.5));
    CHECK_FALSE(loss->relative); // from zero: no relative change

    CHECK_FALSE(find(changes, "name")->delta);
    CHECK_FALSE(find(changes, "flag")->delta); // booleans are not numbers
    CHECK(find(changes, "gone")->kind == ChangeKind::removed);
    CHECK_FALSE(find(changes, "gone")->new_value);
    CHECK(find(changes, "new")->kind == ChangeKind::added);
    CHECK_FALSE(find(changes, "new")->old_value);

    auto all = pipeline::compare_values(old_v, new_v, pipeline::Unchanged::show);
    REQUIRE(find(all, "same"));
    CHECK(find(all, "same")->kind == ChangeKind::unchanged);
    CHECK(*find(all, "same")->delta == 0);
}

TEST_CASE("any_difference: what --exit-code counts", "[compare]") {
    Values a{{"m.json", {{"acc", 0.8}, {"same", 5}}}};
    Values b{{"m.json", {{"acc", 0.9}, {"same", 5}}}};
    CHECK(pipeline::any_difference(pipeline::compare_values(a, b, pipeline::Unchanged::show)));
    CHECK(pipeline::any_difference(pipeline::compare_values(a, Values{}, pipeline::Unchanged::hide)));
    CHECK(pipeline::any_difference(pipeline::compare_values(Values{}, a, pipeline::Unchanged::hide)));
    // Unchanged rows shown by --all are no difference.
    CHECK_FALSE(pipeline::any_difference(pipeline::compare_values(a, a, pipeline::Unchanged::show)));
    CHECK_FALSE(pipeline::any_difference(pipeline::compare_values(a, a, pipeline::Unchanged::hide)));
}

TEST_CASE("comparing: files, order, and JSON numbers of either signedness", "[compare]") {
    // Run records come back through a JSON parser (positive integers unsigned); YAML gives signed.
    Values a{{"b.json", {{"n", json::parse("7")}}}, {"a.json", {{"z", 1}, {"y", -3}}}};
    Values b{{"b.json", {{"n", 9}}}, {"a.json", {{"z", 1.5}, {"y", -6}}}};
    auto changes = pipeline::compare_values(a, b, pipeline::Unchanged::hide);
    REQUIRE(changes.size() == 3);
    CHECK(changes[0].file == "a.json");
    CHECK(changes[0].key == "y");
    CHECK(*changes[0].delta == -3);
    CHECK(*changes[0].relative == Approx(-1.0)); // relative to |old|: a drop stays negative
    CHECK(changes[1].key == "z");
    CHECK(changes[1].delta->get<double>() == Approx(0.5));
    CHECK(changes[2].file == "b.json");
    CHECK(changes[2].delta->is_number_integer());
    CHECK(*changes[2].delta == 2);
    // Equal values of different JSON number types are unchanged.
    CHECK(pipeline::compare_values({{"f", {{"k", json::parse("3")}}}}, {{"f", {{"k", 3}}}},
                                   pipeline::Unchanged::hide)
              .empty());
}

TEST_CASE("cells, deltas and relative changes as text", "[compare]") {
    CHECK(pipeline::format_value(std::nullopt) == "-");
    CHECK(pipeline::format_value(json("adam")) == "adam");
    CHECK(pipeline::format_value(json(0.25)) == "0.25");
    CHECK(pipeline::format_value(json(3)) == "3");
    CHECK(pipeline::format_value(json(true)) == "true");
    CHECK(pipeline::format_value(json::array({1, 2})) == "[1,2]");
    CHECK(pipeline::format_delta(json(2)) == "+2");
    CHECK(pipeline::format_delta(json(-0.5)) == "-0.5");
    CHECK(pipeline::format_delta(json(0)) == "0");
    CHECK(pipeline::format_delta(json(0.0)) == "0");
    CHECK(pipeline::format_delta(std::nullopt).empty());
    CHECK(pipeline::format_relative(0.125) == "+12.50%");
    CHECK(pipeline::format_relative(-1.0) == "-100.00%");
    CHECK(pipeline::format_relative(std::nullopt).empty());
}

TEST_CASE("tables: aligned and Markdown", "[compare]") {
    Values a{{"params.yaml", {{"train.lr", 0.1}, {"train.opt", "sgd|adam"}}}};
    Values b{{"params.yaml", {{"train.lr", 0.25}, {"train.opt", "adam"}}}};
    auto t = pipeline::changes_table(pipeline::compare_values(a, b, pipeline::Unchanged::hide),
                                     "Param", pipeline::Relative::no);
    CHECK(pipeline::render_table(t, pipeline::TableFormat::aligned) ==
          "File         Param           Old   New  Change\n"
          "params.yaml  train.lr        0.1  0.25   +0.15\n"
          "params.yaml  train.opt  sgd|adam  adam\n");
    CHECK(pipeline::render_table(t, pipeline::TableFormat::markdown) ==
          "| File | Param | Old | New | Change |\n"
          "|---|---|---:|---:|---:|\n"
          "| params.yaml | train.lr | 0.1 | 0.25 | +0.15 |\n"
          "| params.yaml | train.opt | sgd\\|adam | adam |  |\n");
    auto m = pipeline::changes_table(pipeline::compare_values(a, b, pipeline::Unchanged::hide),
                                     "Metric", pipeline::Relative::yes);
    CHECK(m.columns.back() == "Change %");
    CHECK(m.rows[0].back() == "+150.00%");
    // UTF-8 cells count as one column per code point.
    pipeline::Table u{{"K", "V"}, {}, {{"é", "1"}, {"ab", "2"}}};
    CHECK(pipeline::render_table(u, pipeline::TableFormat::aligned) == "K   V\né   1\nab  2\n");
    CHECK(pipeline::parse_table_format("md").value() == pipeline::TableFormat::markdown);
    CHECK(pipeline::parse_table_format("table").value() == pipeline::TableFormat::aligned);
    CHECK_FALSE(pipeline::parse_table_format("html"));
}

TEST_CASE("change JSON", "[compare]") {
    auto changes =
        pipeline::compare_values({{"m.json", {{"acc", 0.5}, {"old", 1}}}},
                                 {{"m.json", {{"acc", 0.75}}}}, pipeline::Unchanged::hide);
    REQUIRE(changes.size() == 2);
    CHECK(pipeline::change_json(changes[0], pipeline::Relative::yes) == json{{"file", "m.json"},
                                                                             {"key", "acc"},
                                                                             {"status", "modified"},
                                                                             {"old", 0.5},
                                                                             {"new", 0.75},
                                                                             {"delta", 0.25},
                                                                             {"relative", 0.5}});
    CHECK(pipeline::change_json(changes[1], pipeline::Relative::no) == json{{"file", "m.json"},
                                                                            {"key", "old"},
                                                                            {"status", "removed"},
                                                                            {"old", 1},
                                                                            {"new", nullptr},
                                                                            {"delta", nullptr}});
}

TEST_CASE("params and metrics from the work tree and from git commits", "[compare]") {
    test::Scratch s;
    auto repo = make_repo(s);
    s.write("mlops.yaml", k_pipeline);
    s.write("params.yaml",
            "train:\n  small: {lr: 0.1, epochs: 2}\n  large: {lr: 0.01, epochs: 4}\nunused: 1\n");
    s.write("other.yaml", "seed: 7\n");
    s.write("metrics/small.json", R"({"acc": 0.8})");
    REQUIRE(commit(s, "one") == 0);
    s.write("params.yaml",
            "train:\n  small: {lr: 0.2, epochs: 2}\n  large: {lr: 0.01, epochs: 4}\nunused: 2\n");
    s.write("metrics/small.json", R"({"acc": 0.9})");
    s.write("metrics/large.json", R"({"acc": 0.7})");

    auto sides = pipeline::sides_for(*repo, {});
    REQUIRE(sides);
    CHECK(sides->old_side.label == "HEAD");
    CHECK(sides->new_side.work_tree());
    auto p = pipeline::pipelines_for(*repo, *sides, "mlops.yaml");
    INFO((p ? "" : p.error().message));
    REQUIRE(p);
    REQUIRE(p->old_side);
    REQUIRE(p->new_side);

    auto old_params = pipeline::params_values(*repo, *p->old_side, sides->old_side);
    auto new_params = pipeline::params_values(*repo, *p->new_side, sides->new_side);
    REQUIRE(old_params);
    REQUIRE(new_params);
    // Only the keys the stages use; a key naming a mapping gives its leaves.
    CHECK(old_params->at("params.yaml").size() == 4);
    CHECK_FALSE(old_params->at("params.yaml").contains("unused"));
    CHECK(old_params->at("other.yaml").at("seed") == 7);
    auto changes = pipeline::compare_values(*old_params, *new_params, pipeline::Unchanged::hide);
    REQUIRE(changes.size() == 1);
    CHECK(changes[0].key == "train.small.lr");
    CHECK(changes[0].delta->dump() == "0.1");

    CHECK(pipeline::metrics_files(*p->new_side) ==
          std::vector<std::string>{"metrics/small.json", "metrics/large.json"});
    auto old_m = pipeline::metrics_values(*repo, *p->old_side, sides->old_side);
    auto new_m = pipeline::metrics_values(*repo, *p->new_side, sides->new_side);
    REQUIRE(old_m);
    REQUIRE(new_m);
    CHECK(old_m->size() == 1); // large.json is not in HEAD
    CHECK(new_m->at("metrics/large.json").at("acc") == 0.7);
    auto mchanges = pipeline::compare_values(*old_m, *new_m, pipeline::Unchanged::hide);
    REQUIRE(mchanges.size() == 2);
    CHECK(mchanges[0].file == "metrics/large.json");
    CHECK(mchanges[0].kind == ChangeKind::added);
    CHECK(mchanges[1].kind == ChangeKind::modified);

    // Two revisions.
    REQUIRE(commit(s, "two") == 0);
    auto two = pipeline::sides_for(*repo, {"HEAD~1", "HEAD"});
    REQUIRE(two);
    CHECK(two->old_side.commit.size() == 40);
    CHECK(two->old_side.commit != two->new_side.commit);
    CHECK(two->old_side.display("params.yaml") == "HEAD~1:params.yaml");
}

TEST_CASE("sources: unknown revisions, no commits, no pipeline, bad metrics at a commit",
          "[compare]") {
    test::Scratch s;
    auto repo = make_repo(s);
    // No commit yet: HEAD is an empty side.
    auto sides = pipeline::sides_for(*repo, {});
    REQUIRE(sides);
    CHECK(sides->old_side.empty);
    // Neither side has a pipeline file.
    auto none = pipeline::pipelines_for(*repo, *sides, "mlops.yaml");
    REQUIRE_FALSE(none);
    CHECK(none.error().message.find("mlops.yaml: no pipeline file") == 0);
    CHECK(none.error().exit_code() == util::ExitCode::usage);

    s.write("mlops.yaml", "stages:\n  s:\n    cmd: 'true'\n    metrics: [m.json]\n");
    s.write("m.json", "{\"acc\": 1,\n \"x\": [1,\n");
    REQUIRE(commit(s, "one") == 0);
    auto bad_rev = pipeline::sides_for(*repo, {"no-such-branch"});
    REQUIRE_FALSE(bad_rev);
    CHECK(bad_rev.error().message.find("no-such-branch") != std::string::npos);
    CHECK(bad_rev.error().exit_code() == util::ExitCode::usage);
    CHECK_FALSE(pipeline::sides_for(*repo, {"HEAD", "HEAD", "HEAD"}));

    auto head = pipeline::revision_source(*repo, "HEAD");
    REQUIRE(head);
    auto p = pipeline::pipeline_at(*repo, *head, "mlops.yaml");
    REQUIRE(p);
    REQUIRE(*p);
    auto m = pipeline::metrics_values(*repo, **p, *head);
    REQUIRE_FALSE(m);
    INFO(m.error().message);
    CHECK(m.error().message.starts_with("HEAD:m.json:3:1: invalid JSON"));
    // The pipeline file is absent at a revision: an empty side, not an error.
    REQUIRE(s.sh("git rm -q mlops.yaml") == 0);
    REQUIRE(commit(s, "two") == 0);
    auto gone = pipeline::pipeline_at(*repo, pipeline::revision_source(*repo, "HEAD").value(),
                                      "mlops.yaml");
    REQUIRE(gone);
    CHECK_FALSE(*gone);
}

TEST_CASE("values of run records", "[compare]") {
    auto v = pipeline::values_from_json(json::parse(R"({"m.json": {"acc": 0.5, "n": 3}})"));
    CHECK(v.at("m.json").at("acc") == 0.5);
    CHECK(v.at("m.json").at("n") == 3);
    CHECK(pipeline::values_from_json(json::array()).empty());
}
