// Explanations of a model's decisions (docs/explain.md), LibTorch-free: the model is reached only
// through the two callbacks below, which the CLI binds to the torch plugin.
//  - Permutation importance (global, any model): each feature's column shuffled (seeded), the score
//    recomputed, importance = baseline score - permuted score (scikit-learn's definition).
//  - Integrated gradients (per row, differentiable models): attributions along the straight path
//    from a baseline, one batch per integration step, with the completeness check.
#pragma once

#include <cstdint>
#include <functional>
#include <optional>
#include <string>
#include <vector>

#include <nlohmann/json.hpp>

#include <mlops/ml/csv.hpp>
#include <mlops/ml/preprocess.hpp>
#include <mlops/util/error.hpp>

namespace mlops::explain {

// The model's outputs for every row of a frame (rows x outputs: class probabilities or values).
// Rows the preprocessing drops (missing: drop) are not allowed here: the CLI checks first.
using Predict = std::function<util::Result<std::vector<float>>(const ml::Frame&)>;
// For model inputs x (rows x width) and one output column per row: that output's value per row
// and its gradient with respect to x (rows x width).
using Gradient = std::function<util::Status(const ml::Matrix& x, const std::vector<std::int64_t>& target,
                                            std::vector<float>& values, std::vector<float>& grads)>;

// --- Permutation importance -----------------------------------------------------------------
enum class Scoring { accuracy, log_loss, r2, rmse };
util::Result<Scoring> parse_scoring(const std::string& name);
const char* to_string(Scoring s);
// Higher is better: log loss and RMSE enter negated, as scikit-learn's neg_log_loss and
// neg_root_mean_squared_error scorers do.
double score(Scoring s, const std::vector<float>& outputs, std::size_t n_outputs, const std::vector<double>& truth);

struct Importance {
    std::string feature;
    double mean = 0, std = 0;        // over the repeats (population std, like scikit-learn)
    std::vector<double> repeats;
};
struct PermutationResult {
    Scoring scoring = Scoring::accuracy;
    double baseline = 0;             // the score on the data as it is
    std::size_t repeats = 0;
    std::uint64_t seed = 0;
    std::vector<Importance> features; // ranked: largest mean first (ties by name)
};
// `features`: the frame columns to permute (the model's features); `truth`: per row, the class
// index or the value; `n_outputs`: columns of the predictions.
util::Result<PermutationResult> permutation_importance(const ml::Frame& data, const std::vector<std::string>& features,
                                                       const Predict& predict, std::size_t n_outputs,
                                                       const std::vector<double>& truth, Scoring scoring,
                                                       std::size_t repeats, std::uint64_t seed, unsigned threads = 0);

// --- Integrated gradients -------------------------------------------------------------------
enum class Rule { gausslegendre, riemann_trapezoid };
util::Result<Rule> parse_rule(const std::string& name);
const char* to_string(Rule r);
// Nodes in [0, 1] and weights summing to 1.
struct Quadrature {
    std::vector<double> alphas, weights;
};
Quadrature quadrature(Rule r, std::size_t steps);

struct RowAttribution {
    std::size_t row = 0;                 // index in the data
    std::int64_t target = 0;             // the output explained (class index; 0 for regression)
    double value = 0, baseline_value = 0; // f(x), f(baseline)
    std::vector<double> attributions;    // per feature (original columns)
    double gap = 0;                      // sum(attributions) - (value - baseline_value)
};
struct GradientResult {
    Rule rule = Rule::gausslegendre;
    std::size_t steps = 0;
    std::vector<std::string> features;
    std::vector<RowAttribution> rows;    // every row of the data, in order
    std::vector<double> mean_abs;        // per feature: mean |attribution| over the rows
    double tolerance = 0;                // allowed |gap| / max(|f(x) - f(b)|, |f(x)|, |f(b)|)
    std::size_t failed = 0;              // rows whose gap exceeds it
    double worst_gap = 0;                // the largest relative gap
    std::size_t worst_row = 0;
};
// `x`: the rows in model-input space; `baseline`: one row (width values); `target`: per row;
// `feature_of`: for each input column, the index of the original feature it belongs to.
util::Result<GradientResult> integrated_gradients(const ml::Matrix& x, const std::vector<float>& baseline,
                                                  const std::vector<std::int64_t>& target, const Gradient& gradient,
                                                  const std::vector<std::string>& features,
                                                  const std::vector<std::size_t>& feature_of, Rule rule, std::size_t steps,
                                                  double tolerance, std::size_t batch_rows = 4096);

// Per input column of a preprocessor, the index of its feature (one-hot columns share theirs).
std::vector<std::size_t> input_features(const ml::Preprocessor& pre);

// --- The report -------------------------------------------------------------------------------
struct Report {
    std::string model, data;             // as the user named them
    std::string task;                    // classification or regression
    std::size_t rows = 0;
    std::optional<PermutationResult> permutation;
    std::optional<GradientResult> gradients;
    std::string baseline;                // zeros, mean, or "row N"
    std::vector<std::size_t> shown_rows; // rows with a waterfall
    std::vector<std::string> target_names; // per shown row: the class (or the target) explained
    std::vector<std::string> notes;
};
nlohmann::json to_json(const Report& r);
std::string to_markdown(const Report& r);
std::string to_html(const Report& r);

} // namespace mlops::explain
