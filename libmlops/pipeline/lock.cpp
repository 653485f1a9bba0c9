#include <mlops/pipeline/lock.hpp>

#include <mlops/pipeline/spec.hpp>
#include <mlops/util/fs.hpp>
#include <mlops/util/hash.hpp>

namespace mlops::pipeline {

using util::Error;
using util::fail;

const LockedOut* LockedStage::out(std::string_view path) const {
    for (const auto& o : outs)
        if (o.path == path) return &o;
    return nullptr;
}

std::string lock_path_for(const std::string& pipeline_file) {
    auto dot = pipeline_file.find_last_of('.');
    auto slash = pipeline_file.find_last_of('/');
    if (dot == std::string::npos || (slash != std::string::npos && dot < slash)) return pipeline_file + ".lock";
    return pipeline_file.substr(0, dot) + ".lock";
}

static std::string q(const std::string& s) { return nlohmann::json(s).dump(); }

std::string serialize_lock(const LockData& data) {
    std::string out = "# Written by `mlops run`: the last successful run of each stage. Commit it with git.\nschema: 1\nstages:\n";
    if (data.stages.empty()) return out.substr(0, out.size() - 1) + " {}\n";
    for (const auto& [name, s] : data.stages) {
        out += fmt::format("  {}:\n    cmd: {}\n", q(name), q(s.cmd));
        if (!s.deps.empty()) {
            out += "    deps:\n";
            for (const auto& [path, oid] : s.deps) out += fmt::format("      - path: {}\n        oid: {}\n", q(path), oid.empty() ? "null" : oid);
        }
        if (!s.params.empty()) {
            out += "    params:\n";
            for (const auto& [file, keys] : s.params.items()) {
                out += fmt::format("      {}:\n", q(file));
                for (const auto& [k, v] : keys.items()) out += fmt::format("        {}: {}\n", q(k), v.dump());
            }
        }
        if (!s.outs.empty()) {
            out += "    outs:\n";
            for (const auto& o : s.outs)
                out += fmt::format("      - path: {}\n        oid: {}\n        kind: {}\n        size: {}\n        files: {}\n        cache: {}\n",
                                   q(o.path), o.oid, o.kind, o.size, o.files, o.cache ? "true" : "false");
        }
    }
    return out;
}

Result<LockData> parse_lock(const std::string& text, const std::string& file) {
    auto doc = MLOPS_TRY(yaml_to_json(text, file));
    auto bad = [&](const std::string& what) { return fail(Error::usage(fmt::format("{}: {}", file, what))); };
    LockData data;
    if (doc.is_null()) return data;
    if (!doc.is_object() || !doc.contains("stages")) return bad("not an mlops lock file (no 'stages')");
    if (doc.value("schema", 0) != 1) return bad("unsupported lock schema (this mlops reads schema 1)");
    const auto& stages = doc["stages"];
    if (stages.is_null()) return data;
    if (!stages.is_object()) return bad("'stages' must be a mapping");
    try {
        for (const auto& [name, s] : stages.items()) {
            LockedStage ls;
            ls.cmd = s.at("cmd").get<std::string>();
            if (s.contains("deps"))
                for (const auto& d : s["deps"]) ls.deps[d.at("path").get<std::string>()] = d.at("oid").is_null() ? "" : d.at("oid").get<std::string>();
            if (s.contains("params")) ls.params = s["params"];
            if (s.contains("outs"))
                for (const auto& o : s["outs"])
                    ls.outs.push_back({o.at("path").get<std::string>(), o.at("oid").get<std::string>(), o.value("kind", "file"),
                                       o.value("size", std::uint64_t(0)), o.value("files", std::uint64_t(1)), o.value("cache", true)});
            data.stages[name] = std::move(ls);
        }
    } catch (const nlohmann::json::exception& e) {
        return bad(fmt::format("malformed stage entry: {}", e.what()));
    }
    return data;
}

Result<LockData> read_lock(const std::string& abs_path, const std::string& display) {
    if (!MLOPS_TRY(util::stat_path(abs_path))) return LockData{};
    return parse_lock(MLOPS_TRY(util::read_file(abs_path)), display);
}

Status update_lock(const std::string& abs_path, const std::string& display, const std::map<std::string, LockedStage>& updates) {
    if (updates.empty()) return {};
    auto lock = MLOPS_TRY(util::LockFile::acquire(abs_path));
    auto data = MLOPS_TRY(read_lock(abs_path, display));
    for (const auto& [name, s] : updates) data.stages[name] = s;
    return lock.commit(serialize_lock(data));
}

std::string fingerprint(const LockedStage& s, const std::vector<std::pair<std::string, bool>>& out_paths) {
    nlohmann::json j;
    j["cmd"] = s.cmd;
    j["deps"] = s.deps;
    j["params"] = s.params;
    auto outs = nlohmann::json::array();
    for (const auto& [p, cache] : out_paths) outs.push_back({p, cache});
    j["outs"] = outs;
    return util::sha256_hex(j.dump());
}

} // namespace mlops::pipeline
