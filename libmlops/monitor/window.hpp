// Windows over a prediction log: records go into fixed windows aligned to the epoch (a 1h window
// starts on the hour, UTC); each window keeps only what its figures need (counts, latencies, the
// outputs, a column profile of the inputs) and, when finished, yields its figures by name, the
// names alert rules use (docs/monitoring.md lists them):
//   requests rows errors error_rate server_errors server_error_rate invalid_inputs
//   latency_mean_ms latency_p50_ms latency_p90_ms latency_p95_ms latency_p99_ms latency_max_ms
//   prediction_mean prediction_std prediction_min prediction_max prediction_share.<class>
//   prediction_drift prediction_drift_score drift_share drifted_columns dataset_drift
//   labelled_rows accuracy mae rmse
// A figure that cannot be computed for a window (no latencies, no reference, too few rows) is
// absent from it; a rule that reads it is then false.
#pragma once

#include <map>
#include <memory>
#include <optional>
#include <string>
#include <vector>

#include <nlohmann/json.hpp>

#include <mlops/drift/analysis.hpp>
#include <mlops/drift/profile.hpp>
#include <mlops/monitor/log.hpp>

namespace mlops::monitor {

// Every fixed figure name, in the order reports list them.
const std::vector<std::string>& figure_names();
// True for a fixed name or "prediction_share.<class>".
bool is_figure_name(std::string_view name);

struct WindowOptions {
    double window_s = 3600;
    // Input drift: the reference's feature columns (nullptr: no drift figures).
    const drift::DatasetProfile* reference = nullptr;
    // Prediction drift: the reference column the outputs are compared with (nullptr: none).
    const drift::ColumnProfile* reference_predictions = nullptr;
    drift::Options drift;               // tests, thresholds, drift share (multivariate is not used)
    std::size_t min_drift_rows = 100;   // fewer rows in a window: no drift figures for it
    // An input column that holds the label (serve logs the target column when a client sends it):
    // used for accuracy when a record has no `label`, and left out of input drift.
    std::string target;
};

struct Window {
    double start = 0, end = 0;
    bool open = false;                      // end is after `now`: still filling, not judged
    std::map<std::string, double> figures;
    nlohmann::json detail = nlohmann::json::object(); // prediction counts, drift per column, notes
};

class WindowSet {
  public:
    explicit WindowSet(WindowOptions opts);
    ~WindowSet();
    WindowSet(const WindowSet&) = delete;
    WindowSet& operator=(const WindowSet&) = delete;

    void add(const LogRecord& r);
    std::size_t records() const { return m_records; }
    // Input columns seen in the log that the reference does not have (sorted).
    std::vector<std::string> unknown_columns() const;
    // Every window that has records, in time order, with its figures; windows whose end is after
    // `now` are marked open.
    util::Result<std::vector<Window>> finish(double now);

  private:
    struct Acc;
    WindowOptions m_opts;
    std::map<std::int64_t, std::unique_ptr<Acc>> m_windows; // by window index (start / window_s)
    std::map<std::string, std::size_t> m_unknown;
    std::size_t m_records = 0;
};

// numpy's default percentile (linear interpolation between closest ranks) of sorted values.
double percentile(const std::vector<double>& sorted, double q);

} // namespace mlops::monitor
