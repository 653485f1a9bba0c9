// mlops monitor LOGS: figures per window of prediction logs (traffic, errors, latency, the
// predictions, accuracy where labels are logged, input drift against a reference), judged by alert
// rules whose state is kept between runs (docs/monitoring.md).
#include "commands.hpp"

#include <cmath>
#include <filesystem>
#include <fstream>
#include <iostream>

#include <mlops/drift/profile.hpp>
#include <mlops/monitor/actions.hpp>
#include <mlops/monitor/rules.hpp>
#include <mlops/monitor/window.hpp>
#include <mlops/site/gather.hpp>
#include <mlops/util/fs.hpp>
#include <mlops/util/hash.hpp>

#include "data_cli.hpp"
#include "ml_cli.hpp"

namespace mlops::cli {

struct MonitorOptions {
    std::vector<std::string> logs;
    std::string reference, prediction, target;
    std::string rules, window = "1h", now, state;
    bool no_state = false;
    std::size_t min_drift_rows = 100;
    std::vector<std::string> methods, thresholds;
    double drift_share = 0.5;
    int threads = 0;
};

namespace {

struct BadLine {
    std::string file;
    std::size_t line;
    std::string reason;
};

struct Reference {
    drift::DatasetProfile features;
    std::optional<drift::ColumnProfile> predictions;
};

Reference read_reference(Context& ctx, const MonitorOptions& opts, unsigned threads) {
    auto in = data_input(ctx, opts.reference);
    auto sniffed = util::value_or_throw(drift::sniff(in.path, in.label));
    auto has = [&](const std::string& c) { return std::find(sniffed.header.begin(), sniffed.header.end(), c) != sniffed.header.end(); };
    if (!opts.prediction.empty() && !has(opts.prediction))
        throw util::CommandError(util::Error::usage(fmt::format("--prediction {}: {} has no column '{}'", opts.prediction, in.label, opts.prediction)));
    if (!opts.target.empty() && !has(opts.target))
        throw util::CommandError(util::Error::usage(fmt::format("--target {}: {} has no column '{}'", opts.target, in.label, opts.target)));
    drift::ReadOptions ro;
    ro.threads = threads;
    for (std::size_t i = 0; i < sniffed.header.size(); ++i) {
        const auto& c = sniffed.header[i];
        if (sniffed.types[i] != drift::ColumnType::numeric) ro.text_columns.push_back(c);
        if (c == opts.target && c != opts.prediction) continue;
        ro.columns.push_back(c);
    }
    Reference ref;
    ref.features = util::value_or_throw(drift::read_profile(in.path, in.label, ro));
    if (!opts.prediction.empty()) {
        auto& cols = ref.features.columns;
        auto it = std::find_if(cols.begin(), cols.end(), [&](const auto& c) { return c.name == opts.prediction; });
        ref.predictions = std::move(*it);
        cols.erase(it);
    }
    return ref;
}

// Every line of every log into the windows; bad lines are collected, not fatal.
std::size_t read_logs(Context& ctx, const std::vector<std::string>& logs, monitor::WindowSet& windows, std::vector<BadLine>& bad) {
    std::size_t lines = 0;
    for (const auto& name : logs) {
        std::ifstream file;
        std::istream* in = &std::cin;
        if (name != "-") {
            auto path = user_path(ctx, name);
            std::error_code ec;
            if (std::filesystem::is_directory(path, ec))
                throw util::CommandError(util::Error::usage(fmt::format("{}: is a folder, not a log file", name)));
            file.open(path, std::ios::binary);
            if (!file) throw util::CommandError(util::Error::usage(fmt::format("{}: cannot read the log ({})", name, std::strerror(errno))));
            in = &file;
        }
        std::string line;
        std::size_t n = 0;
        while (std::getline(*in, line)) {
            ++n;
            if (!line.empty() && line.back() == '\r') line.pop_back();
            if (line.find_first_not_of(" \t") == std::string::npos) continue;
            ++lines;
            auto rec = monitor::parse_record(line);
            if (!rec) {
                bad.push_back({name == "-" ? "stdin" : name, n, rec.error().message});
                continue;
            }
            windows.add(*rec);
        }
        if (in->bad()) throw util::CommandError(util::Error::io(fmt::format("{}: read error", name)));
    }
    return lines;
}

// One figure for the table; `scale` 100 with a "%" suffix for rates.
std::string fmt_figure(const monitor::Window& w, const char* name, const char* spec = "{:.4g}", double scale = 1, const char* suffix = "") {
    auto it = w.figures.find(name);
    if (it == w.figures.end() || std::isnan(it->second)) return "-";
    return fmt::format(fmt::runtime(spec), it->second * scale) + suffix;
}

nlohmann::json window_json(const monitor::Window& w) {
    nlohmann::json f = nlohmann::json::object();
    for (const auto& [k, v] : w.figures) f[k] = std::isnan(v) ? nlohmann::json() : nlohmann::json(v);
    nlohmann::json j = {{"start", monitor::format_time(w.start)}, {"end", monitor::format_time(w.end)}, {"open", w.open}, {"figures", f}};
    for (const auto& item : w.detail.items()) j[item.key()] = item.value();
    return j;
}

// The default state file: one per rules file, inside the repository when there is one.
std::string default_state_path(Context& ctx, const std::string& rules_path) {
    auto repo = workspace::Repository::discover(ctx.cwd());
    if (!repo) return "";
    std::error_code ec;
    auto abs = std::filesystem::weakly_canonical(rules_path, ec).string();
    return (*repo)->root() + "/.mlops/monitor/" + util::sha256_hex(abs).substr(0, 16) + ".json";
}

// What this run saw, next to the alert state, for `mlops report site` (docs/report-site.md): the
// windows' figures and every alert that fired or resolved so far (the last 1,000). A failure to
// write it is a warning: the alerts themselves are done.
void save_last(Context& ctx, const std::string& state_path, const MonitorOptions& opts, double window_s, double now,
               const std::vector<monitor::Window>& windows, const monitor::RuleSet& rules, monitor::AlertState& state,
               const nlohmann::json& fired) {
    auto path = site::monitor_last_path(state_path);
    nlohmann::json events = nlohmann::json::array();
    if (auto old = util::read_file(path)) {
        auto j = nlohmann::json::parse(*old, nullptr, false);
        if (j.is_object() && j.contains("events") && j["events"].is_array()) events = j["events"];
    }
    for (const auto& e : fired) events.push_back(e);
    if (events.size() > 1000) events.erase(events.begin(), events.end() - 1000);
    nlohmann::json wins = nlohmann::json::array();
    std::size_t first = windows.size() > 500 ? windows.size() - 500 : 0;
    for (std::size_t i = first; i < windows.size(); ++i) {
        const auto& w = windows[i];
        nlohmann::json f = nlohmann::json::object();
        for (const auto& [k, v] : w.figures) f[k] = std::isnan(v) ? nlohmann::json() : nlohmann::json(v);
        wins.push_back({{"start", monitor::format_time(w.start)}, {"end", monitor::format_time(w.end)}, {"open", w.open}, {"figures", f}});
    }
    nlohmann::json rs = nlohmann::json::object();
    for (const auto& r : rules.rules)
        rs[r.name] = {{"state", state.rules[r.name].state}, {"severity", r.severity}, {"summary", r.summary}, {"expr", r.expr_text}};
    nlohmann::json last = {{"version", 1}, {"rules_file", opts.rules}, {"logs", opts.logs}, {"window_s", window_s},
                           {"now", monitor::format_time(now)}, {"windows", wins}, {"rules", rs}, {"events", events}};
    if (auto st = util::write_file_atomic(path, last.dump(1) + "\n", util::Durability::none); !st)
        ctx.warn(fmt::format("cannot save the monitor's windows for the site: {}", st.error().message));
}

struct Delivered {
    monitor::Event event;
    std::vector<std::string> errors;
};

} // namespace

int run_monitor(Context& ctx, const MonitorOptions& opts) {
    double window_s = util::value_or_throw(monitor::parse_duration(opts.window, "--window"));
    double now = double(util::now_ns()) / 1e9;
    if (!opts.now.empty()) {
        auto t = monitor::parse_time(opts.now);
        if (!t) throw util::CommandError(util::Error::usage(fmt::format("--now '{}': not an RFC 3339 time", opts.now)));
        now = *t;
    }
    if (!(opts.drift_share >= 0 && opts.drift_share <= 1))
        throw util::CommandError(util::Error::usage(fmt::format("--drift-share {}: give a share between 0 and 1", opts.drift_share)));
    if (!opts.prediction.empty() && opts.reference.empty())
        throw util::CommandError(util::Error::usage("--prediction names a column of --reference: give --reference DATA"));

    // Rules first: a bad rule is reported before any log is read.
    std::optional<monitor::RuleSet> rules;
    if (!opts.rules.empty()) {
        auto path = user_path(ctx, opts.rules);
        auto text = util::read_file(path);
        if (!text) throw util::CommandError(util::Error::usage(fmt::format("{}: cannot read the rules ({})", opts.rules, text.error().message)));
        rules = util::value_or_throw(monitor::parse_rules(*text, opts.rules));
    }

    monitor::WindowOptions wo;
    wo.window_s = window_s;
    wo.min_drift_rows = opts.min_drift_rows;
    wo.target = opts.target;
    for (const auto& m : opts.methods) util::check(drift::add_method_option(wo.drift, m));
    for (const auto& t : opts.thresholds) util::check(drift::add_threshold_option(wo.drift, t));
    wo.drift.drift_share = opts.drift_share;
    wo.drift.threads = unsigned(opts.threads);
    std::optional<Reference> ref;
    if (!opts.reference.empty()) {
        ref = read_reference(ctx, opts, unsigned(opts.threads));
        wo.reference = &ref->features;
        if (ref->predictions) wo.reference_predictions = &*ref->predictions;
        std::vector<std::string> names;
        for (const auto& c : ref->features.columns) names.push_back(c.name);
        if (ref->predictions) names.push_back(ref->predictions->name);
        util::check(drift::check_column_options(wo.drift, names));
    }

    monitor::WindowSet set(wo);
    std::vector<BadLine> bad;
    auto lines = read_logs(ctx, opts.logs, set, bad);
    auto windows = util::value_or_throw(set.finish(now));
    auto unknown = set.unknown_columns();
    if (!ctx.global.json) {
        for (std::size_t i = 0; i < bad.size() && i < 10; ++i)
            ctx.warn(fmt::format("{}:{}: {} (line skipped)", bad[i].file, bad[i].line, bad[i].reason));
        if (bad.size() > 10) ctx.warn(fmt::format("... and {} more malformed lines skipped", bad.size() - 10));
        if (!unknown.empty() && ref)
            ctx.warn(fmt::format("inputs not in the reference (not checked for drift): {}", fmt::join(unknown, ", ")));
    }

    // Alert rules over the closed windows, with the state of earlier runs.
    std::vector<Delivered> delivered;
    std::vector<std::string> firing;
    int exit_code = 0;
    bool delivery_failed = false;
    std::string state_path;
    monitor::AlertState state;
    if (rules) {
        state_path = opts.no_state ? "" : !opts.state.empty() ? user_path(ctx, opts.state) : default_state_path(ctx, user_path(ctx, opts.rules));
        std::optional<util::LockFile> lock;
        if (!state_path.empty()) {
            util::check(monitor::make_local_dir(std::filesystem::path(state_path).parent_path().string()));
            lock.emplace(util::value_or_throw(util::LockFile::acquire(state_path)));
            std::error_code ec;
            if (std::filesystem::exists(state_path, ec))
                state = util::value_or_throw(monitor::parse_state(util::value_or_throw(util::read_file(state_path)), state_path));
        }
        auto retry = std::move(state.pending);
        state.pending.clear();
        auto events = monitor::judge(*rules, state, windows, window_s);
        nlohmann::json fired = nlohmann::json::array(); // for the site's Health page (save_last)
        for (const auto& e : events) fired.push_back(e.to_json());
        auto find_rule = [&](const std::string& name) -> const monitor::Rule* {
            for (const auto& r : rules->rules)
                if (r.name == name) return &r;
            return nullptr;
        };
        // Notifications that failed last time first, in their order, then the new ones.
        for (auto& e : retry) delivered.push_back({std::move(e), {}});
        for (auto& e : events) delivered.push_back({std::move(e), {}});
        for (auto& d : delivered) {
            const auto* rule = find_rule(d.event.rule);
            if (!rule) continue; // the rule was removed since
            std::vector<std::size_t> left;
            auto payload = d.event.to_json();
            for (auto i : d.event.undelivered) {
                if (i >= rule->actions.size()) continue;
                auto st = monitor::deliver(rule->actions[i], payload);
                if (!st) {
                    d.errors.push_back(st.error().message);
                    left.push_back(i);
                }
            }
            d.event.undelivered = left;
            if (!left.empty()) {
                delivery_failed = true;
                state.pending.push_back(d.event);
            }
        }
        for (const auto& r : rules->rules) {
            if (state.rules[r.name].state != "firing") continue;
            firing.push_back(r.name);
            for (const auto& a : r.actions)
                if (a.kind == monitor::Action::Kind::exit) exit_code = std::max(exit_code, a.code);
        }
        if (lock) {
            util::check(lock->commit(monitor::state_json(state).dump(2) + "\n"));
            save_last(ctx, state_path, opts, window_s, now, windows, *rules, state, fired);
        }
    }
    if (exit_code == 0 && delivery_failed) exit_code = int(util::ExitCode::remote);

    if (ctx.global.json) {
        nlohmann::json wins = nlohmann::json::array();
        for (const auto& w : windows) wins.push_back(window_json(w));
        nlohmann::json bad_json = nlohmann::json::array();
        for (std::size_t i = 0; i < bad.size() && i < 100; ++i)
            bad_json.push_back({{"file", bad[i].file}, {"line", bad[i].line}, {"reason", bad[i].reason}});
        nlohmann::json out = {
            {"logs", opts.logs}, {"window", monitor::format_duration(window_s)}, {"window_s", window_s},
            {"now", monitor::format_time(now)}, {"lines", lines}, {"records", set.records()},
            {"malformed", {{"count", bad.size()}, {"lines", bad_json}}},
            {"reference", opts.reference.empty() ? nlohmann::json() : nlohmann::json(opts.reference)},
            {"unknown_columns", unknown}, {"windows", wins}, {"exit_code", exit_code},
        };
        if (rules) {
            nlohmann::json evs = nlohmann::json::array();
            for (const auto& d : delivered) {
                auto j = d.event.to_json();
                j["delivered"] = d.errors.empty();
                j["errors"] = d.errors;
                evs.push_back(j);
            }
            nlohmann::json rs = nlohmann::json::object();
            for (const auto& r : rules->rules) {
                const auto& st = state.rules[r.name];
                rs[r.name] = {{"state", st.state}, {"windows", st.count}, {"for", r.windows(window_s)}, {"severity", r.severity}};
            }
            out["alerts"] = {{"rules", rs}, {"events", evs}, {"firing", firing},
                             {"state_file", state_path.empty() ? nlohmann::json() : nlohmann::json(state_path)}};
        }
        ctx.print_json(out);
    } else if (!ctx.global.quiet) {
        auto& o = ctx.out();
        o << fmt::format("{} record{} in {} window{} of {}{}\n", set.records(), set.records() == 1 ? "" : "s", windows.size(),
                         windows.size() == 1 ? "" : "s", monitor::format_duration(window_s),
                         bad.empty() ? "" : fmt::format(" ({} malformed line{} skipped)", bad.size(), bad.size() == 1 ? "" : "s"));
        if (!windows.empty()) {
            o << fmt::format("\n{:<21} {:>8} {:>7} {:>8} {:>8} {:>8} {:>8} {:>8}\n", "Window start", "Requests", "Errors", "p50 ms",
                             "p95 ms", "p99 ms", "Accuracy", "Drift");
            for (const auto& w : windows)
                o << fmt::format("{:<21} {:>8} {:>7} {:>8} {:>8} {:>8} {:>8} {:>8}{}\n", monitor::format_time(w.start),
                                 fmt_figure(w, "requests", "{:.0f}"), fmt_figure(w, "error_rate", "{:.1f}", 100, "%"),
                                 fmt_figure(w, "latency_p50_ms", "{:.3g}"), fmt_figure(w, "latency_p95_ms", "{:.3g}"),
                                 fmt_figure(w, "latency_p99_ms", "{:.3g}"), fmt_figure(w, "accuracy", "{:.3f}"),
                                 fmt_figure(w, "drift_share", "{:.2f}"), w.open ? "  (open)" : "");
        }
        if (rules) {
            for (const auto& d : delivered) {
                const monitor::Rule* rule = nullptr;
                for (const auto& r : rules->rules)
                    if (r.name == d.event.rule) rule = &r;
                bool print = rule && std::any_of(rule->actions.begin(), rule->actions.end(),
                                                 [](const auto& a) { return a.kind == monitor::Action::Kind::print; });
                if (print) {
                    std::vector<std::string> vals;
                    for (const auto& [k, v] : d.event.values) vals.push_back(fmt::format("{}={}", k, std::isnan(v) ? "-" : fmt::format("{:.4g}", v)));
                    bool on = d.event.state == "firing";
                    o << fmt::format("\n{} {} ({}): {}{}; {} [window {}]", paint(ctx, on ? "31" : "32", on ? "FIRING" : "RESOLVED"),
                                     d.event.rule, d.event.severity, d.event.expr, d.event.summary.empty() ? "" : " - " + d.event.summary,
                                     fmt::join(vals, ", "), monitor::format_time(d.event.window_start));
                }
                for (const auto& e : d.errors) ctx.warn(fmt::format("alert {}: {} (will retry on the next run)", d.event.rule, e));
            }
            if (!delivered.empty()) o << "\n";
            o << fmt::format("\n{}\n", firing.empty() ? "No alert firing." : fmt::format("Firing: {}", fmt::join(firing, ", ")));
        }
    }
    return exit_code;
}

Runner register_monitor(CLI::App& app) {
    auto opts = std::make_shared<MonitorOptions>();
    auto* cmd = app.add_subcommand("monitor", "Figures per window of prediction logs, and alert rules over them (docs/monitoring.md)");
    cmd->add_option("logs", opts->logs, "Prediction logs (JSON lines, as `mlops serve --log` writes them; - for stdin)")
        ->required()->type_name("LOG...");
    cmd->add_option("--reference", opts->reference, "Reference data for input drift: a CSV file, a tracked PATH@REVISION or an object id")
        ->type_name("DATA");
    cmd->add_option("--prediction", opts->prediction, "Reference column the logged outputs are compared with (prediction drift)")->type_name("COL");
    cmd->add_option("--target", opts->target, "The label column: left out of input drift; in logged inputs, the label for accuracy")->type_name("COL");
    cmd->add_option("--rules", opts->rules, "Alert rules (YAML, see docs/monitoring.md)")->type_name("FILE");
    cmd->add_option("--window", opts->window, "Window length: 30s, 5m, 1h, 1d (default 1h; windows start at multiples of it, UTC)")
        ->type_name("DURATION");
    cmd->add_option("--now", opts->now, "The time windows are closed against (default: now); windows ending later are open and not judged")
        ->type_name("TIME");
    cmd->add_option("--state", opts->state, "Alert state file (default: .mlops/monitor/<rules id>.json in a repository)")->type_name("FILE");
    cmd->add_flag("--no-state", opts->no_state, "Judge every window from scratch and keep no state");
    cmd->add_option("--min-drift-rows", opts->min_drift_rows, "Fewest rows in a window for drift figures (default 100)")->type_name("N");
    cmd->add_option("--method", opts->methods, "Drift test for every column (NAME) or one (COL=NAME), as `mlops drift`")->type_name("[COL=]NAME");
    cmd->add_option("--threshold", opts->thresholds, "Drift threshold for every column (X) or one (COL=X)")->type_name("[COL=]X");
    cmd->add_option("--drift-share", opts->drift_share, "Dataset drift when at least this share of columns drifted (default 0.5)")->type_name("X");
    cmd->add_option("-j,--threads", opts->threads, "Threads (default: one per core)")->type_name("N")->check(CLI::PositiveNumber);
    return [opts](Context& ctx) { return run_monitor(ctx, *opts); };
}

} // namespace mlops::cli
