// Prediction logs: one JSON object per line, as `mlops serve` writes them (docs/monitoring.md):
//   {"timestamp": "2026-11-29T10:00:00.123Z", "model": "churn", "version": 3, "oid": "...",
//    "inputs": {"age": 41, "plan": "pro"}, "output": "yes", "latency_ms": 1.25, "status": 200}
// `inputs` may be an array of rows and `output` an array of the same length (a batch request);
// `label` (or `labels` for a batch) carries the ground truth when it is known. A line that is not
// such an object is reported with the reason, never thrown.
#pragma once

#include <cstdint>
#include <optional>
#include <string>
#include <string_view>
#include <vector>

#include <nlohmann/json.hpp>

#include <mlops/util/error.hpp>

namespace mlops::monitor {

struct LogRecord {
    double time = 0;               // seconds since the epoch (UTC)
    int status = 200;              // HTTP status; "ok"/"error" read as 200/500
    std::optional<double> latency_ms;
    std::vector<nlohmann::json> inputs;  // one object per row (may be empty for rejected requests)
    std::vector<nlohmann::json> outputs; // one per row, or empty
    std::vector<nlohmann::json> labels;  // one per row, or empty
    std::string model;             // "" when not logged
    int version = 0;               // 0 when not logged
};

// An RFC 3339 / ISO 8601 time ("2026-11-29T10:00:00.123Z", "+01:00" offsets, a space instead of
// the 'T', no zone = UTC) as seconds since the epoch; nullopt when it is not one.
std::optional<double> parse_time(std::string_view text);
// Seconds since the epoch as "2026-11-29T10:00:00Z" (milliseconds when not whole).
std::string format_time(double t);
// "30s", "5m", "1h", "1d", "1h30m", "90" (seconds) -> seconds; errors name `what`.
util::Result<double> parse_duration(std::string_view text, const std::string& what);
// Seconds as the shortest of "90s", "5m", "1h", "1d", "1h30m".
std::string format_duration(double seconds);

// A folder of this machine's monitoring state under .mlops/ (alert state, watch history): created
// with a .gitignore that ignores everything in it, so `git status` stays clean in any repository.
util::Status make_local_dir(const std::string& dir);

// One line of a log; the error is the reason it was skipped ("not JSON", "no timestamp", ...).
util::Result<LogRecord> parse_record(std::string_view line);

} // namespace mlops::monitor
