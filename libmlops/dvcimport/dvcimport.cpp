#include <mlops/dvcimport/dvcimport.hpp>

#include <algorithm>
#include <cerrno>
#include <cstdio>
#include <map>
#include <tuple>
#include <filesystem>
#include <fstream>
#include <set>

#include <fmt/format.h>
#include <nlohmann/json.hpp>
#include <openssl/evp.h>
#include <yaml-cpp/yaml.h>

#include <mlops/config/config.hpp>
#include <mlops/pipeline/lock.hpp>
#include <mlops/pipeline/runner.hpp>
#include <mlops/pipeline/spec.hpp>
#include <mlops/remote/url.hpp>
#include <mlops/util/fs.hpp>
#include <mlops/util/hash.hpp>
#include <mlops/util/paths.hpp>
#include <mlops/util/strings.hpp>
#include <mlops/workspace/add.hpp>

namespace fs = std::filesystem;

namespace mlops::dvcimport {

namespace {

// MD5 through OpenSSL EVP: only to check the hashes DVC recorded.
class Md5 {
  public:
    Md5() : m_ctx(EVP_MD_CTX_new()) { EVP_DigestInit_ex(m_ctx, EVP_md5(), nullptr); }
    ~Md5() { EVP_MD_CTX_free(m_ctx); }
    Md5(const Md5&) = delete;
    Md5& operator=(const Md5&) = delete;
    void update(const void* p, std::size_t n) { EVP_DigestUpdate(m_ctx, p, n); }
    std::string hex() {
        std::uint8_t d[16];
        unsigned int len = 0;
        EVP_DigestFinal_ex(m_ctx, d, &len);
        return util::to_hex(std::span<const std::uint8_t>(d, 16));
    }

  private:
    EVP_MD_CTX* m_ctx;
};

std::size_t line_of(const YAML::Node& n) { return n.Mark().is_null() ? 0 : std::size_t(n.Mark().line + 1); }

util::Result<YAML::Node> load_yaml_file(const std::string& abs, const std::string& rel) {
    auto text = MLOPS_TRY(util::read_file(abs));
    try {
        return YAML::Load(text);
    } catch (const YAML::Exception& e) {
        return util::fail(util::Error::usage(fmt::format("{}:{}:{}: {}", rel, e.mark.line + 1, e.mark.column + 1, e.msg)));
    }
}

struct Planner {
    workspace::Repository& repo;
    Plan plan;

    void problem(const std::string& file, const YAML::Node& at, std::string what, std::string why) {
        plan.problems.push_back({file, line_of(at), std::move(what), std::move(why)});
    }

    // --- dvc.yaml -> mlops.yaml ---------------------------------------------------------------

    // An output list (outs, metrics, plots) in mlops's form; DVC caches all three by default.
    YAML::Node outputs(const YAML::Node& list, const std::string& kind, bool mlops_default_cache) {
        YAML::Node out(YAML::NodeType::Sequence);
        if (!list.IsSequence()) {
            problem("dvc.yaml", list, kind, "not a list; left out");
            return out;
        }
        for (const auto& o : list) {
            std::string path;
            YAML::Node opts;
            if (o.IsScalar()) {
                path = o.Scalar();
            } else if (o.IsMap() && o.size() == 1) {
                path = o.begin()->first.Scalar();
                opts = o.begin()->second;
            } else {
                problem("dvc.yaml", o, kind, "an entry that is neither a path nor {path: options}; left out");
                continue;
            }
            bool cache = true, persist = false, has_persist = false;
            if (opts && opts.IsMap()) {
                for (const auto& kv : opts) {
                    auto k = kv.first.Scalar();
                    if (k == "cache") cache = kv.second.as<bool>(true);
                    else if (k == "persist") {
                        persist = kv.second.as<bool>(false);
                        has_persist = true;
                    } else
                        problem("dvc.yaml", kv.first, fmt::format("{}: {}: {}", kind, path, k),
                                k == "x" || k == "y" || k == "template" || k == "title" || k == "x_label" || k == "y_label"
                                    ? "plot rendering options have no mlops equivalent; dropped"
                                    : "output option with no mlops equivalent; dropped");
                }
            }
            bool mlops_default = mlops_default_cache; // mlops: outs cached, metrics not; DVC caches all by default
            if (cache == mlops_default && !has_persist) {
                out.push_back(path);
            } else {
                YAML::Node o2;
                YAML::Node flags;
                if (cache != mlops_default) flags["cache"] = cache;
                if (has_persist) flags["persist"] = persist;
                o2[path] = flags;
                out.push_back(o2);
            }
        }
        return out;
    }

    // The params of one stage; `{file: }` (every key of the file) becomes the file's top-level keys.
    YAML::Node params(const YAML::Node& list, const std::string& wdir) {
        YAML::Node out(YAML::NodeType::Sequence);
        if (!list.IsSequence()) {
            problem("dvc.yaml", list, "params", "not a list; left out");
            return out;
        }
        for (const auto& p : list) {
            if (p.IsScalar()) {
                out.push_back(p.Scalar());
                continue;
            }
            if (!p.IsMap()) {
                problem("dvc.yaml", p, "params", "an entry that is neither a key nor {file: [keys]}; left out");
                continue;
            }
            for (const auto& kv : p) {
                auto file = kv.first.Scalar();
                YAML::Node keys(YAML::NodeType::Sequence);
                if (kv.second.IsSequence() && kv.second.size() > 0) {
                    keys = YAML::Clone(kv.second);
                } else {
                    // Every key of the file: read it now.
                    auto rel = util::normalize_path(util::join_path(wdir, file));
                    auto doc = load_yaml_file(repo.abs(rel), rel);
                    if (!doc || !doc->IsMap()) {
                        problem("dvc.yaml", kv.first, "params: " + file,
                                doc ? "the whole file is tracked but it is not a mapping; left out"
                                    : "the whole file is tracked but it cannot be read: " + doc.error().message);
                        continue;
                    }
                    for (const auto& top : *doc) keys.push_back(top.first.Scalar());
                    if (file.ends_with(".json") || file.ends_with(".toml") || file.ends_with(".py"))
                        problem("dvc.yaml", kv.first, "params: " + file, "mlops reads params files as YAML (JSON is YAML); TOML and Python are not read");
                }
                YAML::Node m;
                m[file] = keys;
                out.push_back(m);
            }
        }
        return out;
    }

    YAML::Node stage_body(const std::string& name, const YAML::Node& def, bool allow_loops) {
        YAML::Node s;
        if (!def.IsMap()) {
            problem("dvc.yaml", def, "stages: " + name, "a stage that is not a mapping; left out");
            return {};
        }
        std::string wdir = def["wdir"] && def["wdir"].IsScalar() ? def["wdir"].Scalar() : "";
        YAML::Node outs(YAML::NodeType::Sequence), metrics(YAML::NodeType::Sequence);
        for (const auto& kv : def) {
            auto k = kv.first.Scalar();
            const auto& v = kv.second;
            if (allow_loops && (k == "foreach" || k == "matrix")) s[k] = YAML::Clone(v);
            else if (allow_loops && k == "do") s["do"] = stage_body(name, v, false);
            else if (k == "cmd" || k == "wdir" || k == "desc" || k == "frozen" || k == "always_changed" || k == "deps")
                s[k] = YAML::Clone(v);
            else if (k == "params") s["params"] = params(v, wdir);
            else if (k == "outs")
                for (auto o : outputs(v, "outs", true)) outs.push_back(o);
            else if (k == "metrics")
                for (auto o : outputs(v, "metrics", false)) metrics.push_back(o);
            else if (k == "plots") {
                for (auto o : outputs(v, "plots", true)) outs.push_back(o);
                problem("dvc.yaml", kv.first, fmt::format("stages: {}: plots", name),
                        "kept as outputs of the stage; mlops does not render plots");
            } else if (k == "meta")
                problem("dvc.yaml", kv.first, fmt::format("stages: {}: meta", name), "free-form metadata; dropped");
            else if (k == "vars")
                problem("dvc.yaml", kv.first, fmt::format("stages: {}: vars", name),
                        "stage-level vars have no mlops equivalent (mlops has top-level vars); dropped");
            else
                problem("dvc.yaml", kv.first, fmt::format("stages: {}: {}", name, k), "unknown to mlops; dropped");
        }
        if (outs.size()) s["outs"] = outs;
        if (metrics.size()) s["metrics"] = metrics;
        if (!def["cmd"] && !def["do"])
            problem("dvc.yaml", def, "stages: " + name, "no cmd (mlops needs one)");
        return s;
    }

    util::Status pipeline(const std::string& abs) {
        auto root = MLOPS_TRY(load_yaml_file(abs, "dvc.yaml"));
        if (!root.IsMap()) return util::fail(util::Error::usage("dvc.yaml:1:1: a DVC pipeline file is a mapping with 'stages'"));
        YAML::Node out;
        for (const auto& kv : root) {
            auto k = kv.first.Scalar();
            if (k == "stages") continue;
            if (k == "vars") {
                YAML::Node vars(YAML::NodeType::Sequence);
                auto add = [&](const YAML::Node& v) {
                    if (v.IsScalar()) {
                        auto text = v.Scalar();
                        if (auto colon = text.find(':'); colon != std::string::npos) {
                            problem("dvc.yaml", v, "vars: " + text,
                                    "mlops reads the whole file, not selected keys; imported as " + text.substr(0, colon));
                            text = text.substr(0, colon);
                        }
                        vars.push_back(text);
                    } else {
                        vars.push_back(YAML::Clone(v));
                    }
                };
                if (kv.second.IsSequence())
                    for (const auto& v : kv.second) add(v);
                else
                    add(kv.second);
                out["vars"] = vars;
                continue;
            }
            problem("dvc.yaml", kv.first, k,
                    k == "plots" ? "top-level plot definitions have no mlops equivalent; not converted"
                    : k == "metrics" || k == "params" ? "top-level metrics/params files outside stages are not tracked by mlops; not converted"
                                                      : "no mlops equivalent; not converted");
        }
        YAML::Node stages(YAML::NodeType::Map);
        if (auto st = root["stages"]; st && st.IsMap()) {
            for (const auto& kv : st) {
                auto name = kv.first.Scalar();
                auto body = stage_body(name, kv.second, true);
                if (!body.IsMap()) continue;
                stages[name] = body;
                plan.stages.push_back(name);
            }
        } else {
            problem("dvc.yaml", root, "stages", "no stages");
        }
        out["stages"] = stages;
        YAML::Emitter em;
        em << out;
        plan.pipeline = "# Converted from dvc.yaml by `mlops import-dvc` (docs/import-dvc.md).\n" + std::string(em.c_str()) + "\n";
        // What mlops will make of it: a form DVC accepts and mlops does not (a matrix axis given as
        // ${...}) is listed here rather than found by the first `mlops run`.
        auto parsed = pipeline::parse_pipeline(*plan.pipeline, "mlops.yaml", [&](const std::string& rel) -> util::Result<std::optional<std::string>> {
            if (!fs::exists(repo.abs(rel))) return std::optional<std::string>{};
            return std::optional<std::string>(MLOPS_TRY(util::read_file(repo.abs(rel))));
        });
        if (!parsed)
            plan.problems.push_back({"dvc.yaml", 0, "mlops.yaml", "the converted pipeline is written but mlops cannot read it: " +
                                                                      parsed.error().message + "; edit mlops.yaml by hand"});
        return {};
    }

    // --- dvc.lock ---------------------------------------------------------------------------------

    // The MD5 DVC would record for a work-tree path now ("" when missing or unreadable).
    std::string md5_now(const std::string& rel, bool legacy_text, const std::string& want) {
        auto abs = repo.abs(rel);
        std::error_code ec;
        if (fs::is_directory(abs, ec)) {
            auto m = md5_dir(abs);
            return m ? *m : "";
        }
        if (!fs::is_regular_file(abs, ec)) return "";
        auto m = md5_file(abs);
        if (m && *m != want && legacy_text)
            if (auto d = md5_file(abs, true); d && *d == want) return *d;
        return m ? *m : "";
    }

    // Which stages of the converted pipeline dvc.lock shows up to date: the same command, and every
    // dependency and output (the same paths) with the MD5 DVC recorded. Params are compared when
    // the import is applied, against the values mlops reads.
    util::Status lock(const std::string& abs) {
        auto root = MLOPS_TRY(load_yaml_file(abs, "dvc.lock"));
        auto stages = root["stages"];
        if (!stages || !stages.IsMap() || !plan.pipeline) return {};
        auto parsed = pipeline::parse_pipeline(*plan.pipeline, "mlops.yaml", [&](const std::string& rel) -> util::Result<std::optional<std::string>> {
            if (!fs::exists(repo.abs(rel))) return std::optional<std::string>{};
            return std::optional<std::string>(MLOPS_TRY(util::read_file(repo.abs(rel))));
        });
        if (!parsed) {
            plan.problems.push_back({"dvc.yaml", 0, "mlops.yaml",
                                     "the converted pipeline does not parse (" + parsed.error().message + "); dvc.lock is not carried over"});
            return {};
        }
        bool legacy = !(root["schema"] && root["schema"].Scalar() == "2.0");
        for (const auto& kv : stages) {
            auto name = kv.first.Scalar();
            const auto& e = kv.second;
            const auto* st = parsed->find(name);
            auto skip = [&](const std::string& why) {
                problem("dvc.lock", kv.first, "stages: " + name, why + "; `mlops run` runs it");
            };
            if (!st) {
                skip("not a stage of dvc.yaml any more");
                continue;
            }
            if (!e["cmd"] || !e["cmd"].IsScalar() || e["cmd"].Scalar() != st->cmd) {
                skip("its command differs from dvc.yaml's");
                continue;
            }
            auto entries = [&](const char* key, std::vector<std::pair<std::string, std::string>>& out) {
                if (auto list = e[key]; list && list.IsSequence())
                    for (const auto& d : list)
                        if (d.IsMap() && d["path"])
                            out.emplace_back(util::normalize_path(util::join_path(st->wdir, d["path"].Scalar())),
                                             d["md5"] ? d["md5"].Scalar() : "");
            };
            std::vector<std::pair<std::string, std::string>> deps, outs;
            entries("deps", deps);
            entries("outs", outs);
            std::set<std::string> dep_paths, out_paths, want_deps(st->deps.begin(), st->deps.end()), want_outs;
            for (const auto& o : st->outs) want_outs.insert(o.path);
            for (const auto& d : deps) dep_paths.insert(d.first);
            for (const auto& o : outs) out_paths.insert(o.first);
            if (dep_paths != want_deps || out_paths != want_outs) {
                skip("its dependencies or outputs differ from dvc.yaml's");
                continue;
            }
            std::string stale;
            for (const auto* list : {&deps, &outs})
                for (const auto& [path, md5] : *list)
                    if (stale.empty() && (md5.empty() || md5_now(path, legacy, md5) != md5)) stale = path;
            if (!stale.empty()) {
                skip(fmt::format("{} is not what DVC recorded (changed or missing)", stale));
                continue;
            }
            Adopted a;
            a.stage = name;
            if (auto params = e["params"]; params && params.IsMap()) {
                auto j = pipeline::yaml_to_json(YAML::Dump(params), "dvc.lock");
                if (j && j->is_object()) a.params = *j;
            }
            plan.adopted.push_back(std::move(a));
        }
        return {};
    }

    // --- *.dvc files ----------------------------------------------------------------------------

    std::string cache_file_for(const std::string& md5) {
        if (md5.size() < 3) return {};
        for (const auto& base : {".dvc/cache/files/md5/", ".dvc/cache/"}) {
            auto p = repo.abs(std::string(base) + md5.substr(0, 2) + "/" + md5.substr(2));
            if (fs::is_regular_file(p)) return p;
        }
        return {};
    }

    void dvc_file(const std::string& rel) {
        auto doc = load_yaml_file(repo.abs(rel), rel);
        if (!doc) {
            plan.problems.push_back({rel, 0, rel, doc.error().message});
            return;
        }
        if (!doc->IsMap() || !(*doc)["outs"] || !(*doc)["outs"].IsSequence()) {
            problem(rel, *doc, rel, "no outs list; nothing to track");
            return;
        }
        std::string base = util::parent_path(rel);
        if (auto w = (*doc)["wdir"]; w && w.IsScalar()) base = util::normalize_path(util::join_path(base, w.Scalar()));
        if (auto deps = (*doc)["deps"]; deps && deps.size())
            problem(rel, deps, "deps", "an import (dvc import / import-url): the data is tracked as it is now; its source is not converted");
        bool legacy = true;
        for (const auto& o : (*doc)["outs"]) {
            if (!o.IsMap() || !o["path"]) {
                problem(rel, o, "outs", "an output without a path; left out");
                continue;
            }
            Tracked t;
            t.path = util::normalize_path(util::join_path(base, o["path"].Scalar()));
            t.dvc_file = rel;
            if (o["md5"]) t.md5 = o["md5"].Scalar();
            if (o["hash"] && o["hash"].Scalar() == "md5") legacy = false;
            t.dir = t.md5.ends_with(".dir");
            if (o["cache"] && !o["cache"].as<bool>(true)) {
                problem(rel, o, t.path, "cache: false: DVC leaves it to git, so does mlops; not tracked");
                continue;
            }
            if (t.path.starts_with("../") || t.path == "..") {
                problem(rel, o, t.path, "outside the repository; not tracked");
                continue;
            }
            auto abs = repo.abs(t.path);
            std::error_code ec;
            bool exists = fs::exists(fs::symlink_status(abs, ec));
            if (exists) {
                bool is_dir = fs::is_directory(abs, ec);
                auto md5 = is_dir ? md5_dir(abs) : md5_file(abs);
                if (!md5) {
                    problem(rel, o, t.path, md5.error().message);
                    continue;
                }
                bool match = t.md5.empty() || *md5 == t.md5;
                if (!match && legacy && !is_dir) { // DVC 2 hashed text files with CRLF turned to LF
                    auto d2u = md5_file(abs, true);
                    match = d2u && *d2u == t.md5;
                }
                if (match) {
                    t.dir = is_dir;
                    t.verified = !t.md5.empty();
                    t.source = "work tree";
                    plan.tracked.push_back(std::move(t));
                    continue;
                }
                if (auto c = cache_file_for(t.md5); !c.empty() && !t.dir) {
                    problem(rel, o, t.path, fmt::format("the work tree's copy (md5 {}) differs from the recorded {}; the work tree's copy is "
                                                        "kept and tracked (DVC's cache holds the recorded version)", *md5, t.md5));
                } else {
                    problem(rel, o, t.path, fmt::format("the work tree's copy (md5 {}) differs from the recorded {}; tracked as it is now", *md5, t.md5));
                }
                t.source = "work tree";
                plan.tracked.push_back(std::move(t));
                continue;
            }
            if (t.dir) {
                problem(rel, o, t.path, "a folder that is not in the work tree; run `dvc checkout` first (folders are not rebuilt from DVC's cache)");
                continue;
            }
            auto c = cache_file_for(t.md5);
            if (c.empty()) {
                problem(rel, o, t.path, fmt::format("not in the work tree, and md5 {} is not in DVC's cache (.dvc/cache); run `dvc pull` first", t.md5));
                continue;
            }
            auto cmd5 = md5_file(c);
            if (!cmd5 || *cmd5 != t.md5) {
                problem(rel, o, t.path, fmt::format("DVC's cache file for md5 {} is damaged; not tracked", t.md5));
                continue;
            }
            t.source = "DVC cache";
            t.verified = true;
            t.cache_file = c;
            plan.tracked.push_back(std::move(t));
        }
    }

    // --- .dvc/config ----------------------------------------------------------------------------

    // DVC's config is INI: `[core]`, `['remote "name"']` (or `[remote "name"]`), `key = value`.
    void remotes(const std::string& rel) {
        auto text = util::read_file(repo.abs(rel));
        if (!text) return;
        std::string section, def;
        std::vector<std::pair<std::string, std::size_t>> order;
        std::map<std::string, std::vector<std::tuple<std::string, std::string, std::size_t>>> kv;
        std::size_t n = 0;
        for (auto line : util::split_lines(*text)) {
            ++n;
            auto t = std::string(util::trim(line));
            if (t.empty() || t[0] == '#' || t[0] == ';') continue;
            if (t.front() == '[' && t.back() == ']') {
                section = t.substr(1, t.size() - 2);
                if (section.size() > 2 && section.front() == '\'' && section.back() == '\'') section = section.substr(1, section.size() - 2);
                if (section.starts_with("remote ")) {
                    auto name = section.substr(7);
                    if (name.size() >= 2 && name.front() == '"') name = name.substr(1, name.size() - 2);
                    section = "remote:" + name;
                    order.emplace_back(name, n);
                }
                continue;
            }
            auto eq = t.find('=');
            if (eq == std::string::npos) continue;
            auto key = std::string(util::trim(t.substr(0, eq)));
            auto value = std::string(util::trim(t.substr(eq + 1)));
            if (section == "core" && key == "remote") def = value;
            else if (section.starts_with("remote:")) kv[section.substr(7)].emplace_back(key, value, n);
        }
        for (const auto& [name, at] : order) {
            Remote r;
            r.name = name;
            r.is_default = name == def;
            bool ok = true;
            for (const auto& [key, value, line] : kv[name]) {
                if (key == "url") {
                    r.url = value;
                    if (value.find("://") == std::string::npos && !value.starts_with("/"))
                        r.url = util::normalize_path(util::join_path(".dvc", value)); // DVC: relative to .dvc/
                    auto u = remote::parse_url(r.url);
                    if (!u) {
                        plan.problems.push_back({rel, line, fmt::format("remote {}: url {}", name, value),
                                                 "a scheme mlops has no backend for (it has local folders and s3://); not converted"});
                        ok = false;
                    }
                } else if (key == "endpointurl") r.settings.emplace_back("endpoint", value);
                else if (key == "region" || key == "profile" || key == "access_key_id") r.settings.emplace_back(key, value);
                else if (key == "secret_access_key" || key == "session_token")
                    plan.problems.push_back({rel, line, fmt::format("remote {}: {}", name, key),
                                             "a secret: not copied; set it with `mlops config --local remote." + name + "." + key + " ...`"});
                else
                    plan.problems.push_back({rel, line, fmt::format("remote {}: {}", name, key), "no mlops equivalent; dropped"});
            }
            if (!mlops::remote::valid_remote_name(name)) {
                plan.problems.push_back({rel, at, "remote " + name, "not a valid mlops remote name; not converted"});
                ok = false;
            }
            if (r.url.empty()) ok = false;
            if (ok) plan.remotes.push_back(std::move(r));
        }
        if (!plan.remotes.empty())
            plan.problems.push_back({rel, 0, "remotes", "mlops keeps its own object layout: the converted remotes start empty for mlops; `mlops push` fills them"});
    }
};

// Every *.dvc file under the root (not inside .git, .dvc or .mlops), sorted.
std::vector<std::string> find_dvc_files(const std::string& root) {
    std::vector<std::string> out;
    std::error_code ec;
    for (auto it = fs::recursive_directory_iterator(root, fs::directory_options::skip_permission_denied, ec);
         it != fs::recursive_directory_iterator(); it.increment(ec)) {
        if (ec) break;
        auto name = it->path().filename().string();
        if (it->is_directory(ec) && (name == ".git" || name == ".dvc" || name == ".mlops")) {
            it.disable_recursion_pending();
            continue;
        }
        if (it->is_regular_file(ec) && name.ends_with(".dvc") && name != ".dvc")
            out.push_back(fs::relative(it->path(), root, ec).generic_string());
    }
    std::sort(out.begin(), out.end());
    return out;
}

} // namespace

util::Result<std::string> md5_file(const std::string& path, bool dos2unix) {
    auto fd = MLOPS_TRY(util::UniqueFd::open_read(path));
    Md5 h;
    bool cr = false; // a CR held back, in dos2unix mode
    MLOPS_TRYV(util::read_chunks(fd.get(), path, [&](const char* p, std::size_t n) -> util::Status {
        if (!dos2unix) {
            h.update(p, n);
            return {};
        }
        std::string buf;
        buf.reserve(n + 1);
        for (std::size_t i = 0; i < n; ++i) {
            if (cr && p[i] != '\n') buf.push_back('\r');
            cr = p[i] == '\r';
            if (!cr) buf.push_back(p[i]);
        }
        h.update(buf.data(), buf.size());
        return {};
    }));
    if (cr) h.update("\r", 1);
    return h.hex();
}

util::Result<std::string> md5_dir(const std::string& path) {
    std::vector<std::string> files;
    std::error_code ec;
    for (auto it = fs::recursive_directory_iterator(path, ec); it != fs::recursive_directory_iterator(); it.increment(ec)) {
        if (ec) return util::fail(util::Error::io(fmt::format("{}: {}", path, ec.message())));
        if (it->is_regular_file(ec)) files.push_back(fs::relative(it->path(), path, ec).generic_string());
    }
    std::sort(files.begin(), files.end());
    nlohmann::json list = nlohmann::json::array();
    for (const auto& f : files) list.push_back({{"md5", MLOPS_TRY(md5_file(path + "/" + f))}, {"relpath", f}});
    // Python's json.dumps(..., sort_keys=True): ", " and ": " separators.
    std::string text = "[";
    for (std::size_t i = 0; i < list.size(); ++i) {
        if (i) text += ", ";
        text += fmt::format("{{\"md5\": {}, \"relpath\": {}}}", list[i]["md5"].dump(), list[i]["relpath"].dump());
    }
    text += "]";
    Md5 h;
    h.update(text.data(), text.size());
    return h.hex() + ".dir";
}

util::Result<Plan> plan(workspace::Repository& repo, Overwrite overwrite) {
    Planner p{repo, {}};
    bool has_yaml = fs::exists(repo.abs("dvc.yaml"));
    auto dvc_files = find_dvc_files(repo.root());
    if (!has_yaml && dvc_files.empty() && !fs::exists(repo.abs(".dvc")))
        return util::fail(util::Error::usage(fmt::format("{}: not a DVC project (no dvc.yaml, no *.dvc files, no .dvc/)", repo.root())));
    if (has_yaml) {
        if (overwrite == Overwrite::no && fs::exists(repo.abs("mlops.yaml")))
            return util::fail(util::Error::usage("mlops.yaml exists already; --force replaces it"));
        MLOPS_TRYV(p.pipeline(repo.abs("dvc.yaml")));
        if (fs::exists(repo.abs("dvc.lock"))) MLOPS_TRYV(p.lock(repo.abs("dvc.lock")));
    }
    for (const auto& f : dvc_files) p.dvc_file(f);
    // Paths `mlops add` would refuse (inside a tracked folder, or holding tracked paths) are listed
    // now, so the import does not stop half-way.
    {
        auto tracked = MLOPS_TRY(workspace::find_tracked_paths(repo));
        std::vector<Tracked> kept;
        for (auto& t : p.plan.tracked) {
            auto others = tracked;
            for (const auto& k : kept) others.push_back(k.path);
            if (auto st = workspace::check_overlap(others, t.path); !st) {
                p.plan.problems.push_back({t.dvc_file, 0, t.path, st.error().message + "; not tracked"});
                continue;
            }
            kept.push_back(std::move(t));
        }
        p.plan.tracked = std::move(kept);
    }
    if (fs::exists(repo.abs(".dvc/config"))) p.remotes(".dvc/config");
    if (fs::exists(repo.abs(".dvc/config.local")))
        p.plan.problems.push_back({".dvc/config.local", 0, ".dvc/config.local", "local settings (credentials) are not copied"});
    // By file (in the order they were read), then by line.
    std::vector<std::string> files;
    for (const auto& pr : p.plan.problems)
        if (std::find(files.begin(), files.end(), pr.file) == files.end()) files.push_back(pr.file);
    auto rank = [&](const Problem& pr) { return std::pair(std::find(files.begin(), files.end(), pr.file) - files.begin(), pr.line); };
    std::stable_sort(p.plan.problems.begin(), p.plan.problems.end(), [&](const Problem& a, const Problem& b) { return rank(a) < rank(b); });
    return std::move(p.plan);
}

util::Result<Applied> apply(workspace::Repository& repo, const Plan& plan, Overwrite overwrite) {
    Applied a;
    if (plan.pipeline && overwrite == Overwrite::no && fs::exists(repo.abs("mlops.yaml")))
        return util::fail(util::Error::usage("mlops.yaml exists already; --force replaces it"));
    // Data first: restored from DVC's cache (a temporary name, then renamed), then stored with its
    // pointer files; mlops.yaml and the remotes, which refer to nothing, last.
    for (const auto& t : plan.tracked) {
        if (t.cache_file.empty()) continue;
        auto dest = repo.abs(t.path);
        MLOPS_TRYV(util::make_dirs(util::parent_path(dest)));
        auto tmp = util::temp_name_in(util::parent_path(dest));
        std::error_code ec;
        fs::copy_file(t.cache_file, tmp, fs::copy_options::overwrite_existing, ec);
        if (ec) return util::fail(util::Error::io(fmt::format("cannot copy {} to {}: {}", t.cache_file, t.path, ec.message())));
        fs::permissions(tmp, fs::perms::owner_read | fs::perms::owner_write | fs::perms::group_read | fs::perms::others_read, ec);
        if (std::rename(tmp.c_str(), dest.c_str()) != 0) return util::fail(util::Error::from_errno("cannot write " + t.path, errno));
    }
    if (!plan.tracked.empty()) {
        workspace::AddOptions ao;
        for (const auto& t : plan.tracked) ao.paths.push_back(t.path);
        auto added = MLOPS_TRY(workspace::add(repo, ao));
        for (const auto& ad : added) a.oids.emplace_back(ad.path, ad.pointer.oid);
    }
    if (plan.pipeline) MLOPS_TRYV(util::write_file_atomic(repo.abs("mlops.yaml"), *plan.pipeline, util::Durability::fsync));
    if (plan.pipeline && !plan.adopted.empty()) {
        // The stages dvc.lock shows up to date go into mlops.lock, as `mlops run` would have written
        // them: outputs stored first, then the lock entries (params checked against mlops's reading).
        auto loaded = MLOPS_TRY(pipeline::load(repo, "mlops.yaml"));
        auto lock = MLOPS_TRY(repo.lock_objects(util::LockMode::shared));
        store::WriteBatch batch;
        std::map<std::string, pipeline::LockedStage> updates;
        for (const auto& ad : plan.adopted) {
            const auto* st = loaded.pipeline->find(ad.stage);
            if (!st) continue;
            auto state = MLOPS_TRY(pipeline::stage_state(repo, *st, nullptr));
            if (state.missing_deps || (!st->params.empty() && state.now.params != ad.params)) continue;
            pipeline::LockedStage entry = state.now;
            for (const auto& o : st->outs) {
                workspace::ScanOptions so{workspace::StoreMode::store, &batch, false, "storing"};
                auto snap = MLOPS_TRY(workspace::snapshot(repo, o.path, so));
                entry.outs.push_back({o.path, snap.pointer.oid, workspace::kind_name(snap.pointer.kind), snap.pointer.size,
                                      snap.pointer.files, o.cache});
            }
            updates[ad.stage] = std::move(entry);
        }
        MLOPS_TRYV(repo.objects().commit(batch));
        for (const auto& [name, entry] : updates) {
            for (const auto& o : entry.outs)
                if (o.cache && repo.has_git()) MLOPS_TRY(workspace::ignore_in_git(repo, o.path));
            a.locked.push_back(name);
        }
        if (!updates.empty()) MLOPS_TRYV(pipeline::update_lock(repo.abs(loaded.lock_file), loaded.lock_file, updates));
    }
    if (!plan.remotes.empty()) {
        auto file = MLOPS_TRY(config::ConfigFile::load(config::level_path(config::Level::repo, repo.mlops_dir())));
        for (const auto& r : plan.remotes) {
            file.set("remote." + r.name + ".url", r.url);
            for (const auto& [k, v] : r.settings) file.set("remote." + r.name + "." + k, v);
            if (r.is_default) file.set("core.remote", r.name);
        }
        MLOPS_TRYV(file.save());
    }
    return a;
}

} // namespace mlops::dvcimport
