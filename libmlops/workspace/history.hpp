// Tracked data across git history: `mlops diff` (what changed between the work tree and a
// revision, or two revisions) and `mlops log` (the versions of one tracked path).
#pragma once

#include <map>
#include <optional>
#include <string>
#include <vector>

#include <mlops/gitrepo/git_repo.hpp>
#include <mlops/workspace/repository.hpp>
#include <mlops/workspace/status.hpp>

namespace mlops::workspace {

// Every pointer file of a commit, keyed by the data path. Errors name "REV:path" and the line.
Result<std::map<std::string, Pointer>> pointers_at(Repository& repo, const std::string& commit, const std::string& rev_name);

struct DiffEntry {
    std::string path;
    ChangeKind change;
    std::uint64_t old_size = 0, new_size = 0;
    std::string old_oid, new_oid;
    bool is_dir = false;         // a whole tracked folder (contents unknown when its tree is not local)
    bool contents_unknown = false;
};

struct DiffOptions {
    std::optional<std::string> a_rev; // default HEAD
    std::optional<std::string> b_rev; // default: the work tree
    std::vector<std::string> paths;   // restrict to these tracked paths (repository-relative)
};

Result<std::vector<DiffEntry>> diff(Repository& repo, const DiffOptions& opts);

struct LogEntry {
    gitrepo::CommitInfo commit;
    std::optional<Pointer> pointer; // nullopt: deleted in this commit
};

Result<std::vector<LogEntry>> log(Repository& repo, const std::string& path, std::size_t max_count);

} // namespace mlops::workspace
