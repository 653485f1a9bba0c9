// mlops model register / list / show / alias / promote / rollback: the model registry
// (docs/registry.md); sign and verify are in cmd_model_sign.cpp. Versions and alias moves are objects; promotion moves an alias only when
// every gate holds.
#include "commands.hpp"

#include <charconv>

#include <mlops/pipeline/record.hpp>
#include <mlops/registry/gate.hpp>
#include <mlops/registry/registry.hpp>
#include <mlops/util/fs.hpp>
#include <mlops/util/paths.hpp>

#include "signing_cli.hpp"

namespace mlops::cli {

struct ModelOptions {
    std::vector<std::string> args;
    std::string output;
    std::vector<std::string> tags;
    std::vector<std::string> metrics;
    std::string description;
    std::string to;
    std::vector<std::string> requires_;
    bool remove = false;
};

namespace {

std::pair<std::string, std::string> key_value(const std::string& kv, const char* what) {
    auto eq = kv.find('=');
    if (eq == std::string::npos || eq == 0)
        throw util::CommandError(util::Error::usage(fmt::format("{} '{}': expected KEY=VALUE", what, kv)));
    return {kv.substr(0, eq), kv.substr(eq + 1)};
}

registry::ModelState load(Context& ctx, const std::string& name) {
    return util::value_or_throw(registry::load_model(ctx.repo(), name));
}

int version_number(const std::string& text) {
    auto ref = util::value_or_throw(registry::parse_model_ref("m:" + text));
    return ref.version;
}

std::string aliases_text(const registry::ModelState& s, const std::string& oid) {
    auto a = s.aliases_of(oid);
    return a.empty() ? "" : fmt::format("@{}", fmt::join(a, " @"));
}

void warn_conflicts(Context& ctx, const registry::ModelState& s) {
    for (const auto& c : s.conflicts) ctx.warn(fmt::format("model {}: {}", s.name, c));
}

std::string metric_text(const nlohmann::json& v) {
    return v.is_number_float() ? fmt::format("{:.6g}", v.get<double>()) : v.dump();
}

} // namespace

int run_model_register(Context& ctx, const ModelOptions& opts) {
    if (opts.args.size() != 2)
        throw util::CommandError(util::Error::usage("usage: mlops model register NAME PATH|RUN"));
    auto& repo = ctx.repo();
    const auto& name = opts.args[0];
    if (!registry::valid_name(name))
        throw util::CommandError(util::Error::usage(fmt::format("'{}' is not a valid model name (letters, digits, '_', '-', '.')", name)));
    std::map<std::string, std::string> tags;
    for (const auto& t : opts.tags) tags.insert(key_value(t, "--tag"));
    nlohmann::json metrics = nlohmann::json::object();
    for (const auto& m : opts.metrics) {
        auto [k, v] = key_value(m, "--metric");
        double d = 0;
        auto [ptr, ec] = std::from_chars(v.data(), v.data() + v.size(), d);
        if (ec != std::errc() || ptr != v.data() + v.size())
            throw util::CommandError(util::Error::usage(fmt::format("--metric '{}': '{}' is not a number", m, v)));
        metrics[k] = d;
    }
    // A path in the work tree, else a run id.
    const auto& source = opts.args[1];
    registry::NewVersion nv;
    auto abs = ctx.user_path(source);
    if (util::value_or_throw(util::stat_path(abs))) {
        auto rel = ctx.repo_paths({source}).front();
        if (!opts.output.empty())
            throw util::CommandError(util::Error::usage("--output chooses among a run's outputs; it does not apply to a path"));
        nv = util::value_or_throw(registry::describe_path(repo, rel));
    } else {
        nv = util::value_or_throw(registry::describe_run(repo, source, opts.output.empty() ? "" : ctx.repo_paths({opts.output}).front()));
    }
    nv.name = name;
    nv.tags = std::move(tags);
    nv.description = opts.description;
    for (const auto& [k, v] : metrics.items()) nv.metrics[k] = v;
    auto v = util::value_or_throw(registry::register_version(repo, nv));
    auto state = load(ctx, name);
    const auto* shown = state.entry(v.oid);
    if (ctx.global.json) {
        ctx.print_json(registry::version_json(*shown, state));
        return 0;
    }
    ctx.say(fmt::format("registered {} version {} ({} {}{})", name, shown->version, shown->model_kind, shown->model_oid.substr(0, 12),
                        shown->run_id.empty() ? "" : ", run " + shown->run_id));
    return 0;
}

int run_model_list(Context& ctx, const ModelOptions&) {
    auto names = util::value_or_throw(registry::model_names(ctx.repo()));
    nlohmann::json list = nlohmann::json::array();
    std::vector<registry::ModelState> states;
    for (const auto& n : names) states.push_back(load(ctx, n));
    if (ctx.global.json) {
        for (const auto& s : states) {
            nlohmann::json aliases = nlohmann::json::object();
            for (const auto& [a, oid] : s.aliases) aliases[a] = s.entry(oid) ? s.entry(oid)->version : 0;
            const auto& latest = s.versions.back();
            list.push_back({{"name", s.name}, {"versions", s.versions.size()}, {"latest", latest.version}, {"aliases", aliases},
                            {"updated", pipeline::iso_time(std::max(latest.created_ns, s.events.empty() ? 0 : s.events.back().time_ns))}});
        }
        ctx.print_json({{"models", list}});
        return 0;
    }
    if (states.empty()) {
        ctx.say("No models registered yet (see `mlops model register`).");
        return 0;
    }
    ctx.say(fmt::format("{:<24} {:>8} {:>7}  {}", "MODEL", "VERSIONS", "LATEST", "ALIASES"));
    for (const auto& s : states) {
        std::string aliases;
        for (const auto& [a, oid] : s.aliases)
            aliases += fmt::format("{}{}=v{}", aliases.empty() ? "" : " ", a, s.entry(oid) ? s.entry(oid)->version : 0);
        ctx.say(fmt::format("{:<24} {:>8} {:>7}  {}", s.name, s.versions.size(), s.versions.back().version, aliases));
    }
    return 0;
}

int run_model_show(Context& ctx, const ModelOptions& opts) {
    if (opts.args.size() != 1) throw util::CommandError(util::Error::usage("usage: mlops model show NAME[@ALIAS|:VERSION]"));
    auto ref = util::value_or_throw(registry::parse_model_ref(opts.args[0]));
    auto state = load(ctx, ref.name);
    bool one = !ref.alias.empty() || ref.version > 0;
    if (!one) {
        // The whole model: every version and the alias history.
        if (ctx.global.json) {
            nlohmann::json versions = nlohmann::json::array(), events = nlohmann::json::array(), aliases = nlohmann::json::object();
            for (const auto& v : state.versions) versions.push_back(registry::version_json(v, state));
            for (const auto& e : state.events) events.push_back(registry::event_json(e));
            for (const auto& [a, oid] : state.aliases) aliases[a] = state.entry(oid) ? state.entry(oid)->version : 0;
            ctx.print_json({{"name", state.name}, {"aliases", aliases}, {"versions", versions}, {"events", events},
                            {"conflicts", state.conflicts}});
            return 0;
        }
        ctx.say(fmt::format("model {}", state.name));
        ctx.say(fmt::format("{:>7}  {:<12}  {:<24} {:<18} {:<10} {}", "VERSION", "MODEL", "CREATED", "RUN", "BY", "ALIASES"));
        for (const auto& v : state.versions)
            ctx.say(fmt::format("{:>7}  {:<12}  {:<24} {:<18} {:<10} {}", v.version, v.model_oid.substr(0, 12),
                                pipeline::iso_time(v.created_ns), v.run_id.empty() ? "-" : v.run_id, v.user, aliases_text(state, v.oid)));
        if (!state.events.empty()) ctx.say("\nalias history:");
        for (const auto& e : state.events) {
            auto side = [&](const std::string& entry, int written) {
                const auto* v = state.entry(entry);
                return entry.empty() ? std::string("-") : fmt::format("v{}", v ? v->version : written);
            };
            ctx.say(fmt::format("  {}  {:<10} {:<8} {} -> {}  by {}@{}{}", pipeline::iso_time(e.time_ns), e.alias, e.action,
                                side(e.from_entry, e.from_version), side(e.to_entry, e.to_version), e.user, e.host,
                                e.gates.empty() ? "" : fmt::format("  ({} gates passed)", e.gates.size())));
        }
        warn_conflicts(ctx, state);
        return 0;
    }
    const auto* v = util::value_or_throw(registry::resolve(state, ref));
    auto explained = util::value_or_throw(registry::explanations(ctx.repo(), *v));
    if (ctx.global.json) {
        auto j = registry::version_json(*v, state);
        j["explanations"] = nlohmann::json::array();
        for (const auto& e : explained)
            j["explanations"].push_back({{"oid", e.oid}, {"method", e.method}, {"data", e.data}, {"data_sha256", e.data_sha256},
                                         {"by", e.user + "@" + e.host}, {"time", pipeline::iso_time(e.time_ns)}, {"report", e.report}});
        ctx.print_json(j);
        return 0;
    }
    ctx.say(fmt::format("model       {} version {}{}", v->name, v->version, aliases_text(state, v->oid).empty() ? "" : "  " + aliases_text(state, v->oid)));
    ctx.say(fmt::format("artifact    {} {} ({} files, {} bytes) from {}", v->model_kind, v->model_oid, v->model_files, v->model_size, v->source));
    ctx.say(fmt::format("run         {}", v->run_id.empty() ? "(none recorded)" : v->run_id));
    ctx.say(fmt::format("code        {}{}", v->code_commit.empty() ? "(no commit)" : v->code_commit, v->code_dirty ? " (uncommitted changes)" : ""));
    ctx.say(fmt::format("registered  {} by {}@{}", pipeline::iso_time(v->created_ns), v->user, v->host));
    if (!v->description.empty()) ctx.say(fmt::format("description {}", v->description));
    for (const auto& [k, val] : v->tags) ctx.say(fmt::format("tag         {}={}", k, val));
    for (const auto& d : v->data)
        ctx.say(fmt::format("data        {}  {}", d.value("path", ""), d.value("oid", "").substr(0, 12)));
    for (const auto& [k, val] : v->metrics.items()) ctx.say(fmt::format("metric      {} = {}", k, metric_text(val)));
    for (const auto& e : explained)
        ctx.say(fmt::format("explained   {} on {} by {}@{} ({}): {}", pipeline::iso_time(e.time_ns), e.data, e.user, e.host,
                            e.oid.substr(0, 12), registry::explanation_summary(e)));
    return 0;
}

namespace {

int report_move(Context& ctx, const registry::AliasEvent& e, const std::vector<registry::GateResult>& results) {
    if (ctx.global.json) {
        nlohmann::json gates = nlohmann::json::array();
        for (const auto& r : results) gates.push_back(registry::gate_result_json(r));
        auto j = registry::event_json(e);
        j["name"] = e.name;
        j["moved"] = true;
        j["gates"] = gates;
        ctx.print_json(j);
        return 0;
    }
    if (e.to_entry.empty())
        ctx.say(fmt::format("{}@{} deleted (was version {})", e.name, e.alias, e.from_version));
    else
        ctx.say(fmt::format("{}@{} -> version {}{}", e.name, e.alias, e.to_version,
                            e.from_entry.empty() ? "" : fmt::format(" (was version {})", e.from_version)));
    return 0;
}

} // namespace

int run_model_alias(Context& ctx, const ModelOptions& opts) {
    auto& repo = ctx.repo();
    if (opts.remove) {
        if (opts.args.size() != 2) throw util::CommandError(util::Error::usage("usage: mlops model alias --delete NAME ALIAS"));
        auto state = load(ctx, opts.args[0]);
        if (!state.holder(opts.args[1]))
            throw util::CommandError(util::Error::usage(fmt::format("model {} has no alias '{}'", opts.args[0], opts.args[1])));
        auto e = util::value_or_throw(registry::move_alias(repo, opts.args[0], opts.args[1], "", "delete", nlohmann::json::array()));
        return report_move(ctx, e, {});
    }
    if (opts.args.size() != 3) throw util::CommandError(util::Error::usage("usage: mlops model alias NAME VERSION ALIAS"));
    auto state = load(ctx, opts.args[0]);
    registry::ModelRef ref{opts.args[0], "", version_number(opts.args[1]), opts.args[0] + ":" + opts.args[1]};
    const auto* v = util::value_or_throw(registry::resolve(state, ref));
    auto e = util::value_or_throw(registry::move_alias(repo, state.name, opts.args[2], v->oid, "set", nlohmann::json::array()));
    return report_move(ctx, e, {});
}

int run_model_promote(Context& ctx, const ModelOptions& opts) {
    if (opts.args.size() != 2) throw util::CommandError(util::Error::usage("usage: mlops model promote NAME VERSION --to ALIAS [--require GATE]..."));
    auto& repo = ctx.repo();
    std::vector<registry::Gate> gates;
    for (const auto& g : opts.requires_) gates.push_back(util::value_or_throw(registry::parse_gate(g)));
    auto state = load(ctx, opts.args[0]);
    registry::ModelRef ref{opts.args[0], "", version_number(opts.args[1]), opts.args[0] + ":" + opts.args[1]};
    const auto* v = util::value_or_throw(registry::resolve(state, ref));
    if (!registry::valid_name(opts.to))
        throw util::CommandError(util::Error::usage(fmt::format("--to '{}' is not a valid alias", opts.to)));
    auto check = util::value_or_throw(registry::check_gates(state, *v, opts.to, gates));
    const auto* holder = check.holder;
    const auto& results = check.results;
    std::size_t failed = check.failed;
    if (holder && holder->oid == v->oid && failed == 0) {
        if (ctx.global.json)
            ctx.print_json({{"name", v->name}, {"alias", opts.to}, {"to", v->version}, {"moved", false}, {"gates", nlohmann::json::array()}});
        else
            ctx.say(fmt::format("{}@{} is already version {}; nothing to do", v->name, opts.to, v->version));
        return 0;
    }
    nlohmann::json gate_json = nlohmann::json::array();
    for (const auto& r : results) gate_json.push_back(registry::gate_result_json(r));
    if (failed > 0) {
        if (ctx.global.json) {
            ctx.print_json({{"name", v->name}, {"alias", opts.to}, {"to", v->version}, {"from", holder ? nlohmann::json(holder->version) : nlohmann::json(nullptr)},
                            {"moved", false}, {"gates", gate_json}});
        } else {
            ctx.out() << fmt::format("{:<28} {:<20} {:>12} {:>12} {:>12}  {}\n", "GATE", "METRIC", "VALUE", "CURRENT", "THRESHOLD", "RESULT");
            for (const auto& r : results)
                ctx.out() << fmt::format("{:<28} {:<20} {:>12.6g} {:>12} {:>12}  {}{}\n", r.gate, r.metric, r.value,
                                         r.current ? fmt::format("{:.6g}", *r.current) : std::string("-"),
                                         r.note.empty() || r.current ? fmt::format("{:.6g}", r.threshold) : std::string("-"),
                                         r.ok ? "pass" : "FAIL", r.note.empty() ? "" : "  (" + r.note + ")");
        }
        ctx.err() << fmt::format("mlops: promotion refused: {} of {} gate{} failed; {}@{} unchanged\n", failed, results.size(),
                                 results.size() == 1 ? "" : "s", v->name, opts.to);
        return int(util::ExitCode::condition_false);
    }
    auto e = util::value_or_throw(registry::move_alias(repo, v->name, opts.to, v->oid, "promote", gate_json));
    if (!ctx.global.json)
        for (const auto& r : results)
            ctx.say(fmt::format("  pass  {}  ({} = {:.6g}{})", r.gate, r.metric, r.value,
                                r.current ? fmt::format(", current {:.6g}", *r.current) : r.note.empty() ? "" : ", " + r.note));
    return report_move(ctx, e, results);
}

int run_model_rollback(Context& ctx, const ModelOptions& opts) {
    if (opts.args.size() != 2) throw util::CommandError(util::Error::usage("usage: mlops model rollback NAME ALIAS"));
    auto state = load(ctx, opts.args[0]);
    const auto& alias = opts.args[1];
    if (!state.latest_event(alias))
        throw util::CommandError(util::Error::usage(fmt::format("model {} has no alias '{}'", state.name, alias)));
    auto prev = state.previous_holder(alias);
    if (!prev || prev->empty())
        throw util::CommandError(util::Error::usage(fmt::format("{}@{}: no earlier holder to roll back to", state.name, alias)));
    auto e = util::value_or_throw(registry::move_alias(ctx.repo(), state.name, alias, *prev, "rollback", nlohmann::json::array()));
    return report_move(ctx, e, {});
}

Runner register_model(CLI::App& app) {
    auto opts = std::make_shared<ModelOptions>();
    auto* cmd = app.add_subcommand("model", "The model registry: versions, aliases, gated promotion, signatures");
    cmd->require_subcommand(1);
    auto* reg = cmd->add_subcommand("register", "Register a model bundle (a path, or a run's output) as a new version");
    reg->add_option("args", opts->args, "NAME PATH|RUN")->expected(2)->required();
    reg->add_option("--output", opts->output, "With RUN: which of its outputs (default: its model bundle)")->type_name("PATH");
    reg->add_option("--tag", opts->tags, "A tag KEY=VALUE (repeatable)")->type_name("KEY=VALUE");
    reg->add_option("--metric", opts->metrics, "Record a metric KEY=NUMBER (repeatable; overrides what runs recorded)")->type_name("KEY=NUMBER");
    reg->add_option("--description", opts->description, "A description");
    auto* list = cmd->add_subcommand("list", "Registered models, their latest version and aliases");
    auto* show = cmd->add_subcommand("show", "A model's versions and alias history, or one version (NAME@ALIAS, NAME:VERSION)");
    show->add_option("ref", opts->args, "NAME, NAME@ALIAS or NAME:VERSION")->expected(1)->required();
    auto* alias = cmd->add_subcommand("alias", "Point ALIAS at VERSION (no gates), or delete it with --delete");
    alias->add_option("args", opts->args, "NAME VERSION ALIAS (or NAME ALIAS with --delete)")->expected(2, 3)->required();
    alias->add_flag("--delete", opts->remove, "Delete the alias");
    auto* promote = cmd->add_subcommand("promote", "Move ALIAS to VERSION only if every --require gate holds (exit 1 otherwise)");
    promote->add_option("args", opts->args, "NAME VERSION")->expected(2)->required();
    promote->add_option("--to", opts->to, "The alias to move (e.g. production)")->required();
    promote->add_option("--require", opts->requires_,
                        "A gate: METRIC OP NUMBER or METRIC OP current[+-NUMBER], OP one of >= > <= < == != (repeatable)")
        ->type_name("GATE");
    auto* rollback = cmd->add_subcommand("rollback", "Move ALIAS back to the version that held it before");
    rollback->add_option("args", opts->args, "NAME ALIAS")->expected(2)->required();
    auto signing = register_model_signing(*cmd); // sign, verify
    return [opts, reg, list, show, alias, promote, rollback, signing](Context& ctx) {
        if (auto rc = signing(ctx)) return *rc;
        if (reg->parsed()) return run_model_register(ctx, *opts);
        if (list->parsed()) return run_model_list(ctx, *opts);
        if (show->parsed()) return run_model_show(ctx, *opts);
        if (alias->parsed()) return run_model_alias(ctx, *opts);
        if (promote->parsed()) return run_model_promote(ctx, *opts);
        if (rollback->parsed()) return run_model_rollback(ctx, *opts);
        return int(util::ExitCode::usage);
    };
}

} // namespace mlops::cli
