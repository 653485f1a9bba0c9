// mlops runs list / show / compare: the recorded stage executions.
#include "commands.hpp"

#include <cmath>

#include <mlops/pipeline/compare.hpp>
#include <mlops/pipeline/record.hpp>

#include "run_lookup.hpp"
#include "slurm_cli.hpp"

namespace mlops::cli {

struct RunsOptions {
    std::string stage;
    std::size_t limit = 20;
    std::string run;
    bool show_log = false;
    std::vector<std::string> compare;
    std::string format = "table";
    std::string batch;
};

int run_runs_list(Context& ctx, const RunsOptions& opts) {
    auto* index = util::value_or_throw(ctx.repo().index());
    auto rows = util::value_or_throw(index->runs(opts.stage, opts.limit));
    if (ctx.global.json) {
        nlohmann::json list = nlohmann::json::array();
        for (const auto& r : rows)
            list.push_back({{"run_id", r.run_id}, {"stage", r.stage}, {"pipeline", r.pipeline}, {"status", r.status},
                            {"started", pipeline::iso_time(r.started_ns)}, {"duration_s", double(r.ended_ns - r.started_ns) / 1e9},
                            {"commit", r.git_commit.empty() ? nlohmann::json(nullptr) : nlohmann::json(r.git_commit)}, {"oid", r.oid}});
        ctx.print_json({{"runs", list}});
        return 0;
    }
    if (rows.empty()) {
        ctx.say("No runs recorded yet (run a pipeline with `mlops run`).");
        return 0;
    }
    ctx.say(fmt::format("{:<18} {:<24} {:<12} {:<24} {:>9}  {}", "RUN", "STAGE", "STATUS", "STARTED", "SECONDS", "COMMIT"));
    for (const auto& r : rows)
        ctx.say(fmt::format("{:<18} {:<24} {:<12} {:<24} {:>9.2f}  {}", r.run_id, r.stage, r.status, pipeline::iso_time(r.started_ns),
                            double(r.ended_ns - r.started_ns) / 1e9, r.git_commit.substr(0, 12)));
    return 0;
}

int run_runs_show(Context& ctx, const RunsOptions& opts) {
    auto rec = load_run_record(ctx, opts.run);
    if (ctx.global.json) {
        ctx.print_json(pipeline::run_record_json(rec));
        return 0;
    }
    ctx.say(fmt::format("run       {}\nstage     {} ({})\nstatus    {}{}\ncommand   {}", rec.run_id, rec.stage, rec.pipeline, rec.status,
                        rec.error.empty() ? "" : " (" + rec.error + ")", rec.cmd));
    ctx.say(fmt::format("started   {}  ({:.2f} s, exit status {})", pipeline::iso_time(rec.started_ns),
                        double(rec.ended_ns - rec.started_ns) / 1e9, rec.exit_status));
    ctx.say(fmt::format("code      {}{}", rec.code.commit.empty() ? "(no commit)" : rec.code.commit,
                        rec.code.dirty ? fmt::format(" + uncommitted changes in {}", fmt::join(rec.code.dirty_files, ", ")) : ""));
    ctx.say(fmt::format("host      {} (user {}, mlops {})", rec.host, rec.user, rec.tool_version));
    for (const auto& [p, oid] : rec.deps) ctx.say(fmt::format("dep       {}  {}", p, oid.empty() ? "(missing)" : oid.substr(0, 12)));
    for (const auto& [file, keys] : rec.params.items())
        for (const auto& [k, v] : keys.items()) ctx.say(fmt::format("param     {}:{} = {}", file, k, v.dump()));
    for (const auto& o : rec.outs) ctx.say(fmt::format("out       {}  {}  ({})", o.path, o.oid.substr(0, 12), o.kind));
    for (const auto& [file, keys] : rec.metrics.items())
        for (const auto& [k, v] : keys.items()) ctx.say(fmt::format("metric    {}:{} = {}", file, k, v.dump()));
    ctx.say(fmt::format("log       {}", rec.log_oid));
    if (opts.show_log && !rec.log_oid.empty()) {
        auto log = util::value_or_throw(ctx.repo().objects().read(rec.log_oid));
        ctx.out() << "\n" << log;
    }
    return 0;
}

namespace {

// One row of `runs compare`: a field and its value in every run ("" when the run lacks it).
struct CompareRow {
    std::string section; // run, param, metric, input, output
    std::string key;
    std::vector<std::optional<nlohmann::json>> values;
};

void flatten_values(std::map<std::string, nlohmann::json>& out, const nlohmann::json& j, const std::string& prefix) {
    if (!j.is_object()) {
        out[prefix] = j;
        return;
    }
    for (const auto& [k, v] : j.items()) flatten_values(out, v, prefix.empty() ? k : prefix + "." + k);
}

std::vector<CompareRow> compare_rows(const std::vector<pipeline::RunRecord>& runs) {
    std::vector<CompareRow> rows;
    auto n = runs.size();
    auto fixed = [&](const char* key, auto get) {
        CompareRow r{"run", key, {}};
        for (const auto& rec : runs) r.values.push_back(get(rec));
        rows.push_back(std::move(r));
    };
    fixed("stage", [](const pipeline::RunRecord& r) { return std::optional<nlohmann::json>(r.stage); });
    fixed("status", [](const pipeline::RunRecord& r) { return std::optional<nlohmann::json>(r.status); });
    fixed("commit", [](const pipeline::RunRecord& r) {
        return std::optional<nlohmann::json>(r.code.commit.empty() ? std::string("-") : r.code.commit.substr(0, 12) + (r.code.dirty ? "+dirty" : ""));
    });
    fixed("started", [](const pipeline::RunRecord& r) { return std::optional<nlohmann::json>(pipeline::iso_time(r.started_ns)); });
    fixed("duration_s", [](const pipeline::RunRecord& r) {
        return std::optional<nlohmann::json>(std::round(double(r.ended_ns - r.started_ns) / 1e6) / 1e3);
    });
    auto keyed = [&](const char* section, auto collect) {
        std::map<std::string, std::vector<std::optional<nlohmann::json>>> by_key;
        for (std::size_t i = 0; i < n; ++i) {
            std::map<std::string, nlohmann::json> flat;
            collect(runs[i], flat);
            for (auto& [k, v] : flat) {
                auto& slot = by_key[k];
                slot.resize(n);
                slot[i] = v;
            }
        }
        for (auto& [k, v] : by_key) {
            v.resize(n);
            rows.push_back({section, k, std::move(v)});
        }
    };
    keyed("param", [](const pipeline::RunRecord& r, auto& flat) {
        for (const auto& [file, vals] : r.params.items()) flatten_values(flat, vals, file + ":");
    });
    keyed("metric", [](const pipeline::RunRecord& r, auto& flat) {
        for (const auto& [file, vals] : r.metrics.items()) flatten_values(flat, vals, file + ":");
    });
    keyed("input", [](const pipeline::RunRecord& r, auto& flat) {
        for (const auto& [p, oid] : r.deps) flat[p] = oid.empty() ? std::string("(missing)") : oid.substr(0, 12);
    });
    keyed("output", [](const pipeline::RunRecord& r, auto& flat) {
        for (const auto& o : r.outs) flat[o.path] = o.oid.substr(0, 12);
    });
    // "file:" + key: drop the separator's doubled form for top-level keys.
    for (auto& r : rows)
        if (auto pos = r.key.find(":."); pos != std::string::npos) r.key.erase(pos + 1, 1);
    return rows;
}

} // namespace

int run_runs_compare(Context& ctx, const RunsOptions& opts) {
    if (opts.compare.size() < 2) throw util::CommandError(util::Error::usage("runs compare needs at least two runs"));
    auto format = util::value_or_throw(pipeline::parse_table_format(opts.format));
    std::vector<pipeline::RunRecord> runs;
    for (const auto& id : opts.compare) runs.push_back(load_run_record(ctx, id));
    auto rows = compare_rows(runs);
    auto delta_of = [](const std::optional<nlohmann::json>& base, const std::optional<nlohmann::json>& v) -> std::optional<nlohmann::json> {
        if (!base || !v || !base->is_number() || !v->is_number()) return std::nullopt;
        if (base->is_number_integer() && v->is_number_integer()) return nlohmann::json(v->get<std::int64_t>() - base->get<std::int64_t>());
        return nlohmann::json(v->get<double>() - base->get<double>());
    };
    if (ctx.global.json) {
        nlohmann::json ids = nlohmann::json::array(), list = nlohmann::json::array();
        for (const auto& r : runs) ids.push_back(r.run_id);
        for (const auto& r : rows) {
            nlohmann::json values = nlohmann::json::array(), deltas = nlohmann::json::array();
            for (std::size_t i = 0; i < r.values.size(); ++i) {
                values.push_back(r.values[i] ? *r.values[i] : nlohmann::json(nullptr));
                auto d = i == 0 ? std::nullopt : delta_of(r.values[0], r.values[i]);
                deltas.push_back(d ? *d : nlohmann::json(nullptr));
            }
            bool differs = std::any_of(r.values.begin(), r.values.end(), [&](const auto& v) { return v != r.values[0]; });
            list.push_back({{"section", r.section}, {"key", r.key}, {"values", values}, {"deltas", deltas}, {"differs", differs}});
        }
        ctx.print_json({{"runs", ids}, {"rows", list}});
        return 0;
    }
    pipeline::Table t;
    t.columns = {"", ""};
    for (const auto& r : runs) t.columns.push_back(r.run_id);
    for (const auto& r : rows) {
        std::vector<std::string> cells{r.section, r.key};
        for (std::size_t i = 0; i < r.values.size(); ++i) {
            auto cell = pipeline::format_value(r.values[i]);
            if (auto d = i == 0 ? std::nullopt : delta_of(r.values[0], r.values[i]); d && r.section != "run")
                cell += " (" + pipeline::format_delta(d) + ")";
            cells.push_back(cell);
        }
        t.rows.push_back(std::move(cells));
    }
    ctx.out() << pipeline::render_table(t, format);
    return 0;
}

Runner register_runs(CLI::App& app) {
    auto opts = std::make_shared<RunsOptions>();
    auto* cmd = app.add_subcommand("runs", "List and show recorded stage runs");
    cmd->require_subcommand(1);
    auto* list = cmd->add_subcommand("list", "Recorded runs, newest first");
    list->add_option("--stage", opts->stage, "Only this stage ('train' includes train@*)");
    list->add_option("-n,--limit", opts->limit, "At most N runs (default 20, 0 = all)");
    auto* show = cmd->add_subcommand("show", "One run: command, inputs, params, outputs, metrics, code, log");
    show->add_option("run", opts->run, "Run id (or a unique prefix)")->required();
    show->add_flag("--log", opts->show_log, "Print the captured output too");
    auto* compare = cmd->add_subcommand("compare", "Runs side by side: params, metrics, inputs, outputs and code, with deltas");
    compare->add_option("runs", opts->compare, "Two or more run ids (or unique prefixes); deltas are against the first")->required();
    compare->add_option("--format", opts->format, "table (default) or md");
    auto* wait = cmd->add_subcommand("wait", "Wait for a Slurm batch (`mlops run --executor slurm --detach`), collect it, lock what succeeded");
    wait->add_option("batch", opts->batch, "Batch id or a unique prefix (default: the newest)");
    auto* cancel = cmd->add_subcommand("cancel", "Cancel the Slurm jobs of a batch (scancel)");
    cancel->add_option("batch", opts->batch, "Batch id or a unique prefix (default: the newest)");
    return [opts, list, show, compare, wait, cancel](Context& ctx) {
        if (wait->parsed()) return wait_slurm_batch(ctx, opts->batch);
        if (cancel->parsed()) return cancel_slurm_batch(ctx, opts->batch);
        if (list->parsed()) return run_runs_list(ctx, *opts);
        if (show->parsed()) return run_runs_show(ctx, *opts);
        if (compare->parsed()) return run_runs_compare(ctx, *opts);
        return int(util::ExitCode::usage);
    };
}

} // namespace mlops::cli
