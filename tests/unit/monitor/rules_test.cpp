#include <catch2/catch.hpp>

#include <mlops/monitor/rules.hpp>

using namespace mlops;

namespace {
std::optional<bool> eval(const char* text, const std::map<std::string, double>& f) {
    auto e = monitor::parse_expr(text);
    REQUIRE(e);
    return monitor::evaluate(**e, f);
}
monitor::ExprError expr_error(const char* text) {
    auto e = monitor::parse_expr(text);
    REQUIRE_FALSE(e);
    return e.error();
}
monitor::Window win(double start, double p99, double errors = 0) {
    monitor::Window w;
    w.start = start;
    w.end = start + 60;
    w.figures = {{"latency_p99_ms", p99}, {"error_rate", errors}, {"requests", 10}};
    return w;
}
} // namespace

TEST_CASE("monitor.rules: expressions, precedence and missing figures", "[monitor]") {
    std::map<std::string, double> f = {{"latency_p99_ms", 60}, {"error_rate", 0.0}, {"requests", 5}};
    CHECK(eval("latency_p99_ms > 50", f) == true);
    CHECK(eval("latency_p99_ms > 50 and error_rate > 0.01", f) == false);
    CHECK(eval("error_rate > 0.01 or latency_p99_ms >= 60", f) == true);
    CHECK(eval("not (requests < 10)", f) == false);
    CHECK(eval("requests != 5 || !(error_rate == 0)", f) == false);
    CHECK(eval("1e-3 < latency_p99_ms", f) == true);
    // A missing figure is unknown, and unknown never fires; `or` with a true side is true.
    CHECK(eval("accuracy < 0.9", f) == std::nullopt);
    CHECK(eval("not accuracy < 0.9", f) == std::nullopt);
    CHECK(eval("accuracy < 0.9 and requests > 100", f) == false);
    CHECK(eval("accuracy < 0.9 or requests > 1", f) == true);
    CHECK(eval("prediction_share.yes > 0.5", {{"prediction_share.yes", 0.7}}) == true);
    auto e = monitor::parse_expr("latency_p99_ms > 50 and (error_rate > 0.1 or latency_p99_ms > 90)");
    REQUIRE(e);
    CHECK(monitor::figures_used(**e) == std::vector<std::string>{"error_rate", "latency_p99_ms"});
}

TEST_CASE("monitor.rules: a bad expression points at the column", "[monitor]") {
    auto e = expr_error("latncy_p99_ms > 50");
    CHECK(e.column == 1);
    CHECK(e.message == "unknown figure 'latncy_p99_ms' (did you mean 'latency_p99_ms'?)");
    e = expr_error("error_rate > ");
    CHECK(e.column == 14);
    e = expr_error("error_rate = 1");
    CHECK(e.column == 12);
    CHECK(e.message.find("'=='") != std::string::npos);
    e = expr_error("(error_rate > 1");
    CHECK(e.message.find("missing ')'") != std::string::npos);
    e = expr_error("latency_p99_ms > 50ms");
    CHECK(e.column == 20);
    e = expr_error("error_rate");
    CHECK(e.message.find("comparison") != std::string::npos);
    CHECK(expr_error("").message == "empty expression");
    CHECK(expr_error("error_rate > 1 $").column == 16);
}

TEST_CASE("monitor.rules: the file, with line and column in errors", "[monitor]") {
    auto set = monitor::parse_rules(R"(rules:
  - name: slow
    expr: latency_p99_ms > 50
    for: 2
    severity: critical
    summary: p99 above 50 ms
    actions: [print, {exit: 3}, {command: "cat > alert.json"}, {webhook: "http://127.0.0.1:1/hook"}]
  - alert: errors
    expr: error_rate > 0.01
    for: 2h
)", "alerts.yaml");
    REQUIRE(set);
    REQUIRE(set->rules.size() == 2);
    const auto& r = set->rules[0];
    CHECK(r.name == "slow");
    CHECK(r.windows(60) == 2);
    CHECK(r.severity == "critical");
    REQUIRE(r.actions.size() == 4);
    CHECK(r.actions[1].describe() == "exit 3");
    CHECK(r.actions[3].kind == monitor::Action::Kind::webhook);
    CHECK(set->rules[1].windows(3600) == 2);
    CHECK(set->rules[1].windows(1800) == 4);
    CHECK(set->rules[1].actions.size() == 1); // print by default

    auto err = [](const char* text) {
        auto s = monitor::parse_rules(text, "alerts.yaml");
        REQUIRE_FALSE(s);
        return s.error().message;
    };
    CHECK(err("rules:\n  - name: a\n    expr: error_rat > 1\n") ==
          "alerts.yaml:3:11: rule 'a': expr: unknown figure 'error_rat' (did you mean 'error_rate'?)");
    CHECK(err("rules:\n  - name: a\n    expr: \"error_rate >\"\n") ==
          "alerts.yaml:3:24: rule 'a': expr: expected a figure or a number at the end");
    CHECK(err("rules:\n  - name: a\n    expr: error_rate > 1\n    fro: 2\n") ==
          "alerts.yaml:4:5: unknown rule key 'fro' (did you mean 'for'?)");
    CHECK(err("rules:\n  - name: a\n    expr: error_rate > 1\n    actions: [{exit: 300}]\n").find("alerts.yaml:4:22: rule 'a': action exit: '300'") == 0);
    CHECK(err("rules:\n  - name: a\n    expr: error_rate > 1\n    actions: [{webhook: ftp://x}]\n").find("not an http") != std::string::npos);
    CHECK(err("rules:\n  - name: a\n    expr: error_rate > 1\n  - name: a\n    expr: error_rate > 2\n").find("a second rule named 'a'") != std::string::npos);
    CHECK(err("rules:\n  - name: a\n").find("has no expr") != std::string::npos);
    CHECK(err("rules: [").find("alerts.yaml:") == 0);
}

TEST_CASE("monitor.rules: pending, firing once, resolving once, across runs", "[monitor]") {
    auto set = monitor::parse_rules("- name: slow\n  expr: latency_p99_ms > 50\n  for: 2\n", "r.yaml").value();
    monitor::AlertState st;
    // Run 1 sees three windows: ok, slow (pending), slow (fires).
    auto ev = monitor::judge(set, st, {win(0, 10), win(60, 80), win(120, 90)}, 60);
    REQUIRE(ev.size() == 1);
    CHECK(ev[0].state == "firing");
    CHECK(ev[0].since == 60);
    CHECK(ev[0].window_start == 120);
    CHECK(ev[0].values.at("latency_p99_ms") == 90);
    CHECK(st.rules.at("slow").state == "firing");
    // The state survives a round trip through its file.
    auto text = monitor::state_json(st).dump();
    st = monitor::parse_state(text, "s.json").value();
    // Run 2 over the grown log: the judged windows are skipped, nothing fires twice.
    ev = monitor::judge(set, st, {win(0, 10), win(60, 80), win(120, 90), win(180, 95)}, 60);
    CHECK(ev.empty());
    // Run 3: the latency is back: resolved once; an open window is not judged.
    auto open = win(300, 99);
    open.open = true;
    ev = monitor::judge(set, st, {win(240, 5), open}, 60);
    REQUIRE(ev.size() == 1);
    CHECK(ev[0].state == "resolved");
    CHECK(st.rules.at("slow").state == "inactive");
    CHECK(st.judged_until == 300);
}

TEST_CASE("monitor.rules: a gap without records resolves and resets", "[monitor]") {
    auto set = monitor::parse_rules("- name: slow\n  expr: latency_p99_ms > 50\n  for: 2\n", "r.yaml").value();
    monitor::AlertState st;
    auto ev = monitor::judge(set, st, {win(0, 80), win(120, 80)}, 60); // [60,120) had no records
    CHECK(ev.empty());
    CHECK(st.rules.at("slow").state == "pending");
    ev = monitor::judge(set, st, {win(180, 80)}, 60);
    REQUIRE(ev.size() == 1);
    ev = monitor::judge(set, st, {win(600, 80)}, 60);
    REQUIRE(ev.size() == 1);
    CHECK(ev[0].state == "resolved");
    CHECK(ev[0].window_start == 240);
    CHECK(st.rules.at("slow").state == "pending");
}

TEST_CASE("monitor.rules: a changed expression starts again; a bad state file is named", "[monitor]") {
    auto set = monitor::parse_rules("- name: slow\n  expr: latency_p99_ms > 50\n", "r.yaml").value();
    monitor::AlertState st;
    CHECK(monitor::judge(set, st, {win(0, 80)}, 60).size() == 1);
    auto changed = monitor::parse_rules("- name: slow\n  expr: latency_p99_ms > 70\n", "r.yaml").value();
    auto ev = monitor::judge(changed, st, {win(60, 80)}, 60);
    REQUIRE(ev.size() == 1);
    CHECK(ev[0].state == "firing");
    auto bad = monitor::parse_state("{\"version\": 1}", "state.json");
    REQUIRE_FALSE(bad);
    CHECK(bad.error().message.find("state.json: not an alert state file") == 0);
}
