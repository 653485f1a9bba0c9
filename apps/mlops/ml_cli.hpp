// What train, evaluate and predict share: loading libmlops_torch.so (only these commands do),
// opening a verified model bundle, and running its module over a matrix in batches.
#pragma once

#include <memory>
#include <optional>
#include <string>
#include <vector>

#include <nlohmann/json.hpp>

#include <mlops/ml/csv.hpp>
#include <mlops/ml/preprocess.hpp>
#include <mlops/ml/spec.hpp>
#include <mlops/ml/torch_api.hpp>
#include <mlops/registry/registry.hpp>
#include <mlops/util/plugin.hpp>

#include "context.hpp"

namespace mlops::cli {

// The LibTorch plugin; throws CommandError (usage) when mlops was built without it.
struct TorchPlugin {
    util::Plugin plugin;
    const MlopsTorchApi* api;
};
TorchPlugin load_torch();

// A path the user typed, as seen from the working directory after -C.
std::string user_path(const Context& ctx, const std::string& p);
// A model given on the command line: a bundle folder, or a registered model (NAME@ALIAS,
// NAME:VERSION), written out of the store into a cached folder (registry::model_folder).
std::string model_dir(Context& ctx, const std::string& spec);
// The same, keeping what the registry says about it (serve, export, model sign/verify).
struct ResolvedModel {
    std::string spec;
    std::string dir;
    std::optional<registry::VersionEntry> version; // empty for a folder
    std::string alias;                             // NAME@ALIAS: the alias
};
ResolvedModel resolve_model(Context& ctx, const std::string& spec);

// A bundle opened for inference: verified against its manifest, module loaded.
class LoadedModel {
  public:
    LoadedModel(const TorchPlugin& torch, const std::string& dir, int threads);
    ~LoadedModel();
    LoadedModel(const LoadedModel&) = delete;
    LoadedModel& operator=(const LoadedModel&) = delete;

    const nlohmann::json& manifest() const { return m_manifest; }
    // The plugin table and the opened module (explain calls `gradients` on them).
    const MlopsTorchApi* api() const { return m_api; }
    void* handle() const { return m_handle; }
    const ml::Preprocessor& preprocessor() const { return m_pre; }
    const ml::TargetEncoder& target() const { return m_target; }
    ml::Task task() const { return m_target.task; }
    std::int64_t outputs() const { return task() == ml::Task::classification ? std::int64_t(m_target.classes.size()) : 1; }
    // Class probabilities (rows × classes) or predicted values (rows × 1).
    std::vector<float> run(const ml::Matrix& x) const;
    // One row's prediction from its outputs `p` (outputs() floats): the class label, or the value
    // as `mlops predict` writes it (float_text), as JSON (what `mlops serve` answers).
    nlohmann::json prediction(const float* p) const;
    // The index of the most probable class.
    std::size_t best_class(const float* p) const;

  private:
    const MlopsTorchApi* m_api;
    std::string m_dir;
    nlohmann::json m_manifest;
    ml::Preprocessor m_pre;
    ml::TargetEncoder m_target;
    void* m_handle = nullptr;
};

// What evaluate and predict start from: the plugin loaded, the bundle verified and opened, and the
// data CSV opened with its columns checked against the model's signature (its categorical columns
// read as text).
struct ModelOnData {
    ModelOnData(const Context& ctx, const std::string& model_dir, const std::string& data, int threads);
    TorchPlugin torch;
    LoadedModel model;
    ml::CsvReader reader;
    ml::CsvOptions csv;
};

// The text predict writes for a model output: the shortest form that reads back as the same float.
std::string float_text(float v);

// Runs a module handle over x in batches; throws CommandError on failure.
std::vector<float> run_module(const MlopsTorchApi* api, void* handle, const ml::Matrix& x, std::int64_t outputs);

// The true targets of `rows` for metrics: class indices, or values in the target's units. A missing
// target or a class never seen in training is an error naming the line.
std::vector<double> truth_values(const ml::TargetEncoder& enc, const ml::Frame& f, const std::vector<std::size_t>& rows);

// Metrics JSON for outputs against encoded targets (class indices, or values in target units).
nlohmann::json compute_metrics(ml::Task task, const std::vector<float>& outputs, const std::vector<double>& truth,
                               const std::vector<std::string>& classes);
// Only the scalar metrics (for metrics.json and the pipeline's metrics tables).
nlohmann::json scalar_metrics(const nlohmann::json& metrics);

} // namespace mlops::cli
