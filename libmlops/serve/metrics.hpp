// The Prometheus metrics of `mlops serve` (GET /metrics, text exposition format 0.0.4): requests by
// path and status code, a latency histogram per path, requests in flight, rows predicted, model
// reloads and the served model as an info gauge. Updated from every worker thread: atomics for the
// hot counters, a mutex only for the (path, code) table.
#pragma once

#include <array>
#include <atomic>
#include <cstdint>
#include <map>
#include <mutex>
#include <string>
#include <string_view>

namespace mlops::serve {

class Metrics {
  public:
    // The paths that get their own label; everything else is "other".
    static constexpr std::array<std::string_view, 6> k_paths{"/invocations", "/ping", "/health", "/version", "/metrics", "other"};
    // Upper bounds of the latency buckets, in seconds (+Inf is implied).
    static constexpr std::array<double, 14> k_buckets{0.0005, 0.001, 0.0025, 0.005, 0.01, 0.025, 0.05,
                                                      0.1,    0.25,  0.5,    1.0,   2.5,  5.0,  10.0};

    void started() { m_in_flight.fetch_add(1, std::memory_order_relaxed); }
    // A request that was started() has been answered.
    void finished(std::string_view path, int status, double seconds);
    // A request answered by the HTTP layer before any handler (413, 408...): counted, no latency.
    void rejected_early(std::string_view path, int status);
    void predicted(std::uint64_t rows) { m_rows.fetch_add(rows, std::memory_order_relaxed); }
    void reload(bool ok) { (ok ? m_reloads_ok : m_reloads_failed).fetch_add(1, std::memory_order_relaxed); }
    void log_error() { m_log_errors.fetch_add(1, std::memory_order_relaxed); }
    // The served model (null version: a plain folder).
    void set_model(const std::string& name, int version, const std::string& oid);
    std::int64_t in_flight() const { return m_in_flight.load(); }

    std::string render() const;

  private:
    static std::size_t path_index(std::string_view path);
    struct Histogram {
        std::array<std::atomic<std::uint64_t>, k_buckets.size() + 1> counts{}; // not cumulative; last: +Inf
        std::atomic<std::uint64_t> sum_ns{0};
    };
    std::array<Histogram, k_paths.size()> m_latency;
    std::atomic<std::int64_t> m_in_flight{0};
    std::atomic<std::uint64_t> m_rows{0}, m_reloads_ok{0}, m_reloads_failed{0}, m_log_errors{0};
    mutable std::mutex m_mutex;
    std::map<std::pair<std::size_t, int>, std::uint64_t> m_requests; // (path index, code) -> count
    std::string m_model_name, m_model_oid;
    int m_model_version = 0;
};

// A Prometheus label value: backslash, quote and newline escaped.
std::string label_value(std::string_view v);

} // namespace mlops::serve
