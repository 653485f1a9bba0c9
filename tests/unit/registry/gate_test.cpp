#include <catch2/catch.hpp>

#include <mlops/registry/gate.hpp>

using namespace mlops;

TEST_CASE("gates parse thresholds and comparisons with the current holder", "[registry]") {
    auto g = registry::parse_gate("accuracy>=0.95").value();
    CHECK(g.metric == "accuracy");
    CHECK(g.op == registry::GateOp::ge);
    CHECK_FALSE(g.relative);
    CHECK(g.value == 0.95);
    g = registry::parse_gate(" f1 > current + 0.01 ").value();
    CHECK(g.relative);
    CHECK(g.op == registry::GateOp::gt);
    CHECK(g.value == Approx(0.01));
    g = registry::parse_gate("test.loss<=current-0.5").value();
    CHECK(g.metric == "test.loss");
    CHECK(g.value == -0.5);
    CHECK(registry::parse_gate("rmse<1e-3").value().value == 1e-3);
    CHECK(registry::parse_gate("x!=+2").value().value == 2);
}

TEST_CASE("a malformed gate points at the column where it went wrong", "[registry]") {
    auto bad = [](const char* text) { return registry::parse_gate(text).error().message; };
    CHECK(bad("accuracy>>0.9") == "gate 'accuracy>>0.9': expected a number at column 10");
    CHECK(bad(">=0.9") == "gate '>=0.9': expected a metric name at column 1");
    CHECK(bad("accuracy 0.9") == "gate 'accuracy 0.9': expected one of >=, >, <=, <, ==, != at column 10");
    CHECK(bad("f1>=current*2") == "gate 'f1>=current*2': expected '+' or '-' after 'current' at column 12");
    CHECK(bad("f1>=0.9 extra") == "gate 'f1>=0.9 extra': unexpected text at column 9");
    CHECK(registry::parse_gate("f1>=nan").error().kind == util::ErrorKind::usage);
}

TEST_CASE("gate metrics resolve exact names first, then test, val and train", "[registry]") {
    nlohmann::json m = {{"train.accuracy", 0.99}, {"test.accuracy", 0.93}, {"f1", 0.9}, {"note", "x"}};
    CHECK(registry::find_metric(m, "accuracy").value() == "test.accuracy");
    CHECK(registry::find_metric(m, "train.accuracy").value() == "train.accuracy");
    CHECK(registry::find_metric(m, "f1").value() == "f1");
    CHECK_FALSE(registry::find_metric(m, "note"));
    CHECK_FALSE(registry::find_metric(m, "loss"));
}

TEST_CASE("gates evaluate against thresholds and the current holder", "[registry]") {
    nlohmann::json cand = {{"accuracy", 0.96}, {"f1", 0.90}};
    nlohmann::json cur = {{"accuracy", 0.95}, {"f1", 0.92}};
    auto eval = [&](const char* g, std::optional<nlohmann::json> current) {
        return registry::evaluate_gate(registry::parse_gate(g).value(), cand, "m version 2", current, "version 1");
    };
    CHECK(eval("accuracy>=0.95", cur).value().ok);
    CHECK_FALSE(eval("accuracy>=0.97", cur).value().ok);
    CHECK(eval("accuracy>current", cur).value().ok);
    CHECK_FALSE(eval("accuracy>current+0.01", cur).value().ok);
    auto f1 = eval("f1>=current", cur).value();
    CHECK_FALSE(f1.ok);
    CHECK(f1.current.value() == 0.92);
    CHECK(f1.threshold == 0.92);
    // Nobody holds the alias: a comparison with "current" passes, saying why.
    auto first = eval("f1>=current", std::nullopt).value();
    CHECK(first.ok);
    CHECK(first.note == "no version holds the alias yet");
    // The holder lacks the metric: the gate fails; the candidate lacking it is bad input.
    CHECK_FALSE(eval("accuracy>=current", nlohmann::json{{"f1", 1}}).value().ok);
    auto missing = eval("auc>=0.9", cur);
    REQUIRE_FALSE(missing);
    CHECK(missing.error().kind == util::ErrorKind::usage);
    CHECK(missing.error().message == "gate 'auc>=0.9': m version 2 has no metric 'auc' (it has: accuracy, f1)");
}
