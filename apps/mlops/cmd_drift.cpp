// mlops drift REFERENCE CURRENT: per-column and multivariate drift between two CSV files (or
// tracked data at a revision, or objects), prediction and accuracy drift with a model or a
// prediction column; an HTML, Markdown or JSON report; exit 1 on drift with --fail-on-drift.
#include "commands.hpp"

#include <filesystem>
#include <memory>
#include <optional>

#include <mlops/drift/analysis.hpp>
#include <mlops/drift/html.hpp>
#include <mlops/drift/performance.hpp>
#include <mlops/drift/source.hpp>
#include <mlops/pipeline/record.hpp>
#include <mlops/site/gather.hpp>
#include <mlops/util/fs.hpp>
#include <mlops/util/parallel.hpp>
#include <mlops/util/paths.hpp>

#include "data_cli.hpp"
#include "ml_cli.hpp"

namespace mlops::cli {

struct DriftOptions {
    std::string reference, current;
    std::string model, target, prediction;
    std::string output, format;
    std::vector<std::string> methods, thresholds;
    double drift_share = 0.5;
    double performance_threshold = -1;
    bool allow_missing = false;
    bool fail_on_drift = false;
    bool no_multivariate = false;
    std::size_t chunk_rows = 65536;
    int threads = 0;
};

namespace {

// The model bundle folder for --model: a folder made by `mlops train`, or a registered model
// (NAME@ALIAS, NAME:VERSION) written out of the store.
std::string model_folder_for(Context& ctx, const std::string& spec) {
    auto path = model_dir(ctx, spec);
    std::error_code ec;
    if (std::filesystem::is_directory(path, ec)) return path;
    throw util::CommandError(util::Error::usage(fmt::format("--model {}: no such model bundle folder", spec)));
}

std::string format_for(const DriftOptions& o) {
    if (!o.format.empty()) return o.format;
    auto ext = std::filesystem::path(o.output).extension().string();
    if (ext == ".md") return "md";
    if (ext == ".json") return "json";
    return "html";
}

std::string render(const drift::Report& r, const std::string& format) {
    if (format == "md") return drift::to_markdown(r);
    if (format == "json") return drift::to_json(r).dump(2) + "\n";
    return drift::to_html(r);
}

// A model's outputs as a column of each file, and its metrics where the file has labels.
struct ModelRun {
    TorchPlugin torch;
    std::unique_ptr<LoadedModel> model;
    std::string column; // name of the added prediction column
    std::string label;  // what the report calls the model

    struct Side {
        std::vector<float> outputs;
        std::vector<double> truth;
    };
    Side sides[2];

    util::Status add(const ml::Frame& f, drift::DatasetProfile& p, int side, const std::string& target) {
        const auto& pre = model->preprocessor();
        std::vector<std::size_t> kept;
        auto x = pre.transform(f, &kept);
        if (!x) return util::fail(x.error());
        auto y = model->run(*x);
        auto* col = p.find(column);
        if (!col) {
            drift::ColumnProfile c;
            c.name = column;
            c.type = model->task() == ml::Task::classification ? drift::ColumnType::categorical : drift::ColumnType::numeric;
            p.columns.push_back(std::move(c));
            col = &p.columns.back();
        }
        const auto& classes = model->target().classes;
        auto outs = std::size_t(model->outputs());
        std::vector<char> has(f.rows, 0);
        std::vector<std::size_t> slot(f.rows, 0);
        for (std::size_t k = 0; k < kept.size(); ++k) has[kept[k]] = 1, slot[kept[k]] = k;
        for (std::size_t r = 0; r < f.rows; ++r) {
            if (!has[r]) {
                if (col->type == drift::ColumnType::numeric) col->add_number(std::nan(""));
                else col->add_text("");
                continue;
            }
            const float* o = y.data() + slot[r] * outs;
            if (col->type == drift::ColumnType::numeric) {
                col->add_number(double(o[0]));
            } else {
                std::size_t best = 0;
                for (std::size_t c = 1; c < outs; ++c)
                    if (o[c] > o[best]) best = c;
                col->add_text(classes[best]);
            }
        }
        // Metrics on the rows that have a label.
        const ml::Column* t = target.empty() ? nullptr : f.find(target);
        if (t) {
            std::vector<std::size_t> labelled, labelled_slot;
            for (std::size_t k = 0; k < kept.size(); ++k)
                if (!t->missing(kept[k])) labelled.push_back(kept[k]), labelled_slot.push_back(k);
            auto truth = truth_values(model->target(), f, labelled);
            auto& s = sides[side];
            s.truth.insert(s.truth.end(), truth.begin(), truth.end());
            for (std::size_t k : labelled_slot) s.outputs.insert(s.outputs.end(), y.begin() + long(k * outs), y.begin() + long((k + 1) * outs));
        }
        return {};
    }
};

void print_summary(Context& ctx, const drift::Report& r) {
    auto& out = ctx.out();
    out << fmt::format("{}: {} of {} columns drifted (share {}, threshold {})\n",
                       r.drift_detected ? paint(ctx, "31", "Drift detected") : paint(ctx, "32", "No drift"), r.drifted_columns,
                       r.columns.size(), drift::format_number(r.drift_share), drift::format_number(r.drift_share_threshold));
    const auto& m = r.multivariate;
    if (m.computed)
        out << fmt::format("Multivariate (PCA reconstruction error): {} of {} current chunks outside [{}, {}]\n", m.alerts,
                           m.current_chunks.size(), drift::format_number(m.lower), drift::format_number(m.upper));
    if (r.performance) {
        const auto& p = *r.performance;
        out << fmt::format("Performance ({}): {} {} -> {}{}\n", p.source, p.metric, drift::format_number(p.reference),
                           drift::format_number(p.current), p.drifted ? " (degraded)" : "");
    }
    std::size_t w = 6;
    for (const auto& c : r.columns) w = std::max(w, c.name.size());
    out << fmt::format("\n{:<{}}  {:<16}  {:>10}  {:>9}  {:<7}  {}\n", "Column", w, "Test", "Score", "Threshold", "Verdict",
                       "Missing (ref/cur)");
    for (const auto& c : r.columns) {
        out << fmt::format("{:<{}}  {:<16}  {:>10}  {:>9}  {:<7}  {}/{}{}\n", c.name, w, c.method, drift::format_number(c.score),
                           c.method == "none" ? "-" : drift::format_number(c.threshold), c.drifted ? "drift" : "ok",
                           c.reference_missing, c.current_missing, c.note.empty() ? "" : "  (" + c.note + ")");
    }
}

// Inside a repository, the report is kept as the latest for its pair of inputs, for the Health
// page of `mlops report site` (docs/report-site.md). A failure to keep it is a warning.
void save_for_site(Context& ctx, const DriftOptions& opts, const drift::Report& report) {
    auto repo = workspace::Repository::discover(ctx.cwd());
    if (!repo) return;
    auto path = site::drift_report_path((*repo)->root(), opts.reference, opts.current);
    nlohmann::json saved = {{"version", 1}, {"time", pipeline::iso_time(util::now_ns())}, {"reference", opts.reference},
                            {"current", opts.current}, {"report", drift::to_json(report)}};
    auto st = util::make_dirs(util::parent_path(path));
    if (st) st = util::write_file_atomic(path, saved.dump() + "\n", util::Durability::none);
    if (!st) ctx.warn(fmt::format("cannot keep the drift report for the site: {}", st.error().message));
}

} // namespace

int run_drift(Context& ctx, const DriftOptions& opts) {
    drift::Options o;
    for (const auto& m : opts.methods) util::check(drift::add_method_option(o, m));
    for (const auto& t : opts.thresholds) util::check(drift::add_threshold_option(o, t));
    if (!(opts.drift_share >= 0 && opts.drift_share <= 1))
        throw util::CommandError(util::Error::usage(fmt::format("--drift-share {}: give a share between 0 and 1", opts.drift_share)));
    if (!opts.format.empty() && opts.format != "md" && opts.format != "html" && opts.format != "json")
        throw util::CommandError(util::Error::usage(fmt::format("--format {}: one of md, html, json", opts.format)));
    o.drift_share = opts.drift_share;
    o.target = opts.target;
    o.prediction = opts.prediction;
    o.multivariate = !opts.no_multivariate;
    o.threads = unsigned(opts.threads);

    auto ref_in = data_input(ctx, opts.reference);
    auto cur_in = data_input(ctx, opts.current);
    // Both files sniffed at once; the reference's error first.
    std::optional<util::Result<drift::Sniffed>> sniffed[2];
    (void)util::parallel_for(2, 2, [&](std::size_t i) -> util::Status {
        sniffed[i] = i == 0 ? drift::sniff(ref_in.path, ref_in.label) : drift::sniff(cur_in.path, cur_in.label);
        return {};
    });
    auto ref_sniff = util::value_or_throw(std::move(*sniffed[0]));
    auto cur_sniff = util::value_or_throw(std::move(*sniffed[1]));
    auto has = [](const drift::Sniffed& s, const std::string& c) {
        return std::find(s.header.begin(), s.header.end(), c) != s.header.end();
    };
    bool labelled = false;
    if (!opts.target.empty()) {
        if (!has(ref_sniff, opts.target))
            throw util::CommandError(util::Error::usage(fmt::format("--target {}: {} has no column '{}'", opts.target, ref_in.label, opts.target)));
        labelled = has(cur_sniff, opts.target);
        if (!labelled) {
            ctx.warn(fmt::format("{} has no '{}' column (no labels): no accuracy comparison", cur_in.label, opts.target));
            auto it = std::find(ref_sniff.header.begin(), ref_sniff.header.end(), opts.target);
            ref_sniff.types.erase(ref_sniff.types.begin() + (it - ref_sniff.header.begin()));
            ref_sniff.header.erase(it);
        }
    }
    if (!opts.prediction.empty())
        for (const auto* s : {&ref_sniff, &cur_sniff})
            if (!has(*s, opts.prediction))
                throw util::CommandError(util::Error::usage(fmt::format("--prediction {}: {} has no column '{}'", opts.prediction,
                                                                        s == &ref_sniff ? ref_in.label : cur_in.label, opts.prediction)));
    auto plan = util::value_or_throw(drift::plan_pair(ref_sniff, ref_in.label, cur_sniff, cur_in.label, opts.allow_missing));
    for (const auto& w : plan.warnings) ctx.warn(w);
    plan.read.chunk_rows = opts.chunk_rows;
    plan.read.threads = unsigned(opts.threads);
    plan.read.keep_rows = o.multivariate; // only the multivariate check needs the rows

    // The LibTorch plugin is loaded only here, with --model.
    std::unique_ptr<ModelRun> model;
    if (!opts.model.empty()) {
        if (!opts.prediction.empty())
            throw util::CommandError(util::Error::usage("--model and --prediction: give one source of predictions"));
        auto dir = model_folder_for(ctx, opts.model);
        model = std::make_unique<ModelRun>(ModelRun{load_torch(), nullptr, "", opts.model, {}});
        model->model = std::make_unique<LoadedModel>(model->torch, dir, 1);
        const auto& pre = model->model->preprocessor();
        util::check(pre.check_columns(ref_sniff.header, ref_in.label));
        util::check(pre.check_columns(cur_sniff.header, cur_in.label));
        for (const auto& t : pre.text_columns())
            if (std::find(plan.read.text_columns.begin(), plan.read.text_columns.end(), t) == plan.read.text_columns.end())
                plan.read.text_columns.push_back(t);
        // As evaluate reads it: class labels are text (also when they look like numbers).
        if (model->model->task() == ml::Task::classification && labelled &&
            std::find(plan.read.text_columns.begin(), plan.read.text_columns.end(), opts.target) == plan.read.text_columns.end())
            plan.read.text_columns.push_back(opts.target);
        model->column = has(ref_sniff, "prediction") || has(cur_sniff, "prediction") ? "model_prediction" : "prediction";
        o.prediction = model->column;
    }
    if (model && !opts.target.empty() && model->model->target().target_name != opts.target)
        throw util::CommandError(util::Error::usage(fmt::format("--target {}: the model predicts '{}'", opts.target,
                                                                model->model->target().target_name)));

    drift::PerformanceTracker trackers[2];
    auto hook_for = [&](int side) -> drift::ChunkHook {
        return [&, side](const ml::Frame& f, drift::DatasetProfile& p) -> util::Status {
            if (model) return model->add(f, p, side, labelled ? opts.target : std::string());
            if (labelled && !opts.prediction.empty()) trackers[side].add(f, opts.prediction, opts.target);
            return {};
        };
    };
    drift::ChunkHook no_hook;
    bool need_hook = model || (labelled && !opts.prediction.empty());
    auto ref = util::value_or_throw(drift::read_profile(ref_in.path, ref_in.label, plan.read, need_hook ? hook_for(0) : no_hook));
    auto cur = util::value_or_throw(drift::read_profile(cur_in.path, cur_in.label, plan.read, need_hook ? hook_for(1) : no_hook));

    // Read before analyze consumes the profiles' values.
    bool target_classes = labelled && !model && !opts.prediction.empty() && ref.find(opts.target) && drift::looks_like_classes(*ref.find(opts.target));
    auto report = util::value_or_throw(drift::analyze(std::move(ref), std::move(cur), o));
    report.warnings = plan.warnings;
    if (labelled && model) {
        auto task = model->model->task();
        auto classes = model->model->target().classes;
        auto& a = model->sides[0];
        auto& b = model->sides[1];
        if (!a.truth.empty() && !b.truth.empty()) {
            auto ma = compute_metrics(task, a.outputs, a.truth, classes);
            auto mb = compute_metrics(task, b.outputs, b.truth, classes);
            bool cls = task == ml::Task::classification;
            const char* metric = cls ? "accuracy" : "rmse";
            auto p = drift::compare_performance(cls ? "classification" : "regression", "model " + opts.model,
                                                ma[metric].get<double>(), mb[metric].get<double>(), opts.performance_threshold);
            p.reference_rows = a.truth.size();
            p.current_rows = b.truth.size();
            p.reference_metrics = scalar_metrics(ma);
            p.current_metrics = scalar_metrics(mb);
            report.performance = p;
        }
    } else if (labelled && !opts.prediction.empty()) {
        bool classes = target_classes;
        report.performance = drift::compare_columns(trackers[0], trackers[1], classes, "column " + opts.prediction,
                                                    opts.performance_threshold);
    }
    drift::finish(report);
    save_for_site(ctx, opts, report);

    auto format = format_for(opts);
    if (!opts.output.empty())
        util::check(util::write_file_atomic(user_path(ctx, opts.output), render(report, format), util::Durability::none));
    if (ctx.global.json) {
        ctx.print_json(drift::to_json(report));
    } else if (opts.output.empty() && !opts.format.empty() && opts.format != "html") {
        ctx.out() << render(report, opts.format);
    } else if (!ctx.global.quiet) {
        print_summary(ctx, report);
        if (!opts.output.empty()) ctx.out() << fmt::format("\nReport written to {}\n", opts.output);
    }
    return report.drift_detected && opts.fail_on_drift ? int(util::ExitCode::condition_false) : 0;
}

Runner register_drift(CLI::App& app) {
    auto opts = std::make_shared<DriftOptions>();
    auto* cmd = app.add_subcommand("drift", "Compare the data distributions of two datasets (docs/drift.md)");
    cmd->add_option("reference", opts->reference, "Reference data: a CSV file, a tracked PATH@REVISION or an object id")
        ->required()->type_name("REFERENCE");
    cmd->add_option("current", opts->current, "Current data: a CSV file, a tracked PATH@REVISION or an object id")
        ->required()->type_name("CURRENT");
    cmd->add_option("--model", opts->model, "Model bundle folder or registered model (NAME@ALIAS, NAME:VERSION): its predictions are compared too")->type_name("MODEL");
    cmd->add_option("--target", opts->target, "Label column: accuracy drift when CURRENT has it")->type_name("COL");
    cmd->add_option("--prediction", opts->prediction, "Column with a model's predictions (prediction drift)")->type_name("COL");
    cmd->add_option("-o,--output", opts->output, "Write the report to FILE (format from --format or the extension; default HTML)")
        ->type_name("FILE");
    cmd->add_option("--format", opts->format, "Report format: html, md (Markdown summary) or json")->type_name("FORMAT");
    cmd->add_option("--method", opts->methods,
                    "Test for every column it applies to (NAME) or for one (COL=NAME); repeatable. Tests: ks, chisquare, z, "
                    "wasserstein, jensenshannon, psi, kl_div, hellinger, anderson, cramer_von_mises")
        ->type_name("[COL=]NAME");
    cmd->add_option("--threshold", opts->thresholds, "Drift threshold for every column (X) or for one (COL=X); repeatable")
        ->type_name("[COL=]X");
    cmd->add_option("--drift-share", opts->drift_share, "Dataset drift when at least this share of columns drifted (default 0.5)")
        ->type_name("X");
    cmd->add_option("--performance-threshold", opts->performance_threshold,
                    "Tolerated worsening: accuracy drop (default 0.05) or relative RMSE increase (default 0.1)")
        ->type_name("X");
    cmd->add_flag("--allow-missing", opts->allow_missing, "Compare the common columns when the files' columns differ (with a warning)");
    cmd->add_flag("--fail-on-drift", opts->fail_on_drift, "Exit 1 when drift is detected");
    cmd->add_flag("--no-multivariate", opts->no_multivariate, "Skip the PCA reconstruction check");
    cmd->add_option("--chunk-rows", opts->chunk_rows, "Rows read at a time (default 65536)")->type_name("N")->check(CLI::PositiveNumber);
    cmd->add_option("-j,--threads", opts->threads, "Threads (default: one per core)")->type_name("N")->check(CLI::PositiveNumber);
    return [opts](Context& ctx) { return run_drift(ctx, *opts); };
}

} // namespace mlops::cli
