// libmlops_torch.so: the only translation unit that includes LibTorch (compiling it takes about a
// minute and gigabytes of memory, so there is one). It trains a network on float matrices, writes it
// as a TorchScript module (parameters plus a generated `forward` in TorchScript source, compiled by
// torch::jit::Module::define, so Python's torch.jit.load reads it too), and runs saved modules.
// Its interface is the C table of libmlops/ml/torch_api.hpp; no exception leaves this file.
#include <torch/script.h>
#include <torch/torch.h>

#include <cmath>
#include <cstdio>
#include <cstring>
#include <limits>
#include <random>
#include <sstream>
#include <string>
#include <vector>

#include <mlops/ml/torch_api.hpp>

namespace {

void set_error(char* err, std::size_t size, const std::string& msg) {
    if (!err || size == 0) return;
    // c10::Error messages carry a backtrace after the first line: keep the first line only.
    std::string line = msg.substr(0, msg.find('\n'));
    std::snprintf(err, size, "%s", line.c_str());
}

// Runs `body` (0 on success, 1 with `err` set on failure); an exception from LibTorch or the
// standard library becomes a one-line message in `err` and 1: nothing is thrown across the C table.
template <class F>
int guarded(char* err, std::size_t err_size, const std::string& torch_prefix, const std::string& std_prefix, F&& body) {
    try {
        return body();
    } catch (const c10::Error& e) {
        set_error(err, err_size, torch_prefix + e.what_without_backtrace());
    } catch (const std::exception& e) {
        set_error(err, err_size, std_prefix + e.what());
    }
    return 1;
}

std::string fmt_double(double v) {
    char buf[64];
    std::snprintf(buf, sizeof buf, "%.17g", v);
    std::string s(buf);
    if (s.find_first_of(".eEn") == std::string::npos) s += ".0";
    return s;
}

// The network as plain parameter tensors and a functional forward; the same operations are written
// out as TorchScript source for the saved module, so training and inference compute the same thing.
struct Net {
    const MlopsTrainConfig& cfg;
    std::int64_t n_outputs;
    std::vector<torch::Tensor> conv_w, conv_b, lin_w, lin_b;
    std::vector<bool> conv_pool; // pool after conv block i (when both sides are at least 2)
    std::int64_t in_features = 0;

    Net(const MlopsTrainConfig& c, std::int64_t in, std::int64_t outputs) : cfg(c), n_outputs(outputs) {
        std::int64_t features = in;
        if (cfg.model_type == 2) {
            std::int64_t ch = cfg.input_shape[0], h = cfg.input_shape[1], w = cfg.input_shape[2];
            if (ch * h * w != in)
                throw std::runtime_error("model.input_shape [" + std::to_string(ch) + ", " + std::to_string(h) + ", " +
                                         std::to_string(w) + "] needs " + std::to_string(ch * h * w) +
                                         " input columns, the data has " + std::to_string(in));
            for (int i = 0; i < cfg.n_channels; ++i) {
                torch::nn::Conv2d conv(torch::nn::Conv2dOptions(ch, cfg.channels[i], cfg.kernel_size)
                                           .padding(cfg.kernel_size / 2));
                conv_w.push_back(conv->weight.detach().clone().requires_grad_(true));
                conv_b.push_back(conv->bias.detach().clone().requires_grad_(true));
                ch = cfg.channels[i];
                // "same" padding keeps odd kernels' size; an even kernel grows it by one.
                h = h + 2 * (cfg.kernel_size / 2) - cfg.kernel_size + 1;
                w = w + 2 * (cfg.kernel_size / 2) - cfg.kernel_size + 1;
                bool pool = h >= 2 && w >= 2;
                conv_pool.push_back(pool);
                if (pool) {
                    h /= 2;
                    w /= 2;
                }
            }
            features = ch * h * w;
        }
        in_features = features;
        std::vector<std::int64_t> sizes;
        if (cfg.model_type != 0)
            for (int i = 0; i < cfg.n_hidden; ++i) sizes.push_back(cfg.hidden[i]);
        sizes.push_back(n_outputs);
        for (auto size : sizes) {
            torch::nn::Linear lin(features, size);
            lin_w.push_back(lin->weight.detach().clone().requires_grad_(true));
            lin_b.push_back(lin->bias.detach().clone().requires_grad_(true));
            features = size;
        }
    }

    std::vector<torch::Tensor> parameters() const {
        std::vector<torch::Tensor> p;
        for (std::size_t i = 0; i < conv_w.size(); ++i) {
            p.push_back(conv_w[i]);
            p.push_back(conv_b[i]);
        }
        for (std::size_t i = 0; i < lin_w.size(); ++i) {
            p.push_back(lin_w[i]);
            p.push_back(lin_b[i]);
        }
        return p;
    }

    torch::Tensor act(const torch::Tensor& x) const {
        switch (cfg.activation) {
        case 1: return torch::gelu(x);
        case 2: return torch::tanh(x);
        default: return torch::relu(x);
        }
    }
    const char* act_name() const { return cfg.activation == 1 ? "gelu" : cfg.activation == 2 ? "tanh" : "relu"; }

    // Raw outputs (logits, or standardized values for regression).
    torch::Tensor forward(torch::Tensor x, bool training) const {
        if (cfg.model_type == 2) {
            x = x.reshape({-1, cfg.input_shape[0], cfg.input_shape[1], cfg.input_shape[2]});
            for (std::size_t i = 0; i < conv_w.size(); ++i) {
                x = torch::conv2d(x, conv_w[i], conv_b[i], 1, cfg.kernel_size / 2);
                x = act(x);
                if (conv_pool[i]) x = torch::max_pool2d(x, 2);
            }
            x = torch::flatten(x, 1);
        }
        for (std::size_t i = 0; i < lin_w.size(); ++i) {
            x = torch::linear(x, lin_w[i], lin_b[i]);
            if (i + 1 < lin_w.size()) {
                x = act(x);
                if (cfg.dropout > 0) x = torch::dropout(x, cfg.dropout, training);
            }
        }
        return x;
    }

    // The TorchScript module: inputs are preprocessed features, outputs class probabilities
    // (softmax) or predicted values in the target's units.
    torch::jit::Module script() const {
        torch::jit::Module m("MlopsModel");
        std::ostringstream src;
        src << "def forward(self, x):\n";
        if (cfg.model_type == 2) {
            src << "    x = x.reshape([-1, " << cfg.input_shape[0] << ", " << cfg.input_shape[1] << ", "
                << cfg.input_shape[2] << "])\n";
            for (std::size_t i = 0; i < conv_w.size(); ++i) {
                m.register_parameter("conv" + std::to_string(i) + "_weight", conv_w[i].detach().clone(), false);
                m.register_parameter("conv" + std::to_string(i) + "_bias", conv_b[i].detach().clone(), false);
                std::int64_t pad = cfg.kernel_size / 2;
                src << "    x = torch.conv2d(x, self.conv" << i << "_weight, self.conv" << i << "_bias, [1, 1], ["
                    << pad << ", " << pad << "])\n";
                src << "    x = torch." << act_name() << "(x)\n";
                if (conv_pool[i]) src << "    x = torch.max_pool2d(x, [2, 2])\n";
            }
            src << "    x = torch.flatten(x, 1)\n";
        }
        for (std::size_t i = 0; i < lin_w.size(); ++i) {
            m.register_parameter("fc" + std::to_string(i) + "_weight", lin_w[i].detach().clone(), false);
            m.register_parameter("fc" + std::to_string(i) + "_bias", lin_b[i].detach().clone(), false);
            src << "    x = torch.linear(x, self.fc" << i << "_weight, self.fc" << i << "_bias)\n";
            if (i + 1 < lin_w.size()) src << "    x = torch." << act_name() << "(x)\n";
        }
        if (cfg.task == 0)
            src << "    return torch.softmax(x, 1)\n";
        else
            src << "    return x * " << fmt_double(cfg.target_std) << " + " << fmt_double(cfg.target_mean) << "\n";
        m.define(src.str());
        m.eval();
        return m;
    }
};

torch::Tensor as_tensor(const MlopsMatrix& m) {
    return torch::from_blob(const_cast<float*>(m.data), {m.rows, m.cols}, torch::kFloat32);
}

struct Scores {
    double loss = 0, accuracy = std::numeric_limits<double>::quiet_NaN();
};

Scores evaluate(const Net& net, const torch::Tensor& x, const torch::Tensor& y, bool classification) {
    torch::NoGradGuard no_grad;
    Scores s;
    auto out = net.forward(x, false);
    if (classification) {
        auto target = y.to(torch::kLong);
        s.loss = torch::nn::functional::cross_entropy(out, target).item<double>();
        s.accuracy = out.argmax(1).eq(target).to(torch::kFloat64).mean().item<double>();
    } else {
        s.loss = torch::mse_loss(out.squeeze(1), y).item<double>();
    }
    return s;
}

int train(const MlopsTrainConfig* cfg, MlopsMatrix xm, const float* y, MlopsMatrix xvm, const float* yv,
          std::int64_t n_outputs, int (*on_epoch)(void*, const MlopsEpoch*), void* user, const char* model_path,
          MlopsTrainResult* result, char* err, std::size_t err_size) {
    return guarded(err, err_size, "LibTorch: ", "", [&]() -> int {
        at::set_num_threads(cfg->threads);
        at::globalContext().setDeterministicAlgorithms(true, false);
        torch::manual_seed(cfg->seed);
        const bool classification = cfg->task == 0;
        Net net(*cfg, xm.cols, n_outputs);
        auto params = net.parameters();
        std::unique_ptr<torch::optim::Optimizer> opt;
        if (cfg->optimizer == 1)
            opt = std::make_unique<torch::optim::AdamW>(params, torch::optim::AdamWOptions(cfg->lr).weight_decay(cfg->weight_decay));
        else if (cfg->optimizer == 2)
            opt = std::make_unique<torch::optim::SGD>(
                params, torch::optim::SGDOptions(cfg->lr).momentum(cfg->momentum).weight_decay(cfg->weight_decay));
        else
            opt = std::make_unique<torch::optim::Adam>(params, torch::optim::AdamOptions(cfg->lr).weight_decay(cfg->weight_decay));

        auto x = as_tensor(xm);
        auto yt = torch::from_blob(const_cast<float*>(y), {xm.rows}, torch::kFloat32);
        const bool has_val = xvm.rows > 0;
        torch::Tensor xv, yvt;
        if (has_val) {
            xv = as_tensor(xvm);
            yvt = torch::from_blob(const_cast<float*>(yv), {xvm.rows}, torch::kFloat32);
        }
        // Our own seeded shuffle (Fisher-Yates on mt19937_64), the same on every platform.
        std::mt19937_64 rng(cfg->seed);
        std::vector<std::int64_t> order(std::size_t(xm.rows));
        for (std::size_t i = 0; i < order.size(); ++i) order[i] = std::int64_t(i);

        double best = std::numeric_limits<double>::infinity();
        std::int64_t best_epoch = 0, since_best = 0, epoch = 0;
        std::vector<torch::Tensor> best_params;
        bool stopped = false;
        for (epoch = 1; epoch <= cfg->epochs; ++epoch) {
            for (std::size_t i = order.size(); i > 1; --i) std::swap(order[i - 1], order[rng() % i]);
            auto perm = torch::from_blob(order.data(), {xm.rows}, torch::kInt64);
            double loss_sum = 0;
            std::int64_t correct = 0;
            for (std::int64_t start = 0; start < xm.rows; start += cfg->batch_size) {
                std::int64_t len = std::min(cfg->batch_size, xm.rows - start);
                auto idx = perm.narrow(0, start, len);
                auto xb = x.index_select(0, idx);
                auto yb = yt.index_select(0, idx);
                opt->zero_grad();
                auto out = net.forward(xb, true);
                torch::Tensor loss;
                if (classification) {
                    auto target = yb.to(torch::kLong);
                    loss = torch::nn::functional::cross_entropy(out, target);
                    correct += out.argmax(1).eq(target).sum().item<std::int64_t>();
                } else {
                    loss = torch::mse_loss(out.squeeze(1), yb);
                }
                loss.backward();
                opt->step();
                loss_sum += loss.item<double>() * double(len);
            }
            MlopsEpoch e{};
            e.epoch = epoch;
            e.epochs = cfg->epochs;
            e.train_loss = loss_sum / double(xm.rows);
            e.train_accuracy = classification ? double(correct) / double(xm.rows) : std::numeric_limits<double>::quiet_NaN();
            e.val_loss = e.val_accuracy = std::numeric_limits<double>::quiet_NaN();
            if (has_val) {
                auto s = evaluate(net, xv, yvt, classification);
                e.val_loss = s.loss;
                e.val_accuracy = s.accuracy;
            }
            double monitored = cfg->monitor == 1 ? -e.val_accuracy : cfg->monitor == 2 ? e.train_loss : e.val_loss;
            if (monitored < best - cfg->min_delta) {
                best = monitored;
                best_epoch = epoch;
                since_best = 0;
                e.improved = 1;
                if (cfg->early_stopping) {
                    best_params.clear();
                    for (const auto& p : params) best_params.push_back(p.detach().clone());
                }
            } else {
                ++since_best;
            }
            if (on_epoch && on_epoch(user, &e) != 0) {
                set_error(err, err_size, "interrupted");
                return 1;
            }
            if (cfg->early_stopping && since_best >= cfg->patience) {
                stopped = true;
                break;
            }
        }
        std::int64_t ran = std::min(epoch, cfg->epochs);
        if (cfg->early_stopping && !best_params.empty()) {
            torch::NoGradGuard no_grad;
            for (std::size_t i = 0; i < params.size(); ++i) params[i].copy_(best_params[i]);
        } else {
            best_epoch = ran;
        }
        auto module = net.script();
        module.save(model_path);
        result->epochs_run = ran;
        result->best_epoch = best_epoch;
        result->stopped_early = stopped ? 1 : 0;
        return 0;
    });
}

int open_model(const char* model_path, int threads, void** handle, char* err, std::size_t err_size) {
    return guarded(err, err_size, std::string(model_path) + ": not a TorchScript module: ", std::string(model_path) + ": ", [&]() -> int {
        if (threads > 0) at::set_num_threads(threads);
        auto m = std::make_unique<torch::jit::Module>(torch::jit::load(model_path));
        m->eval();
        *handle = m.release();
        return 0;
    });
}

int forward(void* handle, MlopsMatrix x, float* out, std::int64_t out_cols, char* err, std::size_t err_size) {
    return guarded(err, err_size, "LibTorch: ", "", [&]() -> int {
        auto* m = static_cast<torch::jit::Module*>(handle);
        torch::InferenceMode guard;
        auto y = m->forward({as_tensor(x)}).toTensor().contiguous().to(torch::kFloat32);
        if (y.dim() == 1) y = y.unsqueeze(1);
        if (y.size(0) != x.rows || y.size(1) != out_cols) {
            set_error(err, err_size, "the model returned " + std::to_string(y.size(0)) + "x" + std::to_string(y.size(1)) +
                                         " outputs, expected " + std::to_string(x.rows) + "x" + std::to_string(out_cols));
            return 1;
        }
        std::memcpy(out, y.data_ptr<float>(), sizeof(float) * std::size_t(x.rows * out_cols));
        return 0;
    });
}

void close_model(void* handle) { delete static_cast<torch::jit::Module*>(handle); }

int gradients(void* handle, MlopsMatrix x, const std::int64_t* target, std::int64_t out_cols, float* values, float* grads, char* err,
              std::size_t err_size) {
    return guarded(err, err_size, "LibTorch: ", "", [&]() -> int {
        auto* m = static_cast<torch::jit::Module*>(handle);
        torch::AutoGradMode grad_mode(true);
        auto in = as_tensor(x).clone().set_requires_grad(true);
        auto y = m->forward({in}).toTensor();
        if (y.dim() == 1) y = y.unsqueeze(1);
        if (y.size(0) != x.rows || y.size(1) != out_cols) {
            set_error(err, err_size, "the model returned " + std::to_string(y.size(0)) + "x" + std::to_string(y.size(1)) +
                                         " outputs, expected " + std::to_string(x.rows) + "x" + std::to_string(out_cols));
            return 1;
        }
        auto idx = torch::from_blob(const_cast<std::int64_t*>(target), {x.rows, 1}, torch::kInt64);
        auto picked = y.gather(1, idx).squeeze(1);
        if (!picked.requires_grad()) {
            set_error(err, err_size, "the model is not differentiable: no gradient reaches its inputs");
            return 1;
        }
        // Rows are independent, so the gradient of the sum is every row's own gradient.
        picked.sum().backward();
        auto g = in.grad();
        if (!g.defined()) {
            set_error(err, err_size, "the model is not differentiable: no gradient reaches its inputs");
            return 1;
        }
        auto v = picked.detach().contiguous().to(torch::kFloat32);
        g = g.contiguous().to(torch::kFloat32);
        std::memcpy(values, v.data_ptr<float>(), sizeof(float) * std::size_t(x.rows));
        std::memcpy(grads, g.data_ptr<float>(), sizeof(float) * std::size_t(x.rows * x.cols));
        return 0;
    });
}

const MlopsTorchApi k_api{k_torch_api_version, TORCH_VERSION, train, open_model, forward, close_model, gradients};

} // namespace

extern "C" __attribute__((visibility("default"))) const void* mlops_torch_api_v1() { return &k_api; }
