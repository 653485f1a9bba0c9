// mlops explain MODEL DATA.csv: which inputs drive a model's decisions: permutation importance
// (global, any model) and integrated gradients (per row, through LibTorch's autograd), as an HTML
// page, Markdown or JSON (docs/explain.md).
#include "commands.hpp"

#include <charconv>
#include <filesystem>
#include <limits>
#include <numeric>

#include <mlops/explain/explain.hpp>
#include <mlops/registry/registry.hpp>
#include <mlops/util/hash.hpp>
#include <mlops/util/paths.hpp>
#include <mlops/util/fs.hpp>
#include <mlops/util/strings.hpp>

#include "ml_cli.hpp"

namespace mlops::cli {

struct ExplainOptions {
    std::string model, data;
    std::string method = "both";
    std::string rows;
    std::string output, format;
    std::size_t repeats = 5;
    std::uint64_t seed = 0;
    std::string metric;
    std::string baseline = "zeros";
    std::size_t steps = 50;
    std::string integration = "gausslegendre";
    std::string target;
    double tolerance = 0.05;
    std::string attach;
    int threads = 0;
};

namespace {

util::Error usage(std::string m) { return util::Error::usage(std::move(m)); }

std::vector<std::size_t> parse_rows(const std::string& text, std::size_t n) {
    std::vector<std::size_t> out;
    for (auto part : util::split(text, ',')) {
        part = util::trim(part);
        std::size_t v = 0;
        auto [p, ec] = std::from_chars(part.data(), part.data() + part.size(), v);
        if (part.empty() || ec != std::errc() || p != part.data() + part.size())
            throw util::CommandError(usage(fmt::format("--rows '{}': '{}' is not a row index (0-based, comma-separated)", text, part)));
        if (v >= n)
            throw util::CommandError(usage(fmt::format("--rows {}: the data has {} rows (0-{})", v, n, n - 1)));
        out.push_back(v);
    }
    return out;
}

// The rows of `f` listed in `keep`, in that order.
ml::Frame subset(const ml::Frame& f, const std::vector<std::size_t>& keep) {
    ml::Frame out;
    out.path = f.path;
    out.rows = keep.size();
    for (const auto& c : f.columns) {
        ml::Column n;
        n.name = c.name;
        n.is_text = c.is_text;
        for (auto r : keep) {
            if (c.is_text) n.texts.push_back(c.texts[r]);
            else n.numbers.push_back(c.numbers[r]);
        }
        out.columns.push_back(std::move(n));
    }
    return out;
}

} // namespace

int run_explain(Context& ctx, const ExplainOptions& opts) {
    if (opts.method != "permutation" && opts.method != "integrated-gradients" && opts.method != "both")
        throw util::CommandError(usage(fmt::format("--method '{}': permutation, integrated-gradients or both", opts.method)));
    if (!opts.format.empty() && opts.format != "html" && opts.format != "md" && opts.format != "json")
        throw util::CommandError(usage(fmt::format("--format {}: one of html, md, json", opts.format)));
    if (opts.repeats < 1) throw util::CommandError(usage("--repeats: at least 1"));
    if (opts.steps < 2) throw util::CommandError(usage("--steps: at least 2"));
    if (!(opts.tolerance > 0)) throw util::CommandError(usage("--tolerance: a positive number"));
    auto rule = util::value_or_throw(explain::parse_rule(opts.integration));
    const bool want_perm = opts.method != "integrated-gradients", want_ig = opts.method != "permutation";

    // --attach NAME:VERSION: the version must hold the model being explained (checked before any work).
    std::optional<registry::VersionEntry> attach_to;
    auto model_path = model_dir(ctx, opts.model);
    if (!opts.attach.empty()) {
        auto ref = util::value_or_throw(registry::parse_model_ref(opts.attach));
        if (ref.version == 0 && ref.alias.empty())
            throw util::CommandError(usage(fmt::format("--attach {}: name a version (NAME:VERSION or NAME@ALIAS)", opts.attach)));
        auto state = util::value_or_throw(registry::load_model(ctx.repo(), ref.name));
        const auto* v = util::value_or_throw(registry::resolve(state, ref));
        auto theirs = util::value_or_throw(util::read_file(util::join_path(util::value_or_throw(registry::model_folder(ctx.repo(), *v)), "manifest.json")));
        auto ours = util::read_file(util::join_path(model_path, "manifest.json"));
        if (!ours || *ours != theirs)
            throw util::CommandError(usage(fmt::format("--attach {}: {} is not the model of {} version {} (explain that version, e.g. `mlops explain {}:{} ...`)",
                                                       opts.attach, opts.model, v->name, v->version, v->name, v->version)));
        attach_to = *v;
    }
    ModelOnData in(ctx, model_path, opts.data, opts.threads);
    auto& model = in.model;
    const auto& pre = model.preprocessor();
    const auto& enc = model.target();
    const bool cls = model.task() == ml::Task::classification;
    const auto k = std::size_t(model.outputs());
    bool labelled = std::find(in.reader.header().begin(), in.reader.header().end(), enc.target_name) != in.reader.header().end();
    if (labelled && cls) in.csv.text_columns.push_back(enc.target_name);
    auto frame = util::value_or_throw(in.reader.next(std::numeric_limits<std::size_t>::max(), in.csv));
    frame.path = opts.data;
    if (frame.rows == 0) throw util::CommandError(usage(fmt::format("{}: no data rows (only a header line)", opts.data)));

    explain::Report report;
    report.model = opts.model;
    report.data = opts.data;
    report.task = cls ? "classification" : "regression";
    // Rows the preprocessing drops (missing values with missing: drop) are left out up front.
    std::vector<std::size_t> kept;
    auto x = util::value_or_throw(pre.transform(frame, &kept));
    if (kept.size() != frame.rows) {
        report.notes.push_back(fmt::format("{} rows with missing values left out, as the model's spec drops them", frame.rows - kept.size()));
        frame = subset(frame, kept);
        if (frame.rows == 0) throw util::CommandError(usage(fmt::format("{}: every row has a missing value", opts.data)));
    }
    report.rows = frame.rows;
    auto shown = opts.rows.empty() ? std::vector<std::size_t>{} : parse_rows(opts.rows, frame.rows);
    if (opts.rows.empty())
        for (std::size_t r = 0; r < std::min<std::size_t>(3, frame.rows); ++r) shown.push_back(r);
    report.shown_rows = shown;

    // --- permutation importance ---
    if (want_perm) {
        if (!labelled) {
            if (opts.method == "permutation")
                throw util::CommandError(usage(fmt::format("{}: no target column '{}': permutation importance needs labelled data", opts.data, enc.target_name)));
            report.notes.push_back(fmt::format("no '{}' column in the data: permutation importance skipped (it needs labels)", enc.target_name));
        } else {
            auto scoring = util::value_or_throw(explain::parse_scoring(opts.metric.empty() ? (cls ? "accuracy" : "r2") : opts.metric));
            bool cls_metric = scoring == explain::Scoring::accuracy || scoring == explain::Scoring::log_loss;
            if (cls_metric != cls)
                throw util::CommandError(usage(fmt::format("--metric {}: not a {} metric ({})", opts.metric, report.task,
                                                           cls ? "accuracy, log_loss" : "r2, rmse")));
            std::vector<std::size_t> all(frame.rows);
            std::iota(all.begin(), all.end(), std::size_t(0));
            auto truth = truth_values(enc, frame, all);
            std::vector<std::string> features;
            for (const auto& f : pre.features) features.push_back(f.name);
            explain::Predict predict = [&](const ml::Frame& f) -> util::Result<std::vector<float>> {
                auto m = pre.transform(f);
                if (!m) return util::fail(m.error());
                return model.run(*m);
            };
            report.permutation = util::value_or_throw(
                explain::permutation_importance(frame, features, predict, k, truth, scoring, opts.repeats, opts.seed));
        }
    }

    // --- integrated gradients ---
    bool completeness_failed = false;
    if (want_ig) {
        const std::size_t w = x.cols;
        std::vector<float> baseline(w, 0.0f);
        if (opts.baseline == "zeros") {
            // The all-zero model input (Captum's default): each feature at the training data's
            // centre, where the standardised network input is 0.
            report.baseline = "zeros";
        } else if (opts.baseline == "mean") {
            for (std::size_t r = 0; r < x.rows; ++r)
                for (std::size_t c = 0; c < w; ++c) baseline[c] += x.data[r * w + c] / float(x.rows);
            report.baseline = "mean";
        } else {
            auto row = parse_rows(opts.baseline, frame.rows);
            if (row.size() != 1) throw util::CommandError(usage(fmt::format("--baseline '{}': zeros, mean or one row index", opts.baseline)));
            std::copy(x.data.begin() + long(row[0] * w), x.data.begin() + long((row[0] + 1) * w), baseline.begin());
            report.baseline = fmt::format("row {}", row[0]);
        }
        // The output explained: --target CLASS, else each row's predicted class.
        std::vector<std::int64_t> target(x.rows, 0);
        if (cls) {
            if (!opts.target.empty()) {
                auto it = std::find(enc.classes.begin(), enc.classes.end(), opts.target);
                if (it == enc.classes.end())
                    throw util::CommandError(usage(fmt::format("--target {}: not a class of the model ({})", opts.target, fmt::join(enc.classes, ", "))));
                std::fill(target.begin(), target.end(), std::int64_t(it - enc.classes.begin()));
            } else {
                auto out = model.run(x);
                for (std::size_t r = 0; r < x.rows; ++r) {
                    const float* p = out.data() + r * k;
                    target[r] = std::int64_t(std::max_element(p, p + k) - p);
                }
            }
        } else if (!opts.target.empty()) {
            throw util::CommandError(usage("--target names a class; a regression model has one output"));
        }
        const auto* api = model.api();
        explain::Gradient gradient = [&](const ml::Matrix& m, const std::vector<std::int64_t>& t, std::vector<float>& values,
                                         std::vector<float>& grads) -> util::Status {
            values.resize(m.rows);
            grads.resize(m.rows * m.cols);
            char err[512] = {0};
            MlopsMatrix mm{m.data.data(), std::int64_t(m.rows), std::int64_t(m.cols)};
            if (api->gradients(model.handle(), mm, t.data(), std::int64_t(k), values.data(), grads.data(), err, sizeof err) != 0)
                return util::fail(usage(fmt::format("{}: {}{}", opts.model, err,
                                                    std::string_view(err).find("differentiable") != std::string_view::npos
                                                        ? "; use --method permutation" : "")));
            return {};
        };
        std::vector<std::string> features;
        for (const auto& f : pre.features) features.push_back(f.name);
        auto ig = explain::integrated_gradients(x, baseline, target, gradient, features, explain::input_features(pre), rule, opts.steps,
                                                opts.tolerance);
        if (!ig && opts.method == "both" && ig.error().message.find("differentiable") != std::string::npos) {
            report.notes.push_back(ig.error().message);
        } else {
            report.gradients = util::value_or_throw(std::move(ig));
            completeness_failed = report.gradients->failed > 0;
            for (auto r : shown)
                report.target_names.push_back(cls ? enc.classes[std::size_t(target[r])] : enc.target_name);
        }
    }

    std::string format = opts.format;
    if (format.empty()) {
        auto ext = std::filesystem::path(opts.output).extension().string();
        format = ext == ".md" ? "md" : ext == ".json" ? "json" : "html";
    }
    auto render = [&](const std::string& f) {
        return f == "md" ? explain::to_markdown(report) : f == "json" ? explain::to_json(report).dump(2) + "\n" : explain::to_html(report);
    };
    if (!opts.output.empty()) util::check(util::write_file_atomic(user_path(ctx, opts.output), render(format), util::Durability::none));
    if (ctx.global.json) {
        ctx.print_json(explain::to_json(report));
    } else if (opts.output.empty() && !opts.format.empty()) {
        ctx.out() << render(format);
    } else if (!ctx.global.quiet) {
        auto& o = ctx.out();
        for (const auto& n : report.notes) ctx.warn(n);
        if (report.permutation) {
            const auto& p = *report.permutation;
            o << fmt::format("Permutation importance ({} drop over {} repeats; baseline {:.4g})\n", explain::to_string(p.scoring), p.repeats, p.baseline);
            for (std::size_t i = 0; i < p.features.size() && i < 15; ++i)
                o << fmt::format("  {:>2}. {:<28} {:>9.4f} ± {:.4f}\n", i + 1, p.features[i].feature, p.features[i].mean, p.features[i].std);
            if (p.features.size() > 15) o << fmt::format("  ... {} more\n", p.features.size() - 15);
        }
        if (report.gradients) {
            const auto& g = *report.gradients;
            std::vector<std::size_t> order(g.features.size());
            std::iota(order.begin(), order.end(), std::size_t(0));
            std::stable_sort(order.begin(), order.end(), [&](auto a, auto b) { return g.mean_abs[a] > g.mean_abs[b]; });
            o << fmt::format("{}Integrated gradients ({} steps, {}, baseline {}): mean |attribution|\n", report.permutation ? "\n" : "", g.steps,
                             explain::to_string(g.rule), report.baseline);
            for (std::size_t i = 0; i < order.size() && i < 15; ++i)
                o << fmt::format("  {:>2}. {:<28} {:>9.4g}\n", i + 1, g.features[order[i]], g.mean_abs[order[i]]);
            o << fmt::format("Completeness: {} of {} rows within {} (largest gap {:.3g} at row {})\n", g.rows.size() - g.failed, g.rows.size(),
                             opts.tolerance, g.worst_gap, g.worst_row);
        }
        if (!opts.output.empty()) o << fmt::format("\nReport written to {}\n", opts.output);
    }
    if (attach_to) {
        registry::Explanation e;
        e.name = attach_to->name;
        e.entry = attach_to->oid;
        e.version = attach_to->version;
        e.method = opts.method;
        e.data = opts.data;
        e.data_sha256 = util::value_or_throw(util::sha256_file(user_path(ctx, opts.data)));
        e.report = explain::to_json(report);
        e.user = util::user_name();
        e.host = util::host_name();
        e.time_ns = util::now_ns();
        auto oid = util::value_or_throw(registry::add_explanation(ctx.repo(), e));
        if (!ctx.global.json && !ctx.global.quiet)
            ctx.err() << fmt::format("mlops: explanation attached to {} version {} ({})\n", e.name, e.version, oid.substr(0, 12));
    }
    if (completeness_failed) {
        const auto& g = *report.gradients;
        ctx.err() << fmt::format("mlops: completeness check failed on {} of {} rows (largest relative gap {:.3g} at row {}, tolerance {}): "
                                 "use more --steps\n", g.failed, g.rows.size(), g.worst_gap, g.worst_row, opts.tolerance);
        return int(util::ExitCode::condition_false);
    }
    return 0;
}

Runner register_explain(CLI::App& app) {
    auto opts = std::make_shared<ExplainOptions>();
    auto* cmd = app.add_subcommand("explain", "Which inputs drive a model's decisions: permutation importance, integrated gradients (docs/explain.md)");
    cmd->add_option("model", opts->model, "Model bundle folder or registered model (NAME@ALIAS, NAME:VERSION)")->required()->type_name("MODEL");
    cmd->add_option("data", opts->data, "CSV with the model's feature columns (and its target, for permutation importance)")->required()->type_name("DATA.csv");
    cmd->add_option("--method", opts->method, "permutation, integrated-gradients or both (default)")->type_name("METHOD");
    cmd->add_option("--rows", opts->rows, "Rows (0-based) to show attributions for, e.g. 0,5,9 (default: the first 3)")->type_name("LIST");
    cmd->add_option("-o,--output", opts->output, "Write the report to FILE (format from --format or the extension; default HTML)")->type_name("FILE");
    cmd->add_option("--format", opts->format, "html, md (Markdown) or json")->type_name("FORMAT");
    cmd->add_option("--repeats", opts->repeats, "Permutation: shuffles per feature (default 5)")->type_name("N");
    cmd->add_option("--seed", opts->seed, "Permutation: random seed (default 0)")->type_name("N");
    cmd->add_option("--metric", opts->metric, "Permutation: accuracy or log_loss (classification), r2 or rmse (regression)")->type_name("NAME");
    cmd->add_option("--baseline", opts->baseline, "Integrated gradients: zeros (default), mean, or a row index")->type_name("BASELINE");
    cmd->add_option("--steps", opts->steps, "Integrated gradients: integration steps (default 50)")->type_name("N");
    cmd->add_option("--integration", opts->integration, "gausslegendre (default) or riemann_trapezoid")->type_name("RULE");
    cmd->add_option("--target", opts->target, "Integrated gradients: the class to explain (default: each row's predicted class)")->type_name("CLASS");
    cmd->add_option("--tolerance", opts->tolerance, "Completeness: largest |sum - (f(x) - f(baseline))| relative to the larger of |f(x) - f(baseline)|, |f(x)|, |f(baseline)| (default 0.05)")
        ->type_name("X");
    cmd->add_option("--attach", opts->attach, "Store the explanation with this registry version (shown by `mlops model show` and lineage)")
        ->type_name("NAME:VERSION");
    cmd->add_option("-j,--threads", opts->threads, "LibTorch threads (default: one per core)")->type_name("N");
    return [opts](Context& ctx) { return run_explain(ctx, *opts); };
}

} // namespace mlops::cli
