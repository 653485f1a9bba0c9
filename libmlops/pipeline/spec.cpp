#include <mlops/pipeline/spec.hpp>

#include <functional>
#include <set>

#include <yaml-cpp/yaml.h>

#include <mlops/util/paths.hpp>
#include <mlops/util/strings.hpp>

namespace mlops::pipeline {

using util::Error;
using util::fail;

std::string Location::str() const {
    if (line == 0) return file;
    return fmt::format("{}:{}:{}", file, line, column);
}

const Stage* Pipeline::find(std::string_view name) const {
    for (const auto& s : stages)
        if (s.name == name) return &s;
    return nullptr;
}

namespace {

Location loc(const std::string& file, const YAML::Node& n) {
    auto m = n.Mark();
    return {file, m.line + 1, m.column + 1};
}

Error at(const Location& l, const std::string& what) { return Error::usage(fmt::format("{}: {}", l.str(), what)); }

nlohmann::json scalar_to_json(const YAML::Node& n) {
    const std::string& s = n.Scalar();
    if (n.Tag() == "!") return s; // quoted: a string
    if (s == "null" || s == "~" || s.empty()) return nullptr;
    if (s == "true" || s == "True" || s == "TRUE") return true;
    if (s == "false" || s == "False" || s == "FALSE") return false;
    try {
        std::size_t pos = 0;
        long long v = std::stoll(s, &pos);
        if (pos == s.size()) return v;
    } catch (...) {
    }
    try {
        std::size_t pos = 0;
        double d = std::stod(s, &pos);
        if (pos == s.size()) return d;
    } catch (...) {
    }
    return s;
}

nlohmann::json node_to_json(const YAML::Node& n) {
    switch (n.Type()) {
    case YAML::NodeType::Scalar: return scalar_to_json(n);
    case YAML::NodeType::Sequence: {
        auto arr = nlohmann::json::array();
        for (const auto& x : n) arr.push_back(node_to_json(x));
        return arr;
    }
    case YAML::NodeType::Map: {
        auto obj = nlohmann::json::object();
        for (const auto& kv : n) obj[kv.first.as<std::string>()] = node_to_json(kv.second);
        return obj;
    }
    default: return nullptr;
    }
}

Result<YAML::Node> load_yaml(const std::string& text, const std::string& file) {
    try {
        return YAML::Load(text);
    } catch (const YAML::Exception& e) {
        return fail(Error::usage(fmt::format("{}:{}:{}: invalid YAML: {}", file, e.mark.line + 1, e.mark.column + 1, e.msg)));
    }
}

const nlohmann::json* lookup(const nlohmann::json& root, std::string_view dotted) {
    const nlohmann::json* cur = &root;
    for (auto part : util::split(dotted, '.')) {
        if (cur->is_object()) {
            auto it = cur->find(std::string(part));
            if (it == cur->end()) return nullptr;
            cur = &*it;
        } else if (cur->is_array()) {
            std::string p(part);
            if (p.empty() || p.find_first_not_of("0123456789") != std::string::npos) return nullptr;
            std::size_t i = std::stoul(p);
            if (i >= cur->size()) return nullptr;
            cur = &(*cur)[i];
        } else {
            return nullptr;
        }
    }
    return cur;
}

std::string json_text(const nlohmann::json& v) {
    if (v.is_string()) return v.get<std::string>();
    return v.dump();
}

// Interpolation scopes, innermost first.
struct Scope {
    std::vector<const nlohmann::json*> layers;
    const nlohmann::json* find(std::string_view key) const {
        for (auto* l : layers)
            if (auto* v = lookup(*l, key)) return v;
        return nullptr;
    }
};

Result<std::string> interpolate(const std::string& s, const Scope& scope, const Location& where) {
    std::string out;
    std::size_t i = 0;
    while (i < s.size()) {
        auto start = s.find("${", i);
        if (start == std::string::npos) {
            out.append(s, i, std::string::npos);
            break;
        }
        out.append(s, i, start - i);
        auto end = s.find('}', start);
        if (end == std::string::npos) return fail(at(where, fmt::format("unterminated '${{' in '{}'", s)));
        std::string key(util::trim(std::string_view(s).substr(start + 2, end - start - 2)));
        auto* v = scope.find(key);
        if (!v) return fail(at(where, fmt::format("undefined variable ${{{}}}", key)));
        if (v->is_object() || v->is_array())
            return fail(at(where, fmt::format("${{{}}} is a {}, not a value", key, v->is_object() ? "mapping" : "list")));
        out += json_text(*v);
        i = end + 1;
    }
    return out;
}

Result<std::string> scalar(const YAML::Node& n, const std::string& file, const Scope& scope, std::string_view what) {
    if (!n.IsScalar()) return fail(at(loc(file, n), fmt::format("{} must be a single value", what)));
    return interpolate(n.Scalar(), scope, loc(file, n));
}

Result<bool> boolean(const YAML::Node& n, const std::string& file, std::string_view what) {
    auto v = n.IsScalar() ? scalar_to_json(n) : nlohmann::json();
    if (!v.is_boolean()) return fail(at(loc(file, n), fmt::format("{} must be true or false", what)));
    return v.get<bool>();
}

Status check_keys(const YAML::Node& map, const std::string& file, const std::vector<std::string>& known, std::string_view what) {
    for (const auto& kv : map) {
        std::string key = kv.first.as<std::string>();
        if (std::find(known.begin(), known.end(), key) != known.end()) continue;
        auto hint = util::closest_match(key, known);
        return fail(at(loc(file, kv.first), fmt::format("unknown {} key '{}'{}", what, key,
                                                         hint.empty() ? "" : fmt::format(" (did you mean '{}'?)", hint))));
    }
    return {};
}

// A path written in the pipeline file (relative to wdir) as a repository-relative path.
Result<std::string> repo_path(const std::string& wdir, const std::string& p, const Location& where, std::string_view what) {
    if (p.empty()) return fail(at(where, fmt::format("empty {} path", what)));
    if (p.front() == '/') return fail(at(where, fmt::format("{} path '{}' must be relative to the repository", what, p)));
    std::string n = util::normalize_path(util::join_path(wdir, p));
    if (n == ".." || n.starts_with("../"))
        return fail(at(where, fmt::format("{} path '{}' is outside the repository", what, p)));
    if (n == ".git" || n.starts_with(".git/") || n == ".mlops" || n.starts_with(".mlops/"))
        return fail(at(where, fmt::format("{} path '{}' is inside repository metadata", what, p)));
    return n;
}

const std::vector<std::string> k_stage_keys = {"cmd", "deps", "params", "outs", "metrics", "wdir", "always_changed",
                                               "frozen", "desc", "resources", "foreach", "do", "matrix"};

struct Parser {
    std::string file;
    const FileReader& read;
    std::string default_params = "params.yaml";
    nlohmann::json vars = nlohmann::json::object();
    std::map<std::string, nlohmann::json> params_docs; // file -> parsed document

    Result<const nlohmann::json*> params_doc(const std::string& pfile, const Location& where) {
        auto it = params_docs.find(pfile);
        if (it != params_docs.end()) return &it->second;
        auto text = MLOPS_TRY(read(pfile));
        if (!text) return fail(at(where, fmt::format("params file {} does not exist", pfile)));
        auto doc = MLOPS_TRY(yaml_to_json(*text, pfile));
        return &params_docs.emplace(pfile, std::move(doc)).first->second;
    }

    Result<Stage> stage(const std::string& name, const YAML::Node& def, const Scope& scope) {
        if (!def.IsMap()) return fail(at(loc(file, def), fmt::format("stage '{}' must be a mapping", name)));
        MLOPS_TRYV(check_keys(def, file, k_stage_keys, "stage"));
        Stage s;
        s.name = name;
        s.where = loc(file, def);
        if (def["wdir"]) {
            auto w = MLOPS_TRY(scalar(def["wdir"], file, scope, "wdir"));
            s.wdir = MLOPS_TRY(repo_path("", w, loc(file, def["wdir"]), "wdir"));
            if (s.wdir == ".") s.wdir.clear();
        }
        auto cmd = def["cmd"];
        if (!cmd) return fail(at(s.where, fmt::format("stage '{}' has no cmd", name)));
        if (cmd.IsSequence()) {
            for (const auto& c : cmd) {
                if (!s.cmd.empty()) s.cmd += " && ";
                s.cmd += MLOPS_TRY(scalar(c, file, scope, "cmd"));
            }
        } else {
            s.cmd = MLOPS_TRY(scalar(cmd, file, scope, "cmd"));
        }
        if (util::trim(s.cmd).empty()) return fail(at(loc(file, cmd), fmt::format("stage '{}' has an empty cmd", name)));
        if (auto deps = def["deps"]) {
            if (!deps.IsSequence()) return fail(at(loc(file, deps), "deps must be a list of paths"));
            for (const auto& d : deps) {
                auto p = MLOPS_TRY(scalar(d, file, scope, "dep"));
                s.deps.push_back(MLOPS_TRY(repo_path(s.wdir, p, loc(file, d), "dep")));
                s.dep_where.push_back(loc(file, d));
            }
        }
        if (auto params = def["params"]) {
            if (!params.IsSequence()) return fail(at(loc(file, params), "params must be a list of keys or {file: [keys]}"));
            for (const auto& p : params) {
                if (p.IsScalar()) {
                    auto key = MLOPS_TRY(scalar(p, file, scope, "param"));
                    s.params.push_back({default_params, key, loc(file, p)});
                } else if (p.IsMap()) {
                    for (const auto& kv : p) {
                        auto pf = MLOPS_TRY(scalar(kv.first, file, scope, "params file"));
                        pf = MLOPS_TRY(repo_path(s.wdir, pf, loc(file, kv.first), "params file"));
                        if (!kv.second.IsSequence())
                            return fail(at(loc(file, kv.second), "a params file maps to a list of keys"));
                        for (const auto& k : kv.second)
                            s.params.push_back({pf, MLOPS_TRY(scalar(k, file, scope, "param")), loc(file, k)});
                    }
                } else {
                    return fail(at(loc(file, p), "a param is a key or {file: [keys]}"));
                }
            }
        }
        for (const char* kind : {"outs", "metrics"}) {
            auto list = def[kind];
            if (!list) continue;
            bool metric = std::string_view(kind) == "metrics";
            if (!list.IsSequence()) return fail(at(loc(file, list), fmt::format("{} must be a list of paths", kind)));
            for (const auto& o : list) {
                Output out;
                out.metric = metric;
                out.cache = !metric;
                out.where = loc(file, o);
                std::string p;
                if (o.IsScalar()) {
                    p = MLOPS_TRY(scalar(o, file, scope, "output"));
                } else if (o.IsMap() && o.size() == 1) {
                    auto kv = *o.begin();
                    p = MLOPS_TRY(scalar(kv.first, file, scope, "output"));
                    if (!kv.second.IsMap()) return fail(at(loc(file, kv.second), "output options must be a mapping"));
                    MLOPS_TRYV(check_keys(kv.second, file, {"cache", "persist"}, "output"));
                    if (kv.second["cache"]) out.cache = MLOPS_TRY(boolean(kv.second["cache"], file, "cache"));
                    if (kv.second["persist"]) out.persist = MLOPS_TRY(boolean(kv.second["persist"], file, "persist"));
                } else {
                    return fail(at(loc(file, o), "an output is a path or {path: {cache: ..., persist: ...}}"));
                }
                out.path = MLOPS_TRY(repo_path(s.wdir, p, out.where, "output"));
                s.outs.push_back(std::move(out));
            }
        }
        if (def["always_changed"]) s.always_changed = MLOPS_TRY(boolean(def["always_changed"], file, "always_changed"));
        if (def["frozen"]) s.frozen = MLOPS_TRY(boolean(def["frozen"], file, "frozen"));
        if (def["desc"]) s.desc = MLOPS_TRY(scalar(def["desc"], file, scope, "desc"));
        if (def["resources"]) {
            if (!def["resources"].IsMap()) return fail(at(loc(file, def["resources"]), "resources must be a mapping"));
            s.resources = node_to_json(def["resources"]);
        }
        // Params must exist now: a missing key is an error before anything runs.
        for (const auto& p : s.params) {
            auto* doc = MLOPS_TRY(params_doc(p.file, p.where));
            if (!lookup(*doc, p.key)) return fail(at(p.where, fmt::format("params key '{}' is not in {}", p.key, p.file)));
        }
        return s;
    }

    Status expand(const std::string& name, const YAML::Node& def, const Scope& base, std::vector<Stage>& out) {
        if (!def.IsMap()) return fail(at(loc(file, def), fmt::format("stage '{}' must be a mapping", name)));
        if (name.find('@') != std::string::npos || name.empty())
            return fail(at(loc(file, def), fmt::format("stage name '{}' may not contain '@'", name)));
        if (def["foreach"]) {
            MLOPS_TRYV(check_keys(def, file, {"foreach", "do"}, "foreach stage"));
            auto body = def["do"];
            if (!body) return fail(at(loc(file, def), fmt::format("stage '{}' has foreach but no do", name)));
            auto items_node = def["foreach"];
            nlohmann::json items;
            if (items_node.IsScalar()) {
                // "${vars.list}": a list or mapping taken from vars or params.
                std::string ref(util::trim(items_node.Scalar()));
                if (!ref.starts_with("${") || !ref.ends_with("}"))
                    return fail(at(loc(file, items_node), "foreach takes a list, a mapping or ${name} of one"));
                auto* v = base.find(util::trim(std::string_view(ref).substr(2, ref.size() - 3)));
                if (!v) return fail(at(loc(file, items_node), fmt::format("undefined variable {}", ref)));
                items = *v;
            } else {
                items = node_to_json(items_node);
            }
            if (items.is_array()) {
                for (std::size_t i = 0; i < items.size(); ++i) {
                    nlohmann::json local = {{"item", items[i]}, {"key", i}};
                    std::string suffix = items[i].is_object() || items[i].is_array() ? std::to_string(i) : json_text(items[i]);
                    Scope scope = base;
                    scope.layers.insert(scope.layers.begin(), &local);
                    out.push_back(MLOPS_TRY(stage(name + "@" + suffix, body, scope)));
                }
            } else if (items.is_object()) {
                for (auto& [k, v] : items.items()) {
                    nlohmann::json local = {{"item", v}, {"key", k}};
                    Scope scope = base;
                    scope.layers.insert(scope.layers.begin(), &local);
                    out.push_back(MLOPS_TRY(stage(name + "@" + k, body, scope)));
                }
            } else {
                return fail(at(loc(file, items_node), "foreach takes a list or a mapping"));
            }
            return {};
        }
        if (def["matrix"]) {
            auto m = def["matrix"];
            if (!m.IsMap() || m.size() == 0) return fail(at(loc(file, m), "matrix must map names to lists of values"));
            std::vector<std::pair<std::string, nlohmann::json>> axes;
            for (const auto& kv : m) {
                auto values = node_to_json(kv.second);
                if (!values.is_array() || values.empty())
                    return fail(at(loc(file, kv.second), fmt::format("matrix axis '{}' must be a non-empty list", kv.first.as<std::string>())));
                axes.emplace_back(kv.first.as<std::string>(), values);
            }
            YAML::Node body = YAML::Clone(def);
            body.remove("matrix");
            std::vector<std::size_t> idx(axes.size(), 0);
            for (;;) {
                nlohmann::json item = nlohmann::json::object();
                std::string suffix;
                for (std::size_t a = 0; a < axes.size(); ++a) {
                    const auto& v = axes[a].second[idx[a]];
                    item[axes[a].first] = v;
                    if (!suffix.empty()) suffix += "-";
                    suffix += v.is_object() || v.is_array() ? std::to_string(idx[a]) : json_text(v);
                }
                nlohmann::json local = {{"item", item}};
                Scope scope = base;
                scope.layers.insert(scope.layers.begin(), &local);
                out.push_back(MLOPS_TRY(stage(name + "@" + suffix, body, scope)));
                std::size_t a = axes.size();
                while (a > 0) {
                    --a;
                    if (++idx[a] < axes[a].second.size()) break;
                    idx[a] = 0;
                    if (a == 0) return {};
                }
                if (axes.empty()) return {};
            }
        }
        out.push_back(MLOPS_TRY(stage(name, def, base)));
        return {};
    }
};

} // namespace

Result<nlohmann::json> yaml_to_json(const std::string& text, const std::string& file) {
    auto node = MLOPS_TRY(load_yaml(text, file));
    try {
        return node_to_json(node);
    } catch (const YAML::Exception& e) {
        return fail(Error::usage(fmt::format("{}:{}:{}: {}", file, e.mark.line + 1, e.mark.column + 1, e.msg)));
    }
}

Result<std::optional<nlohmann::json>> lookup_param(const std::string& text, const std::string& file, const std::string& key) {
    auto doc = MLOPS_TRY(yaml_to_json(text, file));
    auto* v = lookup(doc, key);
    if (!v) return std::optional<nlohmann::json>{};
    return std::optional<nlohmann::json>{*v};
}

Result<Pipeline> parse_pipeline(const std::string& text, const std::string& file, const FileReader& read_file) {
    auto root = MLOPS_TRY(load_yaml(text, file));
    Pipeline p;
    p.file = file;
    try {
        if (!root.IsMap()) return fail(Error::usage(fmt::format("{}:1:1: a pipeline file is a mapping with 'stages'", file)));
        // `triggers` belongs to `mlops watch` (monitor/triggers), which parses it itself.
        MLOPS_TRYV(check_keys(root, file, {"params", "vars", "stages", "triggers", "executor"}, "pipeline"));
        if (auto ex = root["executor"]) {
            if (!ex.IsScalar() || (ex.Scalar() != "local" && ex.Scalar() != "slurm"))
                return fail(at(loc(file, ex), "executor is local or slurm"));
            p.executor = ex.Scalar();
            p.executor_where = loc(file, ex);
        }
        Parser parser{file, read_file};
        if (root["params"]) {
            if (!root["params"].IsScalar()) return fail(at(loc(file, root["params"]), "params names the default params file"));
            parser.default_params = util::normalize_path(root["params"].Scalar());
        }
        p.default_params = parser.default_params;
        if (auto vars = root["vars"]) {
            if (!vars.IsSequence() && !vars.IsMap()) return fail(at(loc(file, vars), "vars is a list of files or mappings"));
            auto merge = [&](const YAML::Node& v) -> Status {
                if (v.IsMap()) {
                    parser.vars.update(node_to_json(v));
                } else if (v.IsScalar()) {
                    std::string vf = util::normalize_path(v.Scalar());
                    auto doc = MLOPS_TRY(parser.params_doc(vf, loc(file, v)));
                    if (doc->is_object()) parser.vars.update(*doc);
                } else {
                    return fail(at(loc(file, v), "a vars entry is a file name or a mapping"));
                }
                return {};
            };
            if (vars.IsMap()) {
                MLOPS_TRYV(merge(vars));
            } else {
                for (const auto& v : vars) MLOPS_TRYV(merge(v));
            }
        }
        // ${name} looks in vars, then in the default params file (when there is one).
        nlohmann::json params_root = nlohmann::json::object();
        if (auto text_params = MLOPS_TRY(read_file(parser.default_params))) {
            params_root = MLOPS_TRY(yaml_to_json(*text_params, parser.default_params));
            parser.params_docs.emplace(parser.default_params, params_root);
        }
        Scope scope;
        scope.layers = {&parser.vars, &params_root};
        auto stages = root["stages"];
        if (!stages) return fail(Error::usage(fmt::format("{}:1:1: no 'stages' in the pipeline file", file)));
        if (!stages.IsMap()) return fail(at(loc(file, stages), "stages must map names to stage definitions"));
        for (const auto& kv : stages) {
            std::string name = kv.first.as<std::string>();
            MLOPS_TRYV(parser.expand(name, kv.second, scope, p.stages));
        }
        std::set<std::string> names;
        for (const auto& s : p.stages)
            if (!names.insert(s.name).second) return fail(at(s.where, fmt::format("stage '{}' is defined twice", s.name)));
    } catch (const YAML::Exception& e) {
        return fail(Error::usage(fmt::format("{}:{}:{}: {}", file, e.mark.line + 1, e.mark.column + 1, e.msg)));
    }
    return p;
}

} // namespace mlops::pipeline
