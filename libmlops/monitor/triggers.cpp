#include <mlops/monitor/triggers.hpp>

#include <algorithm>
#include <cerrno>
#include <cmath>
#include <fcntl.h>
#include <set>
#include <unistd.h>

#include <fmt/format.h>
#include <yaml-cpp/yaml.h>

#include <mlops/drift/analysis.hpp>
#include <mlops/drift/profile.hpp>
#include <mlops/drift/source.hpp>
#include <mlops/monitor/log.hpp>
#include <mlops/registry/gate.hpp>
#include <mlops/registry/registry.hpp>
#include <mlops/util/fs.hpp>
#include <mlops/util/hash.hpp>
#include <mlops/util/paths.hpp>
#include <mlops/util/strings.hpp>

namespace mlops::monitor {

namespace {

std::string where(const std::string& file, const YAML::Node& n) {
    return fmt::format("{}:{}:{}", file, n.Mark().line + 1, n.Mark().column + 1);
}
util::Error at(const std::string& file, const YAML::Node& n, const std::string& m) {
    return util::Error::usage(fmt::format("{}: {}", where(file, n), m));
}

util::Result<std::vector<std::string>> string_list(const YAML::Node& n, const std::string& file, const std::string& what) {
    std::vector<std::string> out;
    if (n.IsScalar()) {
        out.push_back(n.Scalar());
    } else if (n.IsSequence()) {
        for (const auto& v : n) {
            if (!v.IsScalar()) return util::fail(at(file, v, fmt::format("{}: a list of names", what)));
            out.push_back(v.Scalar());
        }
    } else {
        return util::fail(at(file, n, fmt::format("{}: a name or a list of names", what)));
    }
    return out;
}

bool inside(const std::string& path, const std::string& dir) {
    return path == dir || (path.size() > dir.size() && path.starts_with(dir) && path[dir.size()] == '/');
}

// The stages a name selects: itself, or every `name@*` of a foreach/matrix stage.
std::vector<const pipeline::Stage*> select(const pipeline::Pipeline& p, const std::string& name) {
    std::vector<const pipeline::Stage*> out;
    for (const auto& s : p.stages)
        if (s.name == name || (s.name.starts_with(name + "@"))) out.push_back(&s);
    return out;
}

} // namespace

util::Result<std::vector<Trigger>> parse_triggers(const std::string& text, const std::string& file, const pipeline::Pipeline& p) {
    std::vector<Trigger> out;
    try {
        auto root = YAML::Load(text);
        auto list = root.IsMap() ? root["triggers"] : YAML::Node();
        if (!list) return out;
        if (!list.IsSequence()) return util::fail(at(file, list, "triggers: a list of triggers"));
        static const std::vector<std::string> keys = {"name", "on", "run", "paths", "reference", "current", "drift_share",
                                                      "every", "promote", "description"};
        static const std::vector<std::string> kinds = {"data_change", "drift", "schedule"};
        std::set<std::string> names;
        for (const auto& def : list) {
            if (!def.IsMap()) return util::fail(at(file, def, "a trigger is a mapping with name, on and run"));
            for (const auto& kv : def) {
                auto k = kv.first.as<std::string>();
                if (std::find(keys.begin(), keys.end(), k) == keys.end()) {
                    auto hint = util::closest_match(k, keys);
                    return util::fail(at(file, kv.first, fmt::format("unknown trigger key '{}'{}", k, hint.empty() ? "" : fmt::format(" (did you mean '{}'?)", hint))));
                }
            }
            Trigger t;
            t.where = where(file, def);
            auto name = def["name"];
            if (!name || !name.IsScalar() || name.Scalar().empty()) return util::fail(at(file, def, "a trigger needs a name"));
            t.name = name.Scalar();
            if (!names.insert(t.name).second) return util::fail(at(file, name, fmt::format("a second trigger named '{}'", t.name)));
            auto on = def["on"];
            if (!on || !on.IsScalar()) return util::fail(at(file, def, fmt::format("trigger '{}': on: one of data_change, drift, schedule", t.name)));
            t.on = on.Scalar();
            if (std::find(kinds.begin(), kinds.end(), t.on) == kinds.end()) {
                auto hint = util::closest_match(t.on, kinds);
                return util::fail(at(file, on, fmt::format("trigger '{}': on: '{}' is not data_change, drift or schedule{}", t.name, t.on,
                                                           hint.empty() ? "" : fmt::format(" (did you mean '{}'?)", hint))));
            }
            auto run = def["run"];
            if (!run) return util::fail(at(file, def, fmt::format("trigger '{}' has no run: (the stages to run)", t.name)));
            t.stages = MLOPS_TRY(string_list(run, file, fmt::format("trigger '{}': run", t.name)));
            for (const auto& s : t.stages)
                if (select(p, s).empty()) {
                    std::vector<std::string> all;
                    for (const auto& st : p.stages) {
                        all.push_back(st.name);
                        if (auto at_sign = st.name.find('@'); at_sign != std::string::npos) all.push_back(st.name.substr(0, at_sign));
                    }
                    auto hint = util::closest_match(s, all);
                    return util::fail(at(file, run, fmt::format("trigger '{}': run: no stage '{}' in {}{}", t.name, s, p.file,
                                                                hint.empty() ? "" : fmt::format(" (did you mean '{}'?)", hint))));
                }
            if (auto paths = def["paths"]) {
                if (t.on != "data_change") return util::fail(at(file, paths, fmt::format("trigger '{}': paths is for on: data_change", t.name)));
                for (auto& s : MLOPS_TRY(string_list(paths, file, fmt::format("trigger '{}': paths", t.name))))
                    t.paths.push_back(util::normalize_path(s));
            }
            if (t.on == "drift") {
                auto ref = def["reference"], cur = def["current"];
                if (!ref || !ref.IsScalar() || !cur || !cur.IsScalar())
                    return util::fail(at(file, def, fmt::format("trigger '{}': on: drift needs reference: and current: (data paths)", t.name)));
                t.reference = ref.Scalar();
                t.current = cur.Scalar();
                if (auto s = def["drift_share"]) {
                    double v = -1;
                    try {
                        v = s.as<double>();
                    } catch (const YAML::Exception&) {
                    }
                    if (!(v > 0 && v <= 1)) return util::fail(at(file, s, fmt::format("trigger '{}': drift_share: a share in (0, 1]", t.name)));
                    t.drift_share = v;
                }
            } else {
                for (const char* k : {"reference", "current", "drift_share"})
                    if (def[k]) return util::fail(at(file, def[k], fmt::format("trigger '{}': {} is for on: drift", t.name, k)));
            }
            if (t.on == "schedule") {
                auto every = def["every"];
                if (!every || !every.IsScalar()) return util::fail(at(file, def, fmt::format("trigger '{}': on: schedule needs every: (30m, 1h, 1d)", t.name)));
                auto d = parse_duration(every.Scalar(), "every");
                if (!d) return util::fail(at(file, every, fmt::format("trigger '{}': {}", t.name, d.error().message)));
                t.every_s = *d;
            } else if (def["every"]) {
                return util::fail(at(file, def["every"], fmt::format("trigger '{}': every is for on: schedule", t.name)));
            }
            if (auto pr = def["promote"]) {
                if (!pr.IsMap()) return util::fail(at(file, pr, fmt::format("trigger '{}': promote: {{model, path, alias, gates}}", t.name)));
                for (const auto& kv : pr) {
                    auto k = kv.first.as<std::string>();
                    if (k != "model" && k != "path" && k != "alias" && k != "gates")
                        return util::fail(at(file, kv.first, fmt::format("trigger '{}': promote: unknown key '{}' (model, path, alias, gates)", t.name, k)));
                }
                Promotion p2;
                for (auto [k, dst] : {std::pair{"model", &p2.model}, {"path", &p2.path}, {"alias", &p2.alias}}) {
                    auto v = pr[k];
                    if (!v || !v.IsScalar() || v.Scalar().empty())
                        return util::fail(at(file, pr, fmt::format("trigger '{}': promote needs {}:", t.name, k)));
                    *dst = v.Scalar();
                }
                if (!registry::valid_name(p2.model)) return util::fail(at(file, pr["model"], fmt::format("trigger '{}': promote: '{}' is not a valid model name", t.name, p2.model)));
                if (!registry::valid_name(p2.alias)) return util::fail(at(file, pr["alias"], fmt::format("trigger '{}': promote: '{}' is not a valid alias", t.name, p2.alias)));
                p2.path = util::normalize_path(p2.path);
                if (auto g = pr["gates"]) {
                    p2.gates = MLOPS_TRY(string_list(g, file, fmt::format("trigger '{}': promote: gates", t.name)));
                    for (const auto& gate : p2.gates) {
                        auto parsed = registry::parse_gate(gate);
                        if (!parsed) return util::fail(at(file, g, fmt::format("trigger '{}': promote: {}", t.name, parsed.error().message)));
                    }
                }
                t.promote = p2;
            }
            out.push_back(std::move(t));
        }
    } catch (const YAML::Exception& e) {
        return util::fail(util::Error::usage(fmt::format("{}:{}:{}: {}", file, e.mark.line + 1, e.mark.column + 1, e.msg)));
    }
    return out;
}

util::Result<std::vector<Firing>> read_history(const std::string& abs_path) {
    std::vector<Firing> out;
    if (!MLOPS_TRY(util::stat_path(abs_path))) return out;
    auto text = MLOPS_TRY(util::read_file(abs_path));
    std::size_t n = 0;
    for (auto line : util::split_lines(text)) {
        ++n;
        if (util::trim(line).empty()) continue;
        auto j = nlohmann::json::parse(line, nullptr, false);
        // A line cut short by a crash is the last one: skip it rather than refuse the history.
        if (j.is_discarded() || !j.is_object() || !j.contains("trigger") || !j.contains("time")) continue;
        Firing f;
        f.trigger = j.value("trigger", "");
        f.on = j.value("on", "");
        f.reason = j.value("reason", "");
        f.fingerprint = j.value("fingerprint", "");
        auto t = parse_time(j.value("time", ""));
        if (!t) continue;
        f.time = *t;
        f.detail = std::move(j);
        out.push_back(std::move(f));
    }
    return out;
}

util::Status append_history(const std::string& abs_path, const nlohmann::json& line) {
    MLOPS_TRYV(make_local_dir(abs_path.substr(0, abs_path.rfind('/'))));
    int fd = ::open(abs_path.c_str(), O_WRONLY | O_CREAT | O_APPEND | O_CLOEXEC, 0644);
    if (fd < 0) return util::fail(util::Error::from_errno(abs_path, errno));
    auto text = line.dump() + "\n";
    bool ok = ::write(fd, text.data(), text.size()) == ssize_t(text.size()) && ::fsync(fd) == 0;
    int e = errno;
    ::close(fd);
    if (!ok) return util::fail(util::Error::from_errno(abs_path, e));
    return {};
}

namespace {

util::Result<Check> check_data_change(workspace::Repository& repo, const pipeline::Loaded& loaded, const Trigger& t) {
    Check c;
    // Paths some stage makes are not "data": a rerun upstream is not new data.
    std::vector<std::string> made;
    for (const auto& s : loaded.pipeline->stages)
        for (const auto& o : s.outs) made.push_back(o.path);
    std::map<std::string, std::pair<std::string, std::string>> changed; // path -> (was, now)
    for (const auto& name : t.stages)
        for (const auto* stage : select(*loaded.pipeline, name)) {
            auto it = loaded.lock.stages.find(stage->name);
            const pipeline::LockedStage* locked = it == loaded.lock.stages.end() ? nullptr : &it->second;
            auto st = MLOPS_TRY(pipeline::stage_state(repo, *stage, locked));
            for (const auto& [path, oid] : st.now.deps) {
                bool watched;
                if (t.paths.empty())
                    watched = std::none_of(made.begin(), made.end(), [&](const std::string& m) { return inside(path, m) || inside(m, path); });
                else
                    watched = std::any_of(t.paths.begin(), t.paths.end(), [&](const std::string& w) { return inside(path, w) || inside(w, path); });
                if (!watched) continue;
                std::string was;
                if (locked)
                    if (auto d = locked->deps.find(path); d != locked->deps.end()) was = d->second;
                if (was != oid || !locked) changed[path] = {was, oid};
            }
        }
    if (changed.empty()) {
        c.reason = "no watched data changed";
        return c;
    }
    c.fired = true;
    std::vector<std::string> parts, fp;
    nlohmann::json list = nlohmann::json::array();
    for (const auto& [path, v] : changed) {
        parts.push_back(v.first.empty() ? fmt::format("{} is new", path)
                                        : v.second.empty() ? fmt::format("{} is missing", path)
                                                           : fmt::format("{} changed ({} -> {})", path, v.first.substr(0, 8), v.second.substr(0, 8)));
        fp.push_back(path + "=" + v.second);
        list.push_back({{"path", path}, {"was", v.first.empty() ? nlohmann::json() : nlohmann::json(v.first)},
                        {"now", v.second.empty() ? nlohmann::json() : nlohmann::json(v.second)}});
    }
    c.reason = fmt::format("{}", fmt::join(parts, ", "));
    c.fingerprint = fmt::format("{}", fmt::join(fp, ","));
    c.detail["changed"] = list;
    return c;
}

util::Result<drift::Input> data_at(workspace::Repository& repo, const std::string& text, const std::string& where) {
    auto abs = repo.abs(util::normalize_path(text));
    bool exists = MLOPS_TRY(util::stat_path(abs)).has_value();
    auto spec = drift::parse_input(text, exists);
    switch (spec.kind) {
    case drift::InputSpec::Kind::file:
        if (!exists) return util::fail(util::Error::usage(fmt::format("{}: {}: no such file", where, text)));
        return drift::Input{text, abs};
    case drift::InputSpec::Kind::revision: return drift::tracked_at(repo, util::normalize_path(spec.path), spec.rev, text);
    case drift::InputSpec::Kind::object: return drift::object_input(repo, spec.oid, text);
    }
    return drift::Input{text, abs};
}

util::Result<Check> check_drift(workspace::Repository& repo, const Trigger& t, const Firing* last) {
    Check c;
    auto where = fmt::format("trigger '{}' ({})", t.name, t.where);
    auto ref = MLOPS_TRY(data_at(repo, t.reference, where));
    auto cur = MLOPS_TRY(data_at(repo, t.current, where));
    c.fingerprint = MLOPS_TRY(util::sha256_file(ref.path)) + "," + MLOPS_TRY(util::sha256_file(cur.path));
    if (last && last->fingerprint == c.fingerprint) {
        c.reason = "drift already acted on for this data";
        return c;
    }
    auto rs = MLOPS_TRY(drift::sniff(ref.path, ref.label));
    auto cs = MLOPS_TRY(drift::sniff(cur.path, cur.label));
    auto plan = MLOPS_TRY(drift::plan_pair(rs, ref.label, cs, cur.label, true));
    auto rp = MLOPS_TRY(drift::read_profile(ref.path, ref.label, plan.read));
    auto cp = MLOPS_TRY(drift::read_profile(cur.path, cur.label, plan.read));
    drift::Options o;
    o.drift_share = t.drift_share;
    o.multivariate = false;
    auto rep = MLOPS_TRY(drift::analyze(rp, cp, o));
    std::vector<std::string> drifted;
    for (const auto& col : rep.columns)
        if (col.drifted) drifted.push_back(col.name);
    c.detail = {{"drift_share", rep.drift_share}, {"threshold", t.drift_share}, {"drifted_columns", drifted}};
    c.fired = rep.drift_share >= t.drift_share;
    c.reason = fmt::format("drift share {:.3g} {} {:.3g} ({} of {} columns{}{})", rep.drift_share, c.fired ? ">=" : "<", t.drift_share,
                           drifted.size(), rep.columns.size(), drifted.empty() ? "" : ": ", fmt::join(drifted, ", "));
    return c;
}

Check check_schedule(const Trigger& t, const Firing* last, double now) {
    Check c;
    c.fingerprint = format_time(now);
    if (!last) {
        c.fired = true;
        c.reason = fmt::format("every {}; never ran", format_duration(t.every_s));
        return c;
    }
    double since = now - last->time;
    c.fired = since >= t.every_s;
    c.reason = fmt::format("every {}; last {} ago", format_duration(t.every_s), format_duration(std::floor(since)));
    return c;
}

} // namespace

util::Result<Check> check(workspace::Repository& repo, const pipeline::Loaded& loaded, const Trigger& t, const Firing* last, double now) {
    if (t.on == "data_change") return check_data_change(repo, loaded, t);
    if (t.on == "drift") return check_drift(repo, t, last);
    return check_schedule(t, last, now);
}

util::Result<PromotionResult> promote(workspace::Repository& repo, const Promotion& p) {
    PromotionResult out;
    auto nv = MLOPS_TRY(registry::describe_path(repo, p.path));
    nv.name = p.model;
    auto names = MLOPS_TRY(registry::model_names(repo));
    std::optional<registry::ModelState> state;
    if (std::find(names.begin(), names.end(), p.model) != names.end()) state = MLOPS_TRY(registry::load_model(repo, p.model));
    // The same model registered before (a rerun that made identical weights) is not a new version.
    const registry::VersionEntry* v = nullptr;
    if (state)
        for (const auto& e : state->versions)
            if (e.model_oid == nv.model_oid) v = &e;
    if (!v) {
        nv.tags["trigger"] = "mlops watch";
        auto entry = MLOPS_TRY(registry::register_version(repo, nv));
        out.registered = true;
        state = MLOPS_TRY(registry::load_model(repo, p.model));
        v = state->entry(entry.oid);
        if (!v) return util::fail(util::Error::internal("registered version not found"));
    }
    out.version = v->version;
    std::vector<registry::Gate> gates;
    for (const auto& text : p.gates) gates.push_back(MLOPS_TRY(registry::parse_gate(text)));
    auto check = MLOPS_TRY(registry::check_gates(*state, *v, p.alias, gates));
    if (check.holder && check.holder->oid == v->oid) {
        out.message = fmt::format("{}@{} is already version {}", p.model, p.alias, v->version);
        return out;
    }
    for (const auto& r : check.results) out.gates.push_back(registry::gate_result_json(r));
    bool failed = check.failed > 0;
    if (failed) {
        out.refused = true;
        out.message = fmt::format("promotion of {} version {} to {} refused by its gates", p.model, v->version, p.alias);
        return out;
    }
    MLOPS_TRY(registry::move_alias(repo, p.model, p.alias, v->oid, "promote", out.gates));
    out.moved = true;
    out.message = fmt::format("{}@{} -> version {}", p.model, p.alias, v->version);
    return out;
}

} // namespace mlops::monitor
