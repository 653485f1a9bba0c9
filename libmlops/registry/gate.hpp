// Promotion gates: `accuracy>=0.95`, `f1>=current`, `loss<current-0.01`. A gate compares one metric
// of the candidate version with a number or with the same metric of the version that holds the
// alias now ("current", optionally plus or minus a margin).
#pragma once

#include <optional>
#include <string>

#include <nlohmann/json.hpp>

#include <mlops/util/error.hpp>

namespace mlops::registry {

enum class GateOp { ge, gt, le, lt, eq, ne };

struct Gate {
    std::string text;   // as the user wrote it
    std::string metric; // name as written ("accuracy", "test.f1")
    GateOp op = GateOp::ge;
    bool relative = false; // right-hand side is "current" (+ offset)
    double value = 0;      // the threshold, or the offset from current
};

// Parses one gate; a malformed one is a usage error that points at the column where it went wrong.
util::Result<Gate> parse_gate(const std::string& text);

const char* op_text(GateOp op);

// A version's metrics are a flat JSON object {"accuracy": 0.97, "test.f1": 0.95, ...}. A gate's
// name matches a key exactly; otherwise the first of "test.NAME", "val.NAME", "train.NAME" that
// exists (a bundle's own metrics are recorded per split). Returns the key used.
std::optional<std::string> find_metric(const nlohmann::json& metrics, const std::string& name);

struct GateResult {
    std::string gate;
    std::string metric;     // the key that was used
    double value = 0;       // the candidate's value
    std::optional<double> current; // the holder's value (relative gates)
    double threshold = 0;   // what the value was compared with
    bool ok = false;
    std::string note;       // why, when it is not a plain comparison
};

// Evaluates a gate. `current` is the holder's metrics (nullopt when nobody holds the alias: a
// relative gate then passes, with a note). A candidate without the metric is a usage error naming
// the metrics it has; a holder without it fails the gate with a note.
util::Result<GateResult> evaluate_gate(const Gate& g, const nlohmann::json& candidate, const std::string& candidate_label,
                                       const std::optional<nlohmann::json>& current, const std::string& current_label);

nlohmann::json gate_result_json(const GateResult& r);

} // namespace mlops::registry
