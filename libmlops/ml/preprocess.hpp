// From CSV columns to the float matrix a model sees, and back from its outputs to labels. Fitted
// on the training data only; the fitted state (the input signature, the imputation values, the
// scaling statistics, the class labels) goes into the bundle's manifest, so evaluate and predict
// transform new data exactly as training did.
#pragma once

#include <cstddef>
#include <string>
#include <vector>

#include <nlohmann/json.hpp>

#include <mlops/ml/csv.hpp>
#include <mlops/ml/spec.hpp>
#include <mlops/util/error.hpp>

namespace mlops::ml {

// Row-major float matrix.
struct Matrix {
    std::vector<float> data;
    std::size_t rows = 0, cols = 0;
    float at(std::size_t r, std::size_t c) const { return data[r * cols + c]; }
};

struct Feature {
    std::string name;
    bool categorical = false;
    std::vector<std::string> categories; // categorical: one input column each, in this order
    double fill = 0.0;                   // numeric: the value a missing cell gets (mean/median)
    std::string fill_category;           // categorical: the most frequent category
};

struct Preprocessor {
    Scaling scaling = Scaling::standardize;
    Missing missing = Missing::error;
    Unknown unknown = Unknown::error;
    std::string target;
    std::vector<Feature> features;
    // Per input column: x' = (x - center) / scale (one-hot columns: 0 and 1).
    std::vector<double> center, scale;

    std::size_t width() const { return center.size(); }
    // The names of the input columns ("color=red" for one-hot columns).
    std::vector<std::string> input_names() const;
    // Columns a CSV must keep as text for this preprocessor (categorical features).
    std::vector<std::string> text_columns() const;

    // Chooses the features from the spec and the training frame and fits the statistics.
    static util::Result<Preprocessor> fit(const Frame& train, const ModelSpec& spec);
    // The signature check: every feature column must be in `header`; names the missing ones.
    util::Status check_columns(const std::vector<std::string>& header, const std::string& path) const;
    // Transforms a frame. Rows dropped because of missing values (missing: drop) are left out;
    // `kept` receives the frame row index of every output row.
    util::Result<Matrix> transform(const Frame& f, std::vector<std::size_t>* kept = nullptr) const;

    nlohmann::json to_json() const;
    static util::Result<Preprocessor> from_json(const nlohmann::json& j);
};

// The target: class labels (classification) or a standardized value (regression).
struct TargetEncoder {
    Task task = Task::classification;
    std::string target_name;
    std::vector<std::string> classes; // sorted: numerically when every label is a number
    double mean = 0.0, std = 1.0;     // regression: the model learns (y - mean) / std

    static util::Result<TargetEncoder> fit(const Column& target, Task task, const std::string& path);
    // Class indices (classification) or standardized values (regression) for the given rows.
    // A missing target or an unknown class is an error naming the line.
    util::Result<std::vector<float>> encode(const Column& target, const Frame& f,
                                            const std::vector<std::size_t>& rows) const;
    nlohmann::json to_json() const;
    static util::Result<TargetEncoder> from_json(const nlohmann::json& j);
};

// The text to write for a number: shortest round-trip form.
std::string format_number(double v);

} // namespace mlops::ml
