// Continuous training: the pipeline file's `triggers:` (docs/monitoring.md), judged by `mlops watch`.
//   triggers:
//     - name: new-data
//       on: data_change            # a dependency of the stages changed since mlops.lock
//       paths: [data/raw.csv]      # optional: only these (default: the deps no stage makes)
//       run: [train, evaluate]
//       promote: {model: weather, path: models/model, alias: production, gates: ["accuracy >= current"]}
//     - name: drifted
//       on: drift                  # drift between two data sets (paths, PATH@REV)
//       reference: data/train.csv
//       current: data/live.csv
//       drift_share: 0.5
//       run: [train]
//     - name: nightly
//       on: schedule
//       every: 24h
//       run: [train]
// Every firing is appended to `.mlops/watch/history.jsonl` with its reason, the stages it ran (and
// their run ids) and the promotion, and that history decides what has already fired: a drift
// trigger fires once per pair of data contents, a schedule once per interval.
#pragma once

#include <optional>
#include <string>
#include <vector>

#include <nlohmann/json.hpp>

#include <mlops/pipeline/runner.hpp>
#include <mlops/util/error.hpp>
#include <mlops/workspace/repository.hpp>

namespace mlops::monitor {

struct Promotion {
    std::string model, path, alias;
    std::vector<std::string> gates;
};

struct Trigger {
    std::string name;
    std::string on; // data_change, drift, schedule
    std::vector<std::string> stages;
    std::vector<std::string> paths;      // data_change (repository-relative)
    std::string reference, current;      // drift
    double drift_share = 0.5;            // drift
    double every_s = 0;                  // schedule
    std::optional<Promotion> promote;
    std::string where;                   // "mlops.yaml:12:5"
};

// The `triggers:` of a pipeline file (none when it has no such key); `pipeline` names the stages
// a trigger may run. Errors name the file, line and column.
util::Result<std::vector<Trigger>> parse_triggers(const std::string& text, const std::string& file, const pipeline::Pipeline& pipeline);

// One past firing, as the history file keeps it.
struct Firing {
    std::string trigger, on, reason, fingerprint;
    double time = 0;
    nlohmann::json detail; // the whole line
};
util::Result<std::vector<Firing>> read_history(const std::string& abs_path);
// Appends one line (fsynced) to the history.
util::Status append_history(const std::string& abs_path, const nlohmann::json& line);

// Whether a trigger fires now, and why.
struct Check {
    bool fired = false;
    std::string reason;      // "data/raw.csv changed", "drift share 0.75 >= 0.5", "every 1h; last 2h ago"
    std::string fingerprint; // what it fired on (data oids); a drift trigger does not fire twice on one
    nlohmann::json detail = nlohmann::json::object();
};
// `last` is this trigger's latest firing (nullptr: never fired); `now` in seconds since the epoch.
util::Result<Check> check(workspace::Repository& repo, const pipeline::Loaded& loaded, const Trigger& t,
                          const Firing* last, double now);

// The promotion after a successful run: registers the model at `path` (or reuses the version that
// has its oid), checks the gates against the alias's holder, and moves the alias when they pass.
struct PromotionResult {
    int version = 0;
    bool registered = false; // a new version was registered
    bool moved = false;
    bool refused = false;    // a gate failed
    nlohmann::json gates = nlohmann::json::array();
    std::string message;
};
util::Result<PromotionResult> promote(workspace::Repository& repo, const Promotion& p);

} // namespace mlops::monitor
