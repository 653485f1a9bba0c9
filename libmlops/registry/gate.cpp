#include <mlops/registry/gate.hpp>

#include <cctype>
#include <charconv>
#include <cmath>

#include <fmt/format.h>

namespace mlops::registry {

using util::Error;
using util::fail;

namespace {

struct Cursor {
    const std::string& text;
    std::size_t pos = 0;
    void skip_space() {
        while (pos < text.size() && std::isspace(static_cast<unsigned char>(text[pos]))) ++pos;
    }
    bool eat(std::string_view s) {
        if (text.compare(pos, s.size(), s) != 0) return false;
        pos += s.size();
        return true;
    }
    std::unexpected<Error> error(const std::string& what) const {
        return fail(Error::usage(fmt::format("gate '{}': {} at column {}", text, what, pos + 1)));
    }
};

bool metric_char(char c) { return std::isalnum(static_cast<unsigned char>(c)) || c == '_' || c == '.' || c == '-' || c == '/' || c == ':'; }

util::Result<double> number(Cursor& c) {
    c.skip_space();
    double v = 0;
    const char* begin = c.text.data() + c.pos;
    const char* end = c.text.data() + c.text.size();
    if (begin < end && *begin == '+') ++begin; // from_chars does not take a leading '+'
    auto [ptr, ec] = std::from_chars(begin, end, v);
    if (ec != std::errc() || !std::isfinite(v)) return c.error("expected a number");
    c.pos = std::size_t(ptr - c.text.data());
    return v;
}

bool compare(double a, GateOp op, double b) {
    switch (op) {
    case GateOp::ge: return a >= b;
    case GateOp::gt: return a > b;
    case GateOp::le: return a <= b;
    case GateOp::lt: return a < b;
    case GateOp::eq: return a == b;
    case GateOp::ne: return a != b;
    }
    return false;
}

std::string metric_names(const nlohmann::json& metrics) {
    std::string out;
    for (const auto& [k, v] : metrics.items()) out += (out.empty() ? "" : ", ") + k;
    return out.empty() ? "none" : out;
}

} // namespace

const char* op_text(GateOp op) {
    switch (op) {
    case GateOp::ge: return ">=";
    case GateOp::gt: return ">";
    case GateOp::le: return "<=";
    case GateOp::lt: return "<";
    case GateOp::eq: return "==";
    case GateOp::ne: return "!=";
    }
    return "?";
}

util::Result<Gate> parse_gate(const std::string& text) {
    Gate g;
    g.text = text;
    Cursor c{text};
    c.skip_space();
    std::size_t start = c.pos;
    while (c.pos < text.size() && metric_char(text[c.pos])) ++c.pos;
    if (c.pos == start) return c.error("expected a metric name");
    g.metric = text.substr(start, c.pos - start);
    c.skip_space();
    static constexpr std::pair<std::string_view, GateOp> k_ops[] = {
        {">=", GateOp::ge}, {"<=", GateOp::le}, {"==", GateOp::eq}, {"!=", GateOp::ne}, {">", GateOp::gt}, {"<", GateOp::lt}};
    bool found = false;
    for (auto [s, op] : k_ops)
        if (c.eat(s)) {
            g.op = op;
            found = true;
            break;
        }
    if (!found) return c.error("expected one of >=, >, <=, <, ==, !=");
    c.skip_space();
    if (c.eat("current")) {
        g.relative = true;
        c.skip_space();
        if (c.pos < text.size()) {
            char sign = text[c.pos];
            if (sign != '+' && sign != '-') return c.error("expected '+' or '-' after 'current'");
            ++c.pos;
            auto v = MLOPS_TRY(number(c));
            g.value = sign == '-' ? -v : v;
        }
    } else {
        g.value = MLOPS_TRY(number(c));
    }
    c.skip_space();
    if (c.pos != text.size()) return c.error("unexpected text");
    return g;
}

std::optional<std::string> find_metric(const nlohmann::json& metrics, const std::string& name) {
    if (!metrics.is_object()) return std::nullopt;
    auto numeric = [&](const std::string& k) { return metrics.contains(k) && metrics[k].is_number(); };
    if (numeric(name)) return name;
    for (const char* split : {"test.", "val.", "train."})
        if (numeric(split + name)) return split + name;
    return std::nullopt;
}

util::Result<GateResult> evaluate_gate(const Gate& g, const nlohmann::json& candidate, const std::string& candidate_label,
                                       const std::optional<nlohmann::json>& current, const std::string& current_label) {
    GateResult r;
    r.gate = g.text;
    auto key = find_metric(candidate, g.metric);
    if (!key)
        return fail(Error::usage(fmt::format("gate '{}': {} has no metric '{}' (it has: {})", g.text, candidate_label, g.metric,
                                             metric_names(candidate))));
    r.metric = *key;
    r.value = candidate[*key].get<double>();
    if (!g.relative) {
        r.threshold = g.value;
        r.ok = compare(r.value, g.op, r.threshold);
        return r;
    }
    if (!current) {
        r.ok = true;
        r.note = "no version holds the alias yet";
        return r;
    }
    auto ckey = find_metric(*current, g.metric);
    if (!ckey) {
        r.ok = false;
        r.note = fmt::format("{} has no metric '{}' to compare with", current_label, g.metric);
        return r;
    }
    r.current = (*current)[*ckey].get<double>();
    r.threshold = *r.current + g.value;
    r.ok = compare(r.value, g.op, r.threshold);
    return r;
}

nlohmann::json gate_result_json(const GateResult& r) {
    return {{"gate", r.gate},
            {"metric", r.metric},
            {"value", r.value},
            {"current", r.current ? nlohmann::json(*r.current) : nlohmann::json(nullptr)},
            {"threshold", r.note.empty() || r.current ? nlohmann::json(r.threshold) : nlohmann::json(nullptr)},
            {"ok", r.ok},
            {"note", r.note}};
}

} // namespace mlops::registry
