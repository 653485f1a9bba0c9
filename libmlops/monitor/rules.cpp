#include <mlops/monitor/rules.hpp>

#include <algorithm>
#include <charconv>
#include <cmath>
#include <set>

#include <fmt/format.h>
#include <yaml-cpp/yaml.h>

#include <mlops/util/strings.hpp>

namespace mlops::monitor {

struct Expr {
    enum class Kind { number, figure, compare, and_, or_, not_ } kind = Kind::number;
    double value = 0;
    std::string name; // figure, or the comparison operator
    std::shared_ptr<const Expr> left, right;
};

namespace {

struct Token {
    enum class Kind { number, name, op, lparen, rparen, end } kind = Kind::end;
    std::string text;
    double value = 0;
    std::size_t column = 0; // 1-based
};

std::expected<std::vector<Token>, ExprError> tokenize(std::string_view s) {
    std::vector<Token> out;
    std::size_t i = 0;
    auto is_name_start = [](char c) { return std::isalpha(static_cast<unsigned char>(c)) || c == '_'; };
    auto is_name = [](char c) { return std::isalnum(static_cast<unsigned char>(c)) || c == '_' || c == '.' || c == '-'; };
    while (i < s.size()) {
        char c = s[i];
        if (std::isspace(static_cast<unsigned char>(c))) {
            ++i;
            continue;
        }
        Token t;
        t.column = i + 1;
        if (c == '(' || c == ')') {
            t.kind = c == '(' ? Token::Kind::lparen : Token::Kind::rparen;
            t.text = std::string(1, c);
            ++i;
        } else if (std::isdigit(static_cast<unsigned char>(c)) || c == '.' ||
                   ((c == '-' || c == '+') && i + 1 < s.size() && (std::isdigit(static_cast<unsigned char>(s[i + 1])) || s[i + 1] == '.'))) {
            double v = 0;
            const char* b = s.data() + i + (c == '+');
            auto [end, ec] = std::from_chars(b, s.data() + s.size(), v);
            if (ec != std::errc()) return std::unexpected(ExprError{t.column, "not a number"});
            t.kind = Token::Kind::number;
            t.value = v;
            t.text = std::string(s.substr(i, std::size_t(end - (s.data() + i))));
            i = std::size_t(end - s.data());
            if (i < s.size() && is_name_start(s[i]))
                return std::unexpected(ExprError{i + 1, fmt::format("unexpected '{}' after the number {} (numbers have no units)", s[i], t.text)});
        } else if (is_name_start(c)) {
            std::size_t j = i;
            while (j < s.size() && is_name(s[j])) ++j;
            t.text = std::string(s.substr(i, j - i));
            i = j;
            if (t.text == "and" || t.text == "or" || t.text == "not") t.kind = Token::Kind::op;
            else t.kind = Token::Kind::name;
        } else {
            static const char* ops[] = {">=", "<=", "==", "!=", "&&", "||", ">", "<", "!"};
            bool found = false;
            for (const char* op : ops) {
                std::string_view o(op);
                if (s.substr(i, o.size()) == o) {
                    t.kind = Token::Kind::op;
                    t.text = o == "&&" ? "and" : o == "||" ? "or" : o == "!" ? "not" : std::string(o);
                    i += o.size();
                    found = true;
                    break;
                }
            }
            if (!found) {
                if (c == '=') return std::unexpected(ExprError{t.column, "'=' is not a comparison (use '==')"});
                return std::unexpected(ExprError{t.column, fmt::format("unexpected '{}'", c)});
            }
        }
        out.push_back(std::move(t));
    }
    Token end;
    end.column = s.size() + 1;
    out.push_back(end);
    return out;
}

class Parser {
  public:
    explicit Parser(std::vector<Token> t) : m_t(std::move(t)) {}

    std::expected<std::shared_ptr<const Expr>, ExprError> parse() {
        auto e = parse_or();
        if (!e) return e;
        if (peek().kind != Token::Kind::end) return err(peek(), fmt::format("unexpected '{}'", peek().text));
        return e;
    }

  private:
    using R = std::expected<std::shared_ptr<const Expr>, ExprError>;
    const Token& peek() const { return m_t[m_i]; }
    const Token& next() { return m_t[m_i++]; }
    bool is_op(const char* op) const { return peek().kind == Token::Kind::op && peek().text == op; }
    static R err(const Token& t, std::string m) { return std::unexpected(ExprError{t.column, std::move(m)}); }
    static std::shared_ptr<const Expr> node(Expr::Kind k, std::shared_ptr<const Expr> l, std::shared_ptr<const Expr> r) {
        auto e = std::make_shared<Expr>();
        e->kind = k;
        e->left = std::move(l);
        e->right = std::move(r);
        return e;
    }

    R parse_or() {
        auto l = parse_and();
        while (l && is_op("or")) {
            next();
            auto r = parse_and();
            if (!r) return r;
            l = node(Expr::Kind::or_, *l, *r);
        }
        return l;
    }
    R parse_and() {
        auto l = parse_not();
        while (l && is_op("and")) {
            next();
            auto r = parse_not();
            if (!r) return r;
            l = node(Expr::Kind::and_, *l, *r);
        }
        return l;
    }
    R parse_not() {
        if (is_op("not")) {
            next();
            auto e = parse_not();
            if (!e) return e;
            return node(Expr::Kind::not_, *e, nullptr);
        }
        return parse_comparison();
    }
    R parse_comparison() {
        if (peek().kind == Token::Kind::lparen) {
            const Token& open = next();
            auto e = parse_or();
            if (!e) return e;
            if (peek().kind != Token::Kind::rparen) return err(peek(), fmt::format("missing ')' for the '(' at column {}", open.column));
            next();
            return e;
        }
        auto l = parse_operand();
        if (!l) return l;
        static const std::set<std::string> cmp = {">", ">=", "<", "<=", "==", "!="};
        if (peek().kind != Token::Kind::op || !cmp.count(peek().text)) {
            if (peek().kind == Token::Kind::end) return err(peek(), "expected a comparison (>, >=, <, <=, ==, !=) at the end");
            return err(peek(), fmt::format("expected a comparison (>, >=, <, <=, ==, !=), not '{}'", peek().text));
        }
        std::string op = next().text;
        auto r = parse_operand();
        if (!r) return r;
        auto e = std::make_shared<Expr>();
        e->kind = Expr::Kind::compare;
        e->name = op;
        e->left = *l;
        e->right = *r;
        return std::shared_ptr<const Expr>(e);
    }
    R parse_operand() {
        const Token& t = peek();
        if (t.kind == Token::Kind::number) {
            next();
            auto e = std::make_shared<Expr>();
            e->value = t.value;
            return std::shared_ptr<const Expr>(e);
        }
        if (t.kind == Token::Kind::name) {
            if (!is_figure_name(t.text)) {
                auto hint = util::closest_match(t.text, figure_names());
                return err(t, fmt::format("unknown figure '{}'{}", t.text, hint.empty() ? "" : fmt::format(" (did you mean '{}'?)", hint)));
            }
            next();
            auto e = std::make_shared<Expr>();
            e->kind = Expr::Kind::figure;
            e->name = t.text;
            return std::shared_ptr<const Expr>(e);
        }
        if (t.kind == Token::Kind::end) return err(t, "expected a figure or a number at the end");
        return err(t, fmt::format("expected a figure or a number, not '{}'", t.text));
    }

    std::vector<Token> m_t;
    std::size_t m_i = 0;
};

std::optional<double> operand(const Expr& e, const std::map<std::string, double>& f) {
    if (e.kind == Expr::Kind::number) return e.value;
    auto it = f.find(e.name);
    if (it == f.end() || std::isnan(it->second)) return std::nullopt;
    return it->second;
}

void collect(const Expr& e, std::set<std::string>& out) {
    if (e.kind == Expr::Kind::figure) out.insert(e.name);
    if (e.left) collect(*e.left, out);
    if (e.right) collect(*e.right, out);
}

} // namespace

std::expected<std::shared_ptr<const Expr>, ExprError> parse_expr(std::string_view text) {
    auto tokens = tokenize(text);
    if (!tokens) return std::unexpected(tokens.error());
    if (tokens->size() == 1) return std::unexpected(ExprError{1, "empty expression"});
    return Parser(std::move(*tokens)).parse();
}

std::optional<bool> evaluate(const Expr& e, const std::map<std::string, double>& f) {
    switch (e.kind) {
    case Expr::Kind::compare: {
        auto a = operand(*e.left, f), b = operand(*e.right, f);
        if (!a || !b) return std::nullopt;
        const auto& op = e.name;
        if (op == ">") return *a > *b;
        if (op == ">=") return *a >= *b;
        if (op == "<") return *a < *b;
        if (op == "<=") return *a <= *b;
        if (op == "==") return *a == *b;
        return *a != *b;
    }
    case Expr::Kind::and_: {
        auto a = evaluate(*e.left, f), b = evaluate(*e.right, f);
        if ((a && !*a) || (b && !*b)) return false;
        if (!a || !b) return std::nullopt;
        return true;
    }
    case Expr::Kind::or_: {
        auto a = evaluate(*e.left, f), b = evaluate(*e.right, f);
        if ((a && *a) || (b && *b)) return true;
        if (!a || !b) return std::nullopt;
        return false;
    }
    case Expr::Kind::not_: {
        auto a = evaluate(*e.left, f);
        if (!a) return std::nullopt;
        return !*a;
    }
    default: return std::nullopt; // a bare operand is not a condition (the parser never makes one)
    }
}

std::vector<std::string> figures_used(const Expr& e) {
    std::set<std::string> s;
    collect(e, s);
    return {s.begin(), s.end()};
}

std::string Action::describe() const {
    switch (kind) {
    case Kind::print: return "print";
    case Kind::exit: return fmt::format("exit {}", code);
    case Kind::command: return "command " + target;
    case Kind::webhook: return "webhook " + target;
    }
    return "?";
}

std::size_t Rule::windows(double window_s) const {
    if (for_seconds > 0) return std::max<std::size_t>(1, std::size_t(std::ceil(for_seconds / window_s - 1e-9)));
    return for_windows;
}

namespace {

util::Error at(const std::string& file, const YAML::Node& n, const std::string& m, std::size_t extra_column = 0) {
    auto mark = n.Mark();
    return util::Error::usage(fmt::format("{}:{}:{}: {}", file, mark.line + 1, mark.column + 1 + extra_column, m));
}

util::Result<Action> parse_action(const YAML::Node& n, const std::string& file, const std::string& rule) {
    Action a;
    auto where = fmt::format("rule '{}': action", rule);
    if (n.IsScalar()) {
        if (n.Scalar() == "print") return a;
        if (n.Scalar() == "exit") {
            a.kind = Action::Kind::exit;
            a.code = 1;
            return a;
        }
        return util::fail(at(file, n, fmt::format("{} '{}': one of print, exit, {{exit: N}}, {{command: CMD}}, {{webhook: URL}}", where, n.Scalar())));
    }
    if (!n.IsMap() || n.size() != 1)
        return util::fail(at(file, n, fmt::format("{}: one of print, exit, {{exit: N}}, {{command: CMD}}, {{webhook: URL}}", where)));
    auto kv = *n.begin();
    auto key = kv.first.as<std::string>();
    const auto& v = kv.second;
    if (!v.IsScalar() || v.Scalar().empty()) return util::fail(at(file, v, fmt::format("{} {}: give a value", where, key)));
    if (key == "exit") {
        int code = 0;
        auto s = v.Scalar();
        auto [end, ec] = std::from_chars(s.data(), s.data() + s.size(), code);
        if (ec != std::errc() || end != s.data() + s.size() || code < 1 || code > 125)
            return util::fail(at(file, v, fmt::format("{} exit: '{}' is not an exit code from 1 to 125", where, s)));
        a.kind = Action::Kind::exit;
        a.code = code;
    } else if (key == "command") {
        a.kind = Action::Kind::command;
        a.target = v.Scalar();
    } else if (key == "webhook") {
        a.kind = Action::Kind::webhook;
        a.target = v.Scalar();
        if (!a.target.starts_with("http://") && !a.target.starts_with("https://"))
            return util::fail(at(file, v, fmt::format("{} webhook: '{}' is not an http:// or https:// URL", where, a.target)));
    } else {
        auto hint = util::closest_match(key, {"exit", "command", "webhook"});
        return util::fail(at(file, kv.first, fmt::format("{}: unknown action '{}'{}", where, key, hint.empty() ? "" : fmt::format(" (did you mean '{}'?)", hint))));
    }
    return a;
}

} // namespace

util::Result<RuleSet> parse_rules(const std::string& text, const std::string& file) {
    RuleSet set;
    set.file = file;
    YAML::Node root;
    try {
        root = YAML::Load(text);
    } catch (const YAML::Exception& e) {
        return util::fail(util::Error::usage(fmt::format("{}:{}:{}: {}", file, e.mark.line + 1, e.mark.column + 1, e.msg)));
    }
    YAML::Node list = root;
    if (root.IsMap()) {
        for (const auto& kv : root) {
            auto k = kv.first.as<std::string>();
            if (k != "rules" && k != "groups") return util::fail(at(file, kv.first, fmt::format("unknown key '{}' (a rules file has 'rules:')", k)));
        }
        list = root["rules"];
        if (!list) return util::fail(util::Error::usage(fmt::format("{}:1:1: no 'rules:' list", file)));
    }
    if (!list.IsSequence()) return util::fail(util::Error::usage(fmt::format("{}:1:1: a rules file is a list of rules (or has 'rules:' with one)", file)));
    std::set<std::string> names;
    static const std::vector<std::string> keys = {"name", "alert", "expr", "for", "severity", "summary", "description", "actions", "labels", "annotations"};
    for (const auto& def : list) {
        if (!def.IsMap()) return util::fail(at(file, def, "a rule is a mapping with name and expr"));
        Rule r;
        r.line = def.Mark().line + 1;
        for (const auto& kv : def) {
            auto k = kv.first.as<std::string>();
            if (std::find(keys.begin(), keys.end(), k) == keys.end()) {
                auto hint = util::closest_match(k, keys);
                return util::fail(at(file, kv.first, fmt::format("unknown rule key '{}'{}", k, hint.empty() ? "" : fmt::format(" (did you mean '{}'?)", hint))));
            }
        }
        auto name = def["name"] ? def["name"] : def["alert"];
        if (!name || !name.IsScalar() || name.Scalar().empty()) return util::fail(at(file, def, "a rule needs a name"));
        r.name = name.Scalar();
        if (!names.insert(r.name).second) return util::fail(at(file, name, fmt::format("a second rule named '{}'", r.name)));
        auto expr = def["expr"];
        if (!expr || !expr.IsScalar()) return util::fail(at(file, def, fmt::format("rule '{}' has no expr", r.name)));
        r.expr_text = expr.Scalar();
        auto parsed = parse_expr(r.expr_text);
        if (!parsed) {
            // Plain scalars start at their mark; quoted ones one character later.
            std::size_t quote = expr.Tag() == "!" ? 1 : 0;
            bool one_line = r.expr_text.find('\n') == std::string::npos;
            return util::fail(at(file, expr, fmt::format("rule '{}': expr: {}{}", r.name, parsed.error().message,
                                                       one_line ? "" : fmt::format(" (column {} of the expression)", parsed.error().column)),
                                 one_line ? quote + parsed.error().column - 1 : 0));
        }
        r.expr = *parsed;
        if (auto f = def["for"]) {
            if (!f.IsScalar()) return util::fail(at(file, f, fmt::format("rule '{}': for: a number of windows or a duration", r.name)));
            auto s = f.Scalar();
            std::size_t n = 0;
            auto [end, ec] = std::from_chars(s.data(), s.data() + s.size(), n);
            if (ec == std::errc() && end == s.data() + s.size()) {
                if (n < 1) return util::fail(at(file, f, fmt::format("rule '{}': for: at least 1 window", r.name)));
                r.for_windows = n;
            } else {
                auto d = parse_duration(s, "for");
                if (!d) return util::fail(at(file, f, fmt::format("rule '{}': {}", r.name, d.error().message)));
                r.for_seconds = *d;
            }
        }
        if (auto s = def["severity"]) {
            if (!s.IsScalar()) return util::fail(at(file, s, fmt::format("rule '{}': severity is a word", r.name)));
            r.severity = s.Scalar();
        }
        if (auto s = def["summary"] ? def["summary"] : def["description"]) {
            if (!s.IsScalar()) return util::fail(at(file, s, fmt::format("rule '{}': summary is text", r.name)));
            r.summary = s.Scalar();
        }
        if (auto acts = def["actions"]) {
            if (acts.IsScalar() || acts.IsMap()) {
                r.actions.push_back(MLOPS_TRY(parse_action(acts, file, r.name)));
            } else if (acts.IsSequence()) {
                for (const auto& a : acts) r.actions.push_back(MLOPS_TRY(parse_action(a, file, r.name)));
            } else {
                return util::fail(at(file, acts, fmt::format("rule '{}': actions is a list", r.name)));
            }
        }
        if (r.actions.empty()) r.actions.push_back(Action{});
        set.rules.push_back(std::move(r));
    }
    return set;
}

nlohmann::json Event::to_json() const {
    nlohmann::json v = nlohmann::json::object();
    for (const auto& [k, x] : values) v[k] = std::isnan(x) ? nlohmann::json() : nlohmann::json(x);
    return {{"rule", rule}, {"state", state}, {"severity", severity}, {"summary", summary}, {"expr", expr},
            {"window", {{"start", format_time(window_start)}, {"end", format_time(window_end)}}},
            {"since", format_time(since)}, {"values", v}};
}

util::Result<Event> Event::from_json(const nlohmann::json& j) {
    try {
        Event e;
        e.rule = j.at("rule").get<std::string>();
        e.state = j.at("state").get<std::string>();
        e.severity = j.at("severity").get<std::string>();
        e.summary = j.at("summary").get<std::string>();
        e.expr = j.at("expr").get<std::string>();
        auto t = [](const nlohmann::json& v) -> double {
            auto r = parse_time(v.get<std::string>());
            if (!r) throw std::runtime_error("bad time");
            return *r;
        };
        e.window_start = t(j.at("window").at("start"));
        e.window_end = t(j.at("window").at("end"));
        e.since = t(j.at("since"));
        for (const auto& item : j.at("values").items())
            e.values[item.key()] = item.value().is_null() ? std::nan("") : item.value().get<double>();
        if (auto u = j.find("undelivered"); u != j.end()) e.undelivered = u->get<std::vector<std::size_t>>();
        return e;
    } catch (const std::exception& ex) {
        return util::fail(util::Error::usage(fmt::format("not an alert event ({})", ex.what())));
    }
}

nlohmann::json state_json(const AlertState& s) {
    nlohmann::json rules = nlohmann::json::object();
    for (const auto& [name, r] : s.rules)
        rules[name] = {{"state", r.state}, {"count", r.count}, {"since", r.count ? nlohmann::json(format_time(r.since)) : nlohmann::json()},
                       {"expr", r.expr}};
    nlohmann::json pending = nlohmann::json::array();
    for (const auto& e : s.pending) {
        auto j = e.to_json();
        j["undelivered"] = e.undelivered;
        pending.push_back(j);
    }
    return {{"version", 1}, {"judged_until", s.any ? nlohmann::json(format_time(s.judged_until)) : nlohmann::json()},
            {"rules", rules}, {"pending", pending}};
}

util::Result<AlertState> parse_state(const std::string& text, const std::string& file) {
    auto bad = [&](const std::string& why) {
        return util::fail(util::Error::usage(fmt::format("{}: not an alert state file ({}); remove it to start again", file, why)));
    };
    auto j = nlohmann::json::parse(text, nullptr, false);
    if (j.is_discarded() || !j.is_object()) return bad("not JSON");
    if (j.value("version", 0) != 1) return bad("unknown version");
    AlertState s;
    try {
        if (!j.at("judged_until").is_null()) {
            auto t = parse_time(j.at("judged_until").get<std::string>());
            if (!t) return bad("judged_until is not a time");
            s.judged_until = *t;
            s.any = true;
        }
        for (const auto& item : j.at("rules").items()) {
            RuleState r;
            const auto& v = item.value();
            r.state = v.at("state").get<std::string>();
            r.count = v.at("count").get<std::size_t>();
            if (!v.at("since").is_null()) {
                auto t = parse_time(v.at("since").get<std::string>());
                if (!t) return bad("since is not a time");
                r.since = *t;
            }
            r.expr = v.at("expr").get<std::string>();
            if (r.state != "inactive" && r.state != "pending" && r.state != "firing") return bad("unknown rule state " + r.state);
            s.rules[item.key()] = r;
        }
        for (const auto& p : j.at("pending")) {
            auto e = Event::from_json(p);
            if (!e) return bad(e.error().message);
            s.pending.push_back(std::move(*e));
        }
    } catch (const std::exception& ex) {
        return bad(ex.what());
    }
    return s;
}

namespace {

Event make_event(const Rule& r, const RuleState& st, const std::string& state, double start, double end,
                 const std::map<std::string, double>& figures) {
    Event e;
    e.rule = r.name;
    e.state = state;
    e.severity = r.severity;
    e.summary = r.summary;
    e.expr = r.expr_text;
    e.window_start = start;
    e.window_end = end;
    e.since = st.since;
    for (const auto& name : figures_used(*r.expr)) {
        auto it = figures.find(name);
        e.values[name] = it == figures.end() ? std::nan("") : it->second;
    }
    for (std::size_t i = 0; i < r.actions.size(); ++i)
        if (r.actions[i].kind == Action::Kind::command || r.actions[i].kind == Action::Kind::webhook) e.undelivered.push_back(i);
    return e;
}

void step(const Rule& r, RuleState& st, double start, double end, const std::map<std::string, double>& figures,
          double window_s, std::vector<Event>& events) {
    auto holds = evaluate(*r.expr, figures);
    if (holds && *holds) {
        if (st.count == 0) st.since = start;
        ++st.count;
        if (st.count >= r.windows(window_s)) {
            if (st.state != "firing") {
                st.state = "firing";
                events.push_back(make_event(r, st, "firing", start, end, figures));
            }
        } else {
            st.state = "pending";
        }
    } else {
        if (st.state == "firing") events.push_back(make_event(r, st, "resolved", start, end, figures));
        st.state = "inactive";
        st.count = 0;
    }
}

} // namespace

std::vector<Event> judge(const RuleSet& rules, AlertState& state, const std::vector<Window>& windows, double window_s) {
    std::vector<Event> events;
    // Rules that are new or whose expression changed start again; rules that are gone are dropped.
    std::map<std::string, RuleState> kept;
    for (const auto& r : rules.rules) {
        auto it = state.rules.find(r.name);
        RuleState st;
        if (it != state.rules.end() && it->second.expr == r.expr_text) st = it->second;
        st.expr = r.expr_text;
        kept[r.name] = st;
    }
    state.rules = std::move(kept);
    static const std::map<std::string, double> no_data;
    for (const auto& w : windows) {
        if (w.open) break; // windows come in time order; an open one is the last
        if (state.any && w.end <= state.judged_until) continue;
        if (state.any && w.start > state.judged_until) {
            // At least one window without records in between: judged as a window without data.
            for (const auto& r : rules.rules)
                step(r, state.rules[r.name], state.judged_until, state.judged_until + window_s, no_data, window_s, events);
        }
        for (const auto& r : rules.rules) step(r, state.rules[r.name], w.start, w.end, w.figures, window_s, events);
        state.judged_until = w.end;
        state.any = true;
    }
    return events;
}

} // namespace mlops::monitor
