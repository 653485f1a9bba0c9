// mlops train SPEC: reads the data the spec names, fits the preprocessing, trains the network in
// libmlops_torch.so and writes a model bundle (docs/training.md) atomically.
#include "commands.hpp"

#include <chrono>
#include <cmath>
#include <csignal>
#include <cstdlib>
#include <random>
#include <unistd.h>

#include <mlops/gitrepo/git_repo.hpp>
#include <mlops/ml/bundle.hpp>
#include <mlops/ml/csv.hpp>
#include <mlops/ml/metrics.hpp>
#include <mlops/util/fs.hpp>
#include <mlops/util/hash.hpp>
#include <mlops/util/paths.hpp>

#include "ml_cli.hpp"

namespace mlops::cli {

struct TrainOptions {
    std::string spec;
    std::string out;
    std::string metrics_file;
    std::vector<std::string> sets;
    int threads = 0; // -j: overrides train.threads
};

namespace {

volatile std::sig_atomic_t g_interrupted = 0;
void on_sigint(int) { g_interrupted = 1; }

struct Dataset {
    ml::Matrix x;
    std::vector<float> y;      // what the network learns (class index, standardized value)
    std::vector<double> truth; // for metrics (class index, value in target units)
};

// The model's inputs and targets for a frame (already checked against the signature).
Dataset load_dataset(const std::string& path, const ml::Preprocessor& pre, const ml::TargetEncoder& enc,
                     const ml::Frame& f) {
    if (!f.find(enc.target_name))
        throw util::CommandError(util::Error::usage(fmt::format("{}: no target column '{}'", path, enc.target_name)));
    Dataset d;
    std::vector<std::size_t> kept;
    d.x = util::value_or_throw(pre.transform(f, &kept));
    d.y = util::value_or_throw(enc.encode(*f.find(enc.target_name), f, kept));
    d.truth = truth_values(enc, f, kept);
    if (d.x.rows == 0) throw util::CommandError(util::Error::usage(fmt::format("{}: no rows left after dropping missing values", path)));
    return d;
}

std::optional<std::string> code_commit(const Context& ctx) {
    auto wt = gitrepo::GitRepo::discover_work_tree(ctx.cwd());
    if (!wt || !*wt) return std::nullopt;
    auto repo = gitrepo::GitRepo::open(**wt);
    if (!repo) return std::nullopt;
    auto head = repo->head_commit();
    if (!head || !*head) return std::nullopt;
    return **head;
}

std::string cell(double v) { return std::isnan(v) ? std::string() : ml::format_number(v); }

struct EpochSink {
    Context* ctx;
    bool draw;
    bool classification;
    std::string history = "epoch,train_loss,train_accuracy,val_loss,val_accuracy\n";
    std::chrono::steady_clock::time_point start = std::chrono::steady_clock::now();
    bool drawn = false;
};

int on_epoch(void* user, const MlopsEpoch* e) {
    auto* s = static_cast<EpochSink*>(user);
    s->history += fmt::format("{},{},{},{},{}\n", e->epoch, cell(e->train_loss), cell(e->train_accuracy),
                              cell(e->val_loss), cell(e->val_accuracy));
    if (s->draw) {
        double secs = std::chrono::duration<double>(std::chrono::steady_clock::now() - s->start).count();
        double eta = secs / double(e->epoch) * double(e->epochs - e->epoch);
        std::string val;
        if (!std::isnan(e->val_loss)) val += fmt::format("  val_loss {:.4f}", e->val_loss);
        if (!std::isnan(e->val_accuracy)) val += fmt::format("  val_acc {:.4f}", e->val_accuracy);
        s->ctx->err() << fmt::format("\r\x1b[Kepoch {}/{}  loss {:.4f}{}  ETA {:.0f}s", e->epoch, e->epochs,
                                     e->train_loss, val, eta)
                      << std::flush;
        s->drawn = true;
    }
    return g_interrupted ? 1 : 0;
}

} // namespace

int run_train(Context& ctx, const TrainOptions& opts) {
    auto spec = util::value_or_throw(ml::load_spec(user_path(ctx, opts.spec), opts.sets));
    spec.file = opts.spec;
    if (opts.threads > 0) spec.train.threads = opts.threads;
    auto torch = load_torch();

    std::string stem = util::file_name(opts.spec);
    if (auto dot = stem.rfind('.'); dot != std::string::npos && dot > 0) stem = stem.substr(0, dot);
    std::string out_dir = user_path(ctx, opts.out.empty() ? stem : opts.out);
    std::string shown_out = opts.out.empty() ? stem : opts.out;
    if (util::normalize_path(out_dir) == util::normalize_path(user_path(ctx, opts.spec)))
        throw util::CommandError(util::Error::usage("-o names the spec file itself"));
    util::check(ml::check_bundle_destination(out_dir));

    // Read the training data: categorical features and class targets stay text.
    ml::CsvOptions csv;
    csv.text_columns = spec.data.categorical;
    if (spec.task == ml::Task::classification) csv.text_columns.push_back(spec.data.target);
    std::string train_path = spec.resolve(spec.data.train);
    std::string train_file = user_path(ctx, train_path);
    auto train_frame = util::value_or_throw(ml::read_csv(train_file, csv));
    train_frame.path = train_path;
    const std::size_t train_file_rows = train_frame.rows;
    // Validation: a seeded share of the training rows, held out before anything is fitted (so the
    // preprocessing statistics come from the training part only); else the test set.
    std::optional<ml::Frame> val_frame;
    if (spec.data.validation_split > 0) {
        std::vector<std::size_t> order(train_frame.rows);
        for (std::size_t i = 0; i < order.size(); ++i) order[i] = i;
        std::mt19937_64 rng(spec.train.seed);
        for (std::size_t i = order.size(); i > 1; --i) std::swap(order[i - 1], order[rng() % i]);
        auto nval = std::size_t(std::llround(spec.data.validation_split * double(order.size())));
        if (nval == 0 || nval >= order.size())
            throw util::CommandError(util::Error::usage(fmt::format(
                "data.validation_split {} leaves {} validation rows of {}", spec.data.validation_split, nval, order.size())));
        std::vector<std::size_t> vrows(order.begin(), order.begin() + long(nval));
        std::vector<std::size_t> trows(order.begin() + long(nval), order.end());
        std::sort(vrows.begin(), vrows.end());
        std::sort(trows.begin(), trows.end());
        val_frame = ml::take_rows(train_frame, vrows);
        train_frame = ml::take_rows(train_frame, trows);
    }
    auto pre = util::value_or_throw(ml::Preprocessor::fit(train_frame, spec));
    auto enc = util::value_or_throw(ml::TargetEncoder::fit(*train_frame.find(spec.data.target), spec.task, train_path));
    Dataset train = load_dataset(train_path, pre, enc, train_frame);
    std::optional<Dataset> val;
    if (val_frame) val = load_dataset(train_path, pre, enc, *val_frame);

    std::optional<Dataset> test;
    std::string test_path;
    if (!spec.data.test.empty()) {
        test_path = spec.resolve(spec.data.test);
        ml::CsvOptions tcsv = csv;
        tcsv.text_columns = pre.text_columns();
        if (spec.task == ml::Task::classification) tcsv.text_columns.push_back(spec.data.target);
        auto reader = util::value_or_throw(ml::CsvReader::open(user_path(ctx, test_path)));
        util::check(pre.check_columns(reader.header(), test_path));
        auto frame = util::value_or_throw(ml::read_csv(user_path(ctx, test_path), tcsv));
        frame.path = test_path;
        test = load_dataset(test_path, pre, enc, frame);
    }

    if (!val && test) val = *test;
    const auto& es = spec.train.early_stopping;
    if (es.enabled && es.monitor != "train_loss" && !val)
        throw util::CommandError(util::Error::usage(fmt::format(
            "{}: train.early_stopping monitors {} but there is no validation data (set data.test or "
            "data.validation_split, or monitor train_loss)",
            opts.spec, es.monitor)));

    // Hyperparameters for the plugin.
    MlopsTrainConfig cfg{};
    cfg.task = int(spec.task);
    cfg.model_type = int(spec.model.type);
    cfg.activation = int(spec.model.activation);
    cfg.optimizer = int(spec.train.optimizer);
    cfg.hidden = spec.model.hidden.data();
    cfg.n_hidden = int(spec.model.hidden.size());
    cfg.channels = spec.model.channels.data();
    cfg.n_channels = int(spec.model.channels.size());
    for (std::size_t i = 0; i < 3 && i < spec.model.input_shape.size(); ++i) cfg.input_shape[i] = spec.model.input_shape[i];
    cfg.kernel_size = spec.model.kernel_size;
    cfg.dropout = spec.model.dropout;
    cfg.lr = spec.train.lr;
    cfg.weight_decay = spec.train.weight_decay;
    cfg.momentum = spec.train.momentum;
    cfg.epochs = spec.train.epochs;
    cfg.batch_size = spec.train.batch_size;
    cfg.seed = spec.train.seed;
    cfg.threads = int(spec.train.threads);
    cfg.early_stopping = es.enabled ? 1 : 0;
    cfg.monitor = es.monitor == "val_accuracy" ? 1 : es.monitor == "train_loss" ? 2 : (val ? 0 : 2);
    cfg.patience = es.patience;
    cfg.min_delta = es.min_delta;
    cfg.target_mean = enc.mean;
    cfg.target_std = enc.std;
    std::int64_t outputs = spec.task == ml::Task::classification ? std::int64_t(enc.classes.size()) : 1;

    std::string tmp = util::value_or_throw(ml::make_bundle_temp(out_dir));
    struct Cleanup {
        std::string dir;
        bool keep = false;
        ~Cleanup() {
            if (!keep) ml::remove_tree(dir);
        }
    } cleanup{tmp};

    // Progress only on a terminal, and not in CI even when it fakes one.
    const char* ci = std::getenv("CI");
    EpochSink sink{&ctx, ctx.progress() && !(ci && *ci && std::string_view(ci) != "false"), spec.task == ml::Task::classification};
    g_interrupted = 0;
    auto old_handler = std::signal(SIGINT, on_sigint);
    std::string model_path = util::join_path(tmp, ml::k_model_file);
    MlopsTrainResult result{};
    char err[2048] = "";
    MlopsMatrix xm{train.x.data.data(), std::int64_t(train.x.rows), std::int64_t(train.x.cols)};
    MlopsMatrix xv{val ? val->x.data.data() : nullptr, val ? std::int64_t(val->x.rows) : 0, std::int64_t(train.x.cols)};
    int rc = torch.api->train(&cfg, xm, train.y.data(), xv, val ? val->y.data() : nullptr, outputs, on_epoch, &sink,
                              model_path.c_str(), &result, err, sizeof err);
    std::signal(SIGINT, old_handler);
    if (sink.drawn) ctx.err() << "\r\x1b[K" << std::flush;
    if (rc != 0) {
        if (g_interrupted) {
            ctx.err() << "mlops: error: interrupted; nothing written\n";
            return int(util::ExitCode::interrupted);
        }
        throw util::CommandError(util::Error::usage(fmt::format("{}: training failed: {}", opts.spec, err)));
    }

    // Metrics through the saved module, exactly as evaluate computes them.
    void* handle = nullptr;
    if (torch.api->open_model(model_path.c_str(), cfg.threads, &handle, err, sizeof err) != 0)
        throw util::CommandError(util::Error::internal(err));
    struct Close {
        const MlopsTorchApi* api;
        void* h;
        ~Close() { api->close_model(h); }
    } close{torch.api, handle};
    nlohmann::json metrics = nlohmann::json::object();
    metrics["train"] = scalar_metrics(compute_metrics(spec.task, run_module(torch.api, handle, train.x, outputs), train.truth, enc.classes));
    if (val && spec.data.validation_split > 0)
        metrics["val"] = scalar_metrics(compute_metrics(spec.task, run_module(torch.api, handle, val->x, outputs), val->truth, enc.classes));
    if (test)
        metrics["test"] = scalar_metrics(compute_metrics(spec.task, run_module(torch.api, handle, test->x, outputs), test->truth, enc.classes));

    util::check(util::write_file_atomic(util::join_path(tmp, ml::k_history_file), sink.history, util::Durability::none));
    util::check(util::write_file_atomic(util::join_path(tmp, ml::k_metrics_file), ml::json_text(metrics), util::Durability::none));

    nlohmann::json manifest;
    manifest["format"] = ml::k_bundle_format;
    manifest["task"] = ml::to_string(spec.task);
    nlohmann::json sig = nlohmann::json::array();
    for (const auto& f : pre.features) {
        nlohmann::json e{{"name", f.name}, {"type", f.categorical ? "categorical" : "numeric"}};
        if (f.categorical) e["categories"] = f.categories;
        sig.push_back(e);
    }
    manifest["signature"] = {{"features", sig}, {"inputs", pre.width()}, {"target", spec.data.target}};
    manifest["preprocessing"] = pre.to_json();
    manifest["target"] = enc.to_json();
    manifest["classes"] = spec.task == ml::Task::classification ? nlohmann::json(enc.classes) : nlohmann::json(nullptr);
    manifest["spec"] = spec.to_json();
    auto data_entry = [&](const std::string& path, std::size_t rows) {
        return nlohmann::json{{"path", path}, {"oid", util::value_or_throw(util::sha256_file(user_path(ctx, path)))}, {"rows", rows}};
    };
    manifest["data"]["train"] = data_entry(train_path, train_file_rows);
    manifest["data"]["test"] = test ? data_entry(test_path, test->x.rows) : nlohmann::json(nullptr);
    auto commit = code_commit(ctx);
    manifest["code"] = {{"commit", commit ? nlohmann::json(*commit) : nlohmann::json(nullptr)},
                        {"mlops_version", MLOPS_VERSION},
                        {"torch_version", torch.api->torch_version}};
    manifest["training"] = {{"epochs_run", result.epochs_run},
                            {"best_epoch", result.best_epoch},
                            {"stopped_early", result.stopped_early != 0},
                            {"train_rows", train.x.rows},
                            {"val_rows", val ? val->x.rows : 0}};
    manifest["metrics"] = metrics;
    manifest["module"] = {{"file", ml::k_model_file},
                          {"format", "TorchScript"},
                          {"input", fmt::format("float32 [N, {}] (preprocessed features)", pre.width())},
                          {"output", spec.task == ml::Task::classification
                                         ? fmt::format("float32 [N, {}] class probabilities", enc.classes.size())
                                         : std::string("float32 [N, 1] predicted value")}};
    util::check(ml::hash_bundle_files(tmp, {ml::k_model_file, ml::k_history_file, ml::k_metrics_file}, manifest));
    std::string manifest_text = ml::json_text(manifest);
    util::check(util::write_file_atomic(util::join_path(tmp, ml::k_manifest_file), manifest_text, util::Durability::none));
    util::check(util::sync_filesystem(tmp));
    util::check(ml::publish_bundle(tmp, out_dir));
    cleanup.keep = true;
    if (!opts.metrics_file.empty())
        util::check(util::write_file_atomic(user_path(ctx, opts.metrics_file), ml::json_text(metrics), util::Durability::fsync));

    std::string oid = util::sha256_hex(manifest_text);
    std::string model_oid = manifest["files"][ml::k_model_file]["sha256"];
    if (ctx.global.json) {
        ctx.print_json({{"bundle", shown_out},
                        {"oid", oid},
                        {"model_sha256", model_oid},
                        {"epochs_run", result.epochs_run},
                        {"best_epoch", result.best_epoch},
                        {"stopped_early", result.stopped_early != 0},
                        {"metrics", metrics}});
        return 0;
    }
    const char* key = spec.task == ml::Task::classification ? "accuracy" : "rmse";
    std::string summary;
    for (const char* part : {"train", "val", "test"})
        if (metrics.contains(part) && metrics[part].contains(key) && metrics[part][key].is_number())
            summary += fmt::format("  {} {} {:.4f}", part, key, metrics[part][key].get<double>());
    ctx.say(fmt::format("Trained {} on {} ({} rows, {} inputs) for {} epoch{}{}", ml::to_string(spec.model.type),
                        train_path, train.x.rows, train.x.cols, result.epochs_run, result.epochs_run == 1 ? "" : "s",
                        result.stopped_early ? fmt::format(" (early stop; best epoch {})", result.best_epoch) : ""));
    ctx.say(summary.empty() ? std::string("(no metrics)") : summary.substr(2));
    ctx.say(fmt::format("Wrote {} (bundle oid {}, model.pt sha256 {})", shown_out, oid.substr(0, 12), model_oid.substr(0, 12)));
    return 0;
}

Runner register_train(CLI::App& app) {
    auto opts = std::make_shared<TrainOptions>();
    auto* cmd = app.add_subcommand("train", "Train a model from a YAML spec and write a model bundle (docs/training.md)");
    cmd->add_option("spec", opts->spec, "The model spec (YAML)")->required()->type_name("SPEC");
    cmd->add_option("-o,--output", opts->out, "Bundle folder (default: the spec's name without .yaml, here)")->type_name("DIR");
    cmd->add_option("--set", opts->sets, "Override a spec value, e.g. --set train.lr=0.01 (repeatable)")->type_name("KEY=VALUE");
    cmd->add_option("--metrics", opts->metrics_file, "Also write metrics.json to FILE (for a pipeline's `metrics:`)")->type_name("FILE");
    cmd->add_option("-j,--threads", opts->threads, "Training threads (overrides train.threads; default 1)")->type_name("N")->check(CLI::PositiveNumber);
    return [opts](Context& ctx) { return run_train(ctx, *opts); };
}

} // namespace mlops::cli
