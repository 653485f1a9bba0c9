// A drift report: what `mlops drift` found, and its renderings as JSON (docs/json.md) and as a
// Markdown summary for CI comments. The HTML page is in html.hpp. Every rendering is deterministic:
// the same inputs give the same bytes.
#pragma once

#include <cstddef>
#include <optional>
#include <string>
#include <vector>

#include <nlohmann/json.hpp>

namespace mlops::drift {

// Overlaid distributions for the report's charts: numeric columns as equal-width bins over the
// range of both files (or one bar per value when there are at most 20), categorical ones as bars of
// the most frequent categories. Counts of non-missing values.
struct Histogram {
    bool bins = false;              // true: edges has labels.size() + 1 entries
    std::vector<double> edges;      // bins only
    std::vector<std::string> labels;
    std::vector<double> reference, current;
};

enum class Role { feature, target, prediction };
const char* to_string(Role r);

struct ColumnResult {
    std::string name;
    std::string type;   // numeric, categorical, empty
    Role role = Role::feature;
    std::string method; // "ks", ..., or "none" when no test could run
    bool p_value_test = false;
    double score = 0.0;     // p-value or distance (NaN when no test ran)
    double statistic = 0.0; // p-value tests: the test statistic
    double threshold = 0.0;
    bool drifted = false;
    double severity = 0.0;  // what the table is sorted by (see docs/drift.md)
    std::size_t reference_rows = 0, current_rows = 0;
    std::size_t reference_missing = 0, current_missing = 0;
    std::size_t reference_unique = 0, current_unique = 0;
    std::string note;       // constant column, no values, ...
    Histogram histogram;
};

struct Chunk {
    std::size_t first_row = 0, rows = 0;
    double error = 0.0;
    bool alert = false;
};

struct MultivariateResult {
    bool computed = false;
    std::string note; // why not computed
    std::vector<std::string> columns;
    std::size_t components = 0;
    double variance_explained = 0.0;
    double variance_target = 0.65;
    std::size_t chunk_rows = 0;
    double reference_mean = 0.0, reference_std = 0.0, lower = 0.0, upper = 0.0;
    double current_error = 0.0; // over all current rows
    std::vector<Chunk> reference_chunks, current_chunks;
    std::size_t alerts = 0;
    bool drifted = false;
};

struct PerformanceResult {
    std::string task;   // classification or regression
    std::string metric; // accuracy or rmse
    bool higher_is_better = true;
    std::string source; // "model PATH" or "column NAME"
    double reference = 0.0, current = 0.0, change = 0.0; // change: current - reference
    double threshold = 0.0; // largest tolerated worsening
    std::size_t reference_rows = 0, current_rows = 0;
    nlohmann::json reference_metrics, current_metrics;
    bool drifted = false;
};

struct Report {
    std::string reference, current; // labels as the user gave them
    std::size_t reference_rows = 0, current_rows = 0;
    std::vector<ColumnResult> columns; // sorted: drifted first, then by severity, then by name
    std::size_t drifted_columns = 0;
    double drift_share = 0.0;
    double drift_share_threshold = 0.5;
    bool dataset_drift = false;
    MultivariateResult multivariate;
    std::optional<std::string> prediction_column; // its ColumnResult is in columns
    std::optional<PerformanceResult> performance;
    std::vector<std::string> warnings;
    bool drift_detected = false; // dataset, multivariate, prediction or performance drift

    const ColumnResult* column(std::string_view name) const;
};

// Sorts the columns and fills the summary figures from them.
void finish(Report& r);

nlohmann::json to_json(const Report& r);
std::string to_markdown(const Report& r);
// A number as the report prints it: 4 significant digits, scientific when tiny; "-" for NaN.
std::string format_number(double v);

} // namespace mlops::drift
