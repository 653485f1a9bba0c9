// Run records: one per stage execution, stored as a JSON object in the object store (so it can
// travel through a remote) and indexed in SQLite. A record names everything the run used and made:
// command, input oids, params values, output oids, metrics, code commit and dirty files, host,
// user, tool version, times, exit status and the oid of the captured log.
#pragma once

#include <map>
#include <string>
#include <vector>

#include <nlohmann/json.hpp>

#include <mlops/pipeline/lock.hpp>
#include <mlops/workspace/repository.hpp>

namespace mlops::pipeline {

struct CodeVersion {
    std::string commit; // "" when the repository has no commit (or no git)
    bool dirty = false;
    std::vector<std::string> dirty_files;
};

// HEAD and the tracked files that differ from it, ignoring `exclude` (e.g. the lock file, which
// `mlops run` itself rewrites).
Result<CodeVersion> code_version(workspace::Repository& repo, const std::vector<std::string>& exclude);

struct RunRecord {
    std::string run_id;
    std::string stage;
    std::string pipeline;
    std::string cmd;
    std::string wdir;
    std::string fingerprint;
    std::map<std::string, std::string> deps; // path -> oid
    nlohmann::json params = nlohmann::json::object();
    std::vector<LockedOut> outs;
    nlohmann::json metrics = nlohmann::json::object(); // file -> {key: value}
    CodeVersion code;
    std::string host;
    std::string user;
    std::string tool_version;
    std::int64_t started_ns = 0;
    std::int64_t ended_ns = 0;
    int exit_status = 0;
    std::string status; // succeeded, failed, interrupted
    std::string error;
    std::string log_oid;
};

std::string serialize_run_record(RunRecord rec); // fills host, user and tool version when empty
Result<RunRecord> parse_run_record(const std::string& text, const std::string& oid);
nlohmann::json run_record_json(const RunRecord& rec);

// The index row of a record.
index::RunRow run_row(const RunRecord& rec, const std::string& oid);
// Indexes a run record object (after a fetch); false when the text is not a run record.
Result<bool> index_run_object(workspace::Repository& repo, const std::string& oid, const std::string& text);

// Re-creates the index rows of every run record found in the object store (after the index was
// lost or rebuilt). Returns how many runs were indexed.
Result<std::size_t> reindex_runs(workspace::Repository& repo);

// ISO 8601 UTC with milliseconds.
std::string iso_time(std::int64_t ns);

} // namespace mlops::pipeline
