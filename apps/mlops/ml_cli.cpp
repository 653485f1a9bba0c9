#include "ml_cli.hpp"

#include <algorithm>
#include <charconv>

#include <mlops/registry/registry.hpp>
#include <mlops/util/fs.hpp>

#include <mlops/ml/bundle.hpp>
#include <mlops/ml/metrics.hpp>
#include <mlops/util/paths.hpp>

#ifndef MLOPS_HAVE_TORCH
#define MLOPS_HAVE_TORCH 0
#endif

namespace mlops::cli {

TorchPlugin load_torch() {
    if (!MLOPS_HAVE_TORCH)
        throw util::CommandError(util::Error::usage(
            "mlops was built without LibTorch: train, evaluate and predict need libmlops_torch.so (install "
            "libtorch-dev and rebuild)"));
    auto p = util::value_or_throw(util::Plugin::load(k_torch_plugin_file, k_torch_plugin_entry));
    auto* api = static_cast<const MlopsTorchApi*>(p.table());
    if (!api || api->version != k_torch_api_version)
        throw util::CommandError(util::Error::usage(fmt::format("{}: interface version {}, this mlops needs {} (rebuild)",
                                                                p.path(), api ? api->version : 0, k_torch_api_version)));
    return TorchPlugin{std::move(p), api};
}

std::string user_path(const Context& ctx, const std::string& p) { return ctx.user_path(p); }

std::string model_dir(Context& ctx, const std::string& spec) { return resolve_model(ctx, spec).dir; }

ResolvedModel resolve_model(Context& ctx, const std::string& spec) {
    ResolvedModel m;
    m.spec = spec;
    m.dir = ctx.user_path(spec);
    if (util::value_or_throw(util::stat_path(m.dir)) || !registry::looks_like_model_ref(spec)) return m;
    auto ref = util::value_or_throw(registry::parse_model_ref(spec));
    auto state = util::value_or_throw(registry::load_model(ctx.repo(), ref.name));
    const auto* v = util::value_or_throw(registry::resolve(state, ref));
    m.dir = util::value_or_throw(registry::model_folder(ctx.repo(), *v));
    m.version = *v;
    m.alias = ref.alias;
    return m;
}

LoadedModel::LoadedModel(const TorchPlugin& torch, const std::string& dir, int threads) : m_api(torch.api), m_dir(dir) {
    m_manifest = util::value_or_throw(ml::open_bundle(dir));
    try {
        m_pre = util::value_or_throw(ml::Preprocessor::from_json(m_manifest.at("preprocessing")));
        m_target = util::value_or_throw(ml::TargetEncoder::from_json(m_manifest.at("target")));
    } catch (const nlohmann::json::exception& e) {
        throw util::CommandError(util::Error::integrity(fmt::format("{}/manifest.json: {}", dir, e.what())));
    }
    if (threads <= 0) threads = int(m_manifest.value("/spec/train/threads"_json_pointer, 1));
    char err[1024] = "";
    std::string model = util::join_path(dir, ml::k_model_file);
    if (m_api->open_model(model.c_str(), threads, &m_handle, err, sizeof err) != 0)
        throw util::CommandError(util::Error::integrity(err));
}

LoadedModel::~LoadedModel() {
    if (m_handle) m_api->close_model(m_handle);
}

ModelOnData::ModelOnData(const Context& ctx, const std::string& model_dir, const std::string& data, int threads)
    : torch(load_torch()), model(torch, user_path(ctx, model_dir), threads),
      reader(util::value_or_throw(ml::CsvReader::open(user_path(ctx, data)))) {
    util::check(model.preprocessor().check_columns(reader.header(), data));
    csv.text_columns = model.preprocessor().text_columns();
}

std::vector<float> LoadedModel::run(const ml::Matrix& x) const { return run_module(m_api, m_handle, x, outputs()); }

std::size_t LoadedModel::best_class(const float* p) const {
    const std::size_t k = std::size_t(outputs());
    return std::size_t(std::max_element(p, p + k) - p);
}

nlohmann::json LoadedModel::prediction(const float* p) const {
    if (task() == ml::Task::classification) return m_target.classes[best_class(p)];
    // The same digits as predict's CSV: the float's shortest text, read back as a double.
    std::string t = float_text(p[0]);
    double d = 0;
    std::from_chars(t.data(), t.data() + t.size(), d);
    return d;
}

std::string float_text(float v) {
    char buf[32];
    auto [p, ec] = std::to_chars(buf, buf + sizeof buf, v);
    return std::string(buf, p);
}

std::vector<float> run_module(const MlopsTorchApi* api, void* handle, const ml::Matrix& x, std::int64_t outputs) {
    std::vector<float> out(x.rows * std::size_t(outputs));
    constexpr std::size_t k_batch = 8192;
    char err[1024] = "";
    for (std::size_t start = 0; start < x.rows; start += k_batch) {
        std::size_t n = std::min(k_batch, x.rows - start);
        MlopsMatrix m{x.data.data() + start * x.cols, std::int64_t(n), std::int64_t(x.cols)};
        if (api->forward(handle, m, out.data() + start * std::size_t(outputs), outputs, err, sizeof err) != 0)
            throw util::CommandError(util::Error::usage(err));
    }
    return out;
}

std::vector<double> truth_values(const ml::TargetEncoder& enc, const ml::Frame& f, const std::vector<std::size_t>& rows) {
    const ml::Column* col = f.find(enc.target_name);
    if (!col)
        throw util::CommandError(util::Error::usage(fmt::format("{}: no target column '{}'", f.path, enc.target_name)));
    auto encoded = util::value_or_throw(enc.encode(*col, f, rows));
    std::vector<double> out;
    out.reserve(rows.size());
    if (enc.task == ml::Task::classification)
        out.assign(encoded.begin(), encoded.end());
    else
        for (std::size_t r : rows) out.push_back(col->numbers[r]);
    return out;
}

nlohmann::json compute_metrics(ml::Task task, const std::vector<float>& outputs, const std::vector<double>& truth,
                               const std::vector<std::string>& classes) {
    if (task == ml::Task::classification) {
        std::vector<int> t(truth.begin(), truth.end());
        return ml::to_json(ml::classification_metrics(t, outputs, classes));
    }
    std::vector<double> pred(outputs.begin(), outputs.end());
    return ml::to_json(ml::regression_metrics(truth, pred));
}

nlohmann::json scalar_metrics(const nlohmann::json& metrics) {
    nlohmann::json out = nlohmann::json::object();
    for (const auto& [k, v] : metrics.items())
        if (v.is_number() || v.is_null()) out[k] = v;
    return out;
}

} // namespace mlops::cli
