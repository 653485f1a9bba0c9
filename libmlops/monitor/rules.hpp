// Alert rules (docs/monitoring.md), Prometheus-like, judged over closed windows:
//   rules:
//     - name: slow                      # or `alert:`
//       expr: latency_p99_ms > 50 and requests >= 10
//       for: 2                          # consecutive windows (or a duration: 2h)
//       severity: critical              # free text; default warning
//       summary: p99 latency above 50 ms
//       actions: [print, {exit: 3}, {command: ./page.sh}, {webhook: "http://host/hook"}]
// The expression language: figure names (window.hpp), numbers, > >= < <= == !=, and/or/not
// (also && || !), parentheses. A comparison with a figure the window lacks is unknown, and unknown
// is never true (Kleene logic), so a rule never fires for lack of data.
#pragma once

#include <cstddef>
#include <map>
#include <memory>
#include <optional>
#include <string>
#include <vector>

#include <nlohmann/json.hpp>

#include <mlops/monitor/window.hpp>
#include <mlops/util/error.hpp>

namespace mlops::monitor {

struct Expr;
// Parses an expression; an error says what is wrong and at which 1-based column of `text`.
struct ExprError {
    std::size_t column = 0;
    std::string message;
};
std::expected<std::shared_ptr<const Expr>, ExprError> parse_expr(std::string_view text);
// true, false, or nullopt (unknown: a figure is missing).
std::optional<bool> evaluate(const Expr& e, const std::map<std::string, double>& figures);
// The figure names the expression reads, sorted, without repeats.
std::vector<std::string> figures_used(const Expr& e);

struct Action {
    enum class Kind { print, exit, command, webhook } kind = Kind::print;
    int code = 0;       // exit
    std::string target; // command line or URL
    std::string describe() const; // "print", "exit 3", "command ./page.sh", "webhook http://..."
};

struct Rule {
    std::string name;
    std::string expr_text;
    std::shared_ptr<const Expr> expr;
    std::size_t for_windows = 1;  // when `for` is a count
    double for_seconds = 0;       // when `for` is a duration (windows = ceil(for / window))
    std::string severity = "warning";
    std::string summary;
    std::vector<Action> actions;  // default: print
    int line = 0;
    std::size_t windows(double window_s) const;
};

struct RuleSet {
    std::string file;
    std::vector<Rule> rules;
};

// Parses a rules file; errors name the file, line and column ("alerts.yaml:4:11: ...").
util::Result<RuleSet> parse_rules(const std::string& text, const std::string& file);

// What each rule was at the end of the last judged window, kept between runs.
struct RuleState {
    std::string state = "inactive"; // inactive, pending, firing
    std::size_t count = 0;          // consecutive windows the condition held
    double since = 0;               // start of the first of them
    std::string expr;               // a rule whose expression changed starts again
};

// A rule that started or stopped firing.
struct Event {
    std::string rule, state, severity, summary, expr; // state: firing or resolved
    double window_start = 0, window_end = 0, since = 0;
    std::map<std::string, double> values; // the figures the expression reads, in that window
    std::vector<std::size_t> undelivered;  // actions (indices into the rule's) still to deliver
    nlohmann::json to_json() const;
    static util::Result<Event> from_json(const nlohmann::json& j);
};

struct AlertState {
    double judged_until = 0; // end of the last judged window; 0 = none
    bool any = false;        // judged_until is set
    std::map<std::string, RuleState> rules;
    std::vector<Event> pending; // notifications that failed, to retry
};
nlohmann::json state_json(const AlertState& s);
util::Result<AlertState> parse_state(const std::string& text, const std::string& file);

// Judges every closed window after the state's last one, in time order, and returns the
// transitions. A gap of at least one window with no records counts as one window without data.
std::vector<Event> judge(const RuleSet& rules, AlertState& state, const std::vector<Window>& windows, double window_s);

} // namespace mlops::monitor
