// The prediction log of `mlops serve --log FILE`: one JSON object per line, appended, the format
// `mlops monitor` reads (docs/serving.md, "Prediction log"):
//   {"timestamp":"2026-11-29T10:00:00.123Z","model":"churn","version":3,"oid":"...",
//    "inputs":{"age":41,"plan":"pro"},"output":"yes","latency_ms":1.25,"status":200}
// Rejected requests carry "error" instead of "output" (and no "inputs" when they could not be
// read). The file rotates by size (FILE -> FILE.1 -> FILE.2 ...), and a sampling rate keeps a
// fraction of the requests. Each line is one write(2) to an O_APPEND file under a mutex, so
// lines from concurrent requests never interleave.
#pragma once

#include <chrono>
#include <cstdint>
#include <memory>
#include <mutex>
#include <optional>
#include <string>

#include <nlohmann/json.hpp>

#include <mlops/util/error.hpp>

namespace mlops::serve {

struct LogOptions {
    std::string path;
    std::uint64_t max_bytes = 100u << 20; // rotate before a line would make the file larger
    int keep = 5;                         // rotated files kept (FILE.1 .. FILE.keep)
    double sample = 1.0;                  // fraction of requests logged
};

// What one request leaves in the log.
struct LogEntry {
    std::chrono::system_clock::time_point time;
    std::string model;          // "" for a plain folder: null
    int version = 0;            // 0 for a plain folder: null
    std::string oid;
    nlohmann::json inputs;      // an object (one row) or an array of objects; null: omitted
    std::optional<nlohmann::json> output; // absent for rejected requests
    double latency_ms = 0;
    int status = 200;
    std::string error;          // rejected requests
};

// "2026-11-29T10:00:00.123Z"
std::string rfc3339_ms(std::chrono::system_clock::time_point t);
// The line (without its newline) for an entry.
std::string log_line(const LogEntry& e);

class PredictionLog {
  public:
    static util::Result<std::unique_ptr<PredictionLog>> open(const LogOptions& opts);
    ~PredictionLog();
    // True for the requests to log (each with probability `sample`).
    bool sampled() const;
    // Appends one line (rotating first when it would pass max_bytes). Thread-safe.
    util::Status write(const LogEntry& e);

  private:
    explicit PredictionLog(LogOptions o) : m_opts(std::move(o)) {}
    util::Status open_file();
    util::Status rotate();
    LogOptions m_opts;
    std::mutex m_mutex;
    int m_fd = -1;
    std::uint64_t m_size = 0;
};

} // namespace mlops::serve
