// Accuracy drift: a model's quality on the reference vs on the current data, from a prediction
// column next to the labels (or from a model's outputs, which the CLI computes), flagged when it
// got worse by more than a threshold.
#pragma once

#include <cstddef>
#include <string>

#include <mlops/drift/profile.hpp>
#include <mlops/drift/report.hpp>
#include <mlops/ml/csv.hpp>

namespace mlops::drift {

// Default tolerated worsening: accuracy down by 0.05 (absolute); RMSE up by 10% of the reference's.
constexpr double k_accuracy_drop = 0.05;
constexpr double k_rmse_increase = 0.10;

// Prediction against label, row by row over the chunks of one file; rows where either is missing
// are skipped. Keeps both figures (share of equal values, squared and absolute errors) so that the
// task can be decided at the end.
class PerformanceTracker {
  public:
    void add(const ml::Frame& chunk, const std::string& prediction, const std::string& target);
    std::size_t rows() const { return m_rows; }
    double accuracy() const { return m_rows ? double(m_equal) / double(m_rows) : 0.0; }
    double rmse() const;
    double mae() const;
    bool numeric() const { return m_numeric; }

  private:
    std::size_t m_rows = 0, m_equal = 0;
    double m_sq = 0.0, m_abs = 0.0;
    bool m_numeric = true;
};

// Classification when the target is text, or numeric with integer values only and at most 20 of
// them (in the reference); regression otherwise.
bool looks_like_classes(const ColumnProfile& target);

// The comparison: `threshold` < 0 means the default for the metric.
PerformanceResult compare_performance(const std::string& task, const std::string& source, double reference,
                                      double current, double threshold);
PerformanceResult compare_columns(const PerformanceTracker& ref, const PerformanceTracker& cur, bool classification,
                                  const std::string& source, double threshold);

} // namespace mlops::drift
