// The narrow interface between mlops and libmlops_torch.so (the only code that includes LibTorch).
// Plain C structs and function pointers: the plugin gets float matrices and hyperparameters, trains,
// writes the TorchScript file, and runs it on float matrices; everything else (CSV, preprocessing,
// metrics, the bundle) stays in libmlops. Bump k_torch_api_version on any change to these structs.
#pragma once

#include <cstddef>
#include <cstdint>

extern "C" {

constexpr int k_torch_api_version = 2;
constexpr const char* k_torch_plugin_file = "libmlops_torch.so";
constexpr const char* k_torch_plugin_entry = "mlops_torch_api_v1";

// Enum values as in mlops::ml (spec.hpp).
struct MlopsTrainConfig {
    int task;        // 0 classification, 1 regression
    int model_type;  // 0 linear, 1 mlp, 2 cnn
    int activation;  // 0 relu, 1 gelu, 2 tanh
    int optimizer;   // 0 adam, 1 adamw, 2 sgd
    const std::int64_t* hidden;
    int n_hidden;
    const std::int64_t* channels; // cnn
    int n_channels;
    std::int64_t input_shape[3];  // cnn: C, H, W
    std::int64_t kernel_size;
    double dropout;
    double lr, weight_decay, momentum;
    std::int64_t epochs, batch_size;
    std::uint64_t seed;
    int threads;
    int early_stopping;   // 0 off
    int monitor;          // 0 val_loss, 1 val_accuracy, 2 train_loss
    std::int64_t patience;
    double min_delta;
    double target_mean, target_std; // regression: the model un-standardizes its output
};

struct MlopsMatrix {
    const float* data; // row-major
    std::int64_t rows, cols;
};

struct MlopsEpoch {
    std::int64_t epoch; // 1-based
    std::int64_t epochs;
    double train_loss, train_accuracy; // accuracy: classification only (else NaN)
    double val_loss, val_accuracy;     // NaN without validation data
    int improved;                      // the monitored value improved (early stopping)
};

struct MlopsTrainResult {
    std::int64_t epochs_run;
    std::int64_t best_epoch; // the epoch whose weights were saved
    int stopped_early;
};

// Return 0 on success; otherwise non-zero with a one-line message in err (err_size bytes).
struct MlopsTorchApi {
    int version;
    const char* torch_version;
    // Trains and writes the TorchScript module to model_path. y: class indices or standardized
    // values. on_epoch returns non-zero to stop (Ctrl-C).
    int (*train)(const MlopsTrainConfig* cfg, MlopsMatrix x, const float* y, MlopsMatrix x_val, const float* y_val,
                 std::int64_t n_outputs, int (*on_epoch)(void* user, const MlopsEpoch* e), void* user,
                 const char* model_path, MlopsTrainResult* result, char* err, std::size_t err_size);
    // Loads a TorchScript module; *handle is released with close_model.
    int (*open_model)(const char* model_path, int threads, void** handle, char* err, std::size_t err_size);
    // out: x.rows × out_cols (class probabilities, or predicted values with out_cols 1).
    int (*forward)(void* handle, MlopsMatrix x, float* out, std::int64_t out_cols, char* err, std::size_t err_size);
    void (*close_model)(void* handle);
    // For explanations (version 2): output target[i] of row i, its value (values: x.rows) and its
    // gradient with respect to the row (grads: x.rows x x.cols), for the whole batch in one forward
    // and one backward pass. Non-zero, with a message, when no gradient reaches the inputs.
    int (*gradients)(void* handle, MlopsMatrix x, const std::int64_t* target, std::int64_t out_cols, float* values, float* grads,
                     char* err, std::size_t err_size);
};

} // extern "C"
