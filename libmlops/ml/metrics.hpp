// Evaluation metrics, computed from the model's outputs and the true targets: accuracy, precision,
// recall and F1 (per class and macro), ROC AUC (binary; one-vs-rest macro for more classes), log
// loss and the confusion matrix for classification; RMSE, MAE and R² for regression.
#pragma once

#include <cstddef>
#include <optional>
#include <string>
#include <vector>

#include <nlohmann/json.hpp>

#include <mlops/util/error.hpp>

namespace mlops::ml {

struct ClassMetrics {
    std::string label;
    double precision = 0, recall = 0, f1 = 0;
    std::size_t support = 0;
};

struct ClassificationMetrics {
    std::size_t n = 0;
    double accuracy = 0;
    double precision_macro = 0, recall_macro = 0, f1_macro = 0;
    std::optional<double> roc_auc; // none when a class has no positive or no negative example
    double log_loss = 0;
    std::vector<ClassMetrics> per_class;
    std::vector<std::vector<std::size_t>> confusion; // [true][predicted]
};

struct RegressionMetrics {
    std::size_t n = 0;
    double rmse = 0, mae = 0, r2 = 0;
};

// probs: n × classes.size() row-major; truth: class indices. The predicted class is the argmax
// (first one on ties).
ClassificationMetrics classification_metrics(const std::vector<int>& truth, const std::vector<float>& probs,
                                             const std::vector<std::string>& classes);
RegressionMetrics regression_metrics(const std::vector<double>& truth, const std::vector<double>& pred);

// Area under the ROC curve of scores for a binary truth (ties count one half); none if either
// class is absent.
std::optional<double> roc_auc(const std::vector<int>& positive, const std::vector<double>& score);

nlohmann::json to_json(const ClassificationMetrics& m);
nlohmann::json to_json(const RegressionMetrics& m);

// A threshold like "accuracy=0.95" for --min/--max.
struct Threshold {
    std::string metric;
    double value = 0;
    bool is_min = true;
};
util::Result<Threshold> parse_threshold(const std::string& text, bool is_min);
// The thresholds a metrics JSON misses, as one message each ("accuracy 0.91 < 0.95").
// An unknown metric name is a usage error listing the valid ones.
util::Result<std::vector<std::string>> check_thresholds(const nlohmann::json& metrics,
                                                        const std::vector<Threshold>& thresholds);

} // namespace mlops::ml
