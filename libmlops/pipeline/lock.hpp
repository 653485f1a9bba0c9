// `mlops.lock`: the fingerprints of the last successful run of every stage (command, dependency
// oids, params values, output oids). Committed to git; a stage is up to date when what is in the
// work tree now matches its entry.
#pragma once

#include <map>
#include <string>
#include <vector>

#include <nlohmann/json.hpp>

#include <mlops/util/error.hpp>

namespace mlops::pipeline {

using util::Result;
using util::Status;

struct LockedOut {
    std::string path;
    std::string oid;
    std::string kind = "file"; // file or dir
    std::uint64_t size = 0;
    std::uint64_t files = 1;
    bool cache = true;
    bool operator==(const LockedOut&) const = default;
};

struct LockedStage {
    std::string cmd;
    std::map<std::string, std::string> deps;  // path -> oid ("" when missing)
    nlohmann::json params = nlohmann::json::object(); // {file: {key: value}}
    std::vector<LockedOut> outs;
    const LockedOut* out(std::string_view path) const;
};

struct LockData {
    std::map<std::string, LockedStage> stages;
};

// "mlops.yaml" -> "mlops.lock"; "sub/other.yml" -> "sub/other.lock".
std::string lock_path_for(const std::string& pipeline_file);

Result<LockData> parse_lock(const std::string& text, const std::string& file);
std::string serialize_lock(const LockData& data);
// A missing file is an empty lock.
Result<LockData> read_lock(const std::string& abs_path, const std::string& display);
// Rewrites the lock under `<file>.lock`, merging `updates` into what is on disk then (so concurrent
// runs of different stages do not lose each other's entries).
Status update_lock(const std::string& abs_path, const std::string& display, const std::map<std::string, LockedStage>& updates);

// The run cache key: everything that decides a stage's outputs.
std::string fingerprint(const LockedStage& s, const std::vector<std::pair<std::string, bool>>& out_paths);

} // namespace mlops::pipeline
