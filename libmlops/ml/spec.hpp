// The model spec (docs/training.md): a YAML file saying what to learn from which data and how.
// Every key has a default except data.train and data.target; unknown keys are errors that suggest
// the closest valid key; `--set a.b=v` overrides are checked against the same schema.
#pragma once

#include <cstdint>
#include <string>
#include <vector>

#include <nlohmann/json.hpp>

#include <mlops/util/error.hpp>

namespace mlops::ml {

enum class Task { classification, regression };
enum class Missing { error, mean, median, drop };
enum class Unknown { error, ignore };
enum class Scaling { standardize, none, minmax };
enum class ModelType { linear, mlp, cnn };
enum class Activation { relu, gelu, tanh };
enum class Optimizer { adam, adamw, sgd };

struct DataSpec {
    std::string train;               // required; relative paths are relative to the spec's folder
    std::string test;                // optional
    double validation_split = 0.0;   // fraction of train held out (seeded) for validation
    std::string target;              // required
    bool all_features = true;        // features: all
    std::vector<std::string> features;
    std::vector<std::string> exclude;
    std::vector<std::string> categorical;
    Missing missing = Missing::error;
    Unknown unknown = Unknown::error; // a category never seen in training, at evaluate/predict
};

struct ModelConfig {
    ModelType type = ModelType::mlp;
    std::vector<std::int64_t> hidden{64, 32}; // linear: ignored
    Activation activation = Activation::relu;
    double dropout = 0.0;
    std::vector<std::int64_t> input_shape;     // cnn: [channels, height, width]
    std::vector<std::int64_t> channels{16, 32}; // cnn: output channels of each conv block
    std::int64_t kernel_size = 3;               // cnn
};

struct EarlyStopping {
    bool enabled = false;
    std::string monitor = "val_loss"; // val_loss, val_accuracy, val_rmse, train_loss
    std::int64_t patience = 10;
    double min_delta = 0.0;
};

struct TrainConfig {
    Optimizer optimizer = Optimizer::adam;
    double lr = 0.001;
    double weight_decay = 0.0;
    double momentum = 0.9; // sgd only
    std::int64_t epochs = 100;
    std::int64_t batch_size = 64;
    std::uint64_t seed = 42;
    std::int64_t threads = 1; // intra-op threads; part of what makes a run reproducible
    EarlyStopping early_stopping;
};

struct ModelSpec {
    std::string file; // the spec file, as given
    std::string dir;  // its folder: data paths are relative to it
    Task task = Task::classification;
    DataSpec data;
    Scaling preprocess = Scaling::standardize;
    ModelConfig model;
    TrainConfig train;

    // The effective spec (defaults filled in, overrides applied), as stored in the manifest.
    nlohmann::json to_json() const;
    // A data path from the spec, resolved against the spec's folder.
    std::string resolve(const std::string& path) const;
};

// Parses spec text; `file` names it in errors. `overrides` are "a.b=value" strings (--set).
util::Result<ModelSpec> parse_spec(const std::string& text, const std::string& file,
                                   const std::vector<std::string>& overrides = {});
util::Result<ModelSpec> load_spec(const std::string& file, const std::vector<std::string>& overrides = {});
// The spec back from a manifest's JSON (what evaluate and predict need of it).
util::Result<ModelSpec> spec_from_json(const nlohmann::json& j);

const char* to_string(Task);
const char* to_string(Missing);
const char* to_string(Unknown);
const char* to_string(Scaling);
const char* to_string(ModelType);
const char* to_string(Activation);
const char* to_string(Optimizer);

} // namespace mlops::ml
