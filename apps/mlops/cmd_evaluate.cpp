// mlops evaluate MODEL DATA.csv: the model's metrics on labelled data, as a table, JSON or a
// metrics file; --min/--max turn it into a gate (exit 1 when a metric misses).
#include "commands.hpp"

#include <mlops/ml/bundle.hpp>
#include <mlops/ml/csv.hpp>
#include <mlops/ml/metrics.hpp>
#include <mlops/util/fs.hpp>

#include "ml_cli.hpp"

namespace mlops::cli {

struct EvaluateOptions {
    std::string model;
    std::string data;
    std::string out;
    std::vector<std::string> mins, maxs;
    int threads = 0;
};

namespace {

constexpr std::size_t k_chunk_rows = 65536;

std::string fixed(const nlohmann::json& v) { return v.is_null() ? std::string("-") : fmt::format("{:.4f}", v.get<double>()); }

void print_table(Context& ctx, const nlohmann::json& m, ml::Task task) {
    auto& out = ctx.out();
    out << fmt::format("{:<16} {:>10}\n", "Metric", "Value");
    for (const auto& [k, v] : m.items())
        if (v.is_number_float() || v.is_null()) out << fmt::format("{:<16} {:>10}\n", k, fixed(v));
    out << fmt::format("{:<16} {:>10}\n", "rows", m["n"].get<std::size_t>());
    if (task != ml::Task::classification) return;
    const auto& labels = m["confusion_matrix"]["labels"];
    std::size_t w = 5;
    for (const auto& l : labels) w = std::max(w, l.get<std::string>().size());
    out << fmt::format("\n{:<{}}  {:>9}  {:>9}  {:>9}  {:>7}\n", "Class", w, "Precision", "Recall", "F1", "Support");
    for (const auto& l : labels) {
        const auto& c = m["per_class"][l.get<std::string>()];
        out << fmt::format("{:<{}}  {:>9.4f}  {:>9.4f}  {:>9.4f}  {:>7}\n", l.get<std::string>(), w, c["precision"].get<double>(),
                           c["recall"].get<double>(), c["f1"].get<double>(), c["support"].get<std::size_t>());
    }
    out << "\nConfusion matrix (rows: true class, columns: predicted)\n";
    std::size_t cw = w;
    for (const auto& row : m["confusion_matrix"]["matrix"])
        for (const auto& v : row) cw = std::max(cw, std::to_string(v.get<std::size_t>()).size());
    out << fmt::format("{:<{}}", "", w);
    for (const auto& l : labels) out << fmt::format("  {:>{}}", l.get<std::string>(), cw);
    out << "\n";
    std::size_t i = 0;
    for (const auto& row : m["confusion_matrix"]["matrix"]) {
        out << fmt::format("{:<{}}", labels[i++].get<std::string>(), w);
        for (const auto& v : row) out << fmt::format("  {:>{}}", v.get<std::size_t>(), cw);
        out << "\n";
    }
}

} // namespace

int run_evaluate(Context& ctx, const EvaluateOptions& opts) {
    std::vector<ml::Threshold> thresholds;
    for (const auto& t : opts.mins) thresholds.push_back(util::value_or_throw(ml::parse_threshold(t, true)));
    for (const auto& t : opts.maxs) thresholds.push_back(util::value_or_throw(ml::parse_threshold(t, false)));
    ModelOnData in(ctx, model_dir(ctx, opts.model), opts.data, opts.threads);
    auto& [torch, model, reader, csv] = in;
    const auto& pre = model.preprocessor();
    const auto& enc = model.target();
    if (std::find(reader.header().begin(), reader.header().end(), enc.target_name) == reader.header().end())
        throw util::CommandError(util::Error::usage(
            fmt::format("{}: no target column '{}' (evaluate needs labelled data; predict does not)", opts.data, enc.target_name)));
    if (model.task() == ml::Task::classification) csv.text_columns.push_back(enc.target_name);

    std::vector<float> outputs;
    std::vector<double> truth;
    std::size_t rows = 0, dropped = 0;
    while (!reader.done()) {
        auto frame = util::value_or_throw(reader.next(k_chunk_rows, csv));
        frame.path = opts.data;
        if (frame.rows == 0) break;
        std::vector<std::size_t> kept;
        auto x = util::value_or_throw(pre.transform(frame, &kept));
        auto t = truth_values(enc, frame, kept);
        auto y = model.run(x);
        outputs.insert(outputs.end(), y.begin(), y.end());
        truth.insert(truth.end(), t.begin(), t.end());
        rows += frame.rows;
        dropped += frame.rows - kept.size();
    }
    if (rows == 0) throw util::CommandError(util::Error::usage(fmt::format("{}: no data rows (only a header line)", opts.data)));
    if (truth.empty()) throw util::CommandError(util::Error::usage(fmt::format("{}: every row was dropped for missing values", opts.data)));
    auto metrics = compute_metrics(model.task(), outputs, truth, enc.classes);
    if (dropped) metrics["dropped_rows"] = dropped;
    auto misses = util::value_or_throw(ml::check_thresholds(metrics, thresholds));

    if (!opts.out.empty())
        util::check(util::write_file_atomic(user_path(ctx, opts.out), ml::json_text(metrics), util::Durability::fsync));
    if (ctx.global.json) {
        nlohmann::json j = metrics;
        j["model"] = opts.model;
        j["data"] = opts.data;
        j["task"] = ml::to_string(model.task());
        nlohmann::json checks = nlohmann::json::array();
        for (const auto& t : thresholds) checks.push_back({{"metric", t.metric}, {t.is_min ? "min" : "max", t.value}});
        j["thresholds"] = checks;
        j["failed"] = misses;
        ctx.print_json(j);
    } else if (!ctx.global.quiet) {
        if (dropped) ctx.say(fmt::format("({} rows with missing values dropped)", dropped));
        print_table(ctx, metrics, model.task());
    }
    for (const auto& m : misses) ctx.err() << "mlops: gate failed: " << m << "\n";
    return misses.empty() ? 0 : int(util::ExitCode::condition_false);
}

Runner register_evaluate(CLI::App& app) {
    auto opts = std::make_shared<EvaluateOptions>();
    auto* cmd = app.add_subcommand("evaluate", "A model's metrics on labelled data (docs/training.md)");
    cmd->add_option("model", opts->model, "Model bundle folder (written by mlops train)")->required()->type_name("MODEL");
    cmd->add_option("data", opts->data, "CSV with the model's feature columns and its target")->required()->type_name("DATA.csv");
    cmd->add_option("-o,--output", opts->out, "Write the metrics as JSON to FILE")->type_name("FILE");
    cmd->add_option("--min", opts->mins, "Exit 1 unless METRIC >= VALUE (e.g. accuracy=0.95; repeatable)")->type_name("METRIC=VALUE");
    cmd->add_option("--max", opts->maxs, "Exit 1 unless METRIC <= VALUE (e.g. log_loss=0.2; repeatable)")->type_name("METRIC=VALUE");
    cmd->add_option("-j,--threads", opts->threads, "Inference threads (default: the model's train.threads)")->type_name("N")->check(CLI::PositiveNumber);
    return [opts](Context& ctx) { return run_evaluate(ctx, *opts); };
}

} // namespace mlops::cli
