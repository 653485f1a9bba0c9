// mlops status: how each tracked path compares with its pointer file.
#pragma once

#include <string>
#include <vector>

#include <mlops/workspace/repository.hpp>
#include <mlops/workspace/scan.hpp>

namespace mlops::workspace {

enum class PathState { unchanged, modified, missing, not_in_store };
const char* state_name(PathState s);

enum class ChangeKind { added, removed, modified };
const char* change_name(ChangeKind c);

struct FileChange {
    std::string path; // repository-relative
    ChangeKind change;
    std::uint64_t old_size = 0;
    std::uint64_t new_size = 0;
};

struct PathStatus {
    std::string path;
    Kind kind = Kind::file;
    PathState state = PathState::unchanged;
    std::string expected_oid;
    std::string actual_oid; // empty when missing
    std::vector<FileChange> changes; // inside a folder
};

struct StatusOptions {
    std::vector<std::string> paths; // repository-relative; empty: every tracked path
    bool progress = false;
};

Result<std::vector<PathStatus>> status(Repository& repo, const StatusOptions& opts);

// Files that differ between two trees (entries of `before` and `after`), with `prefix` prepended.
std::vector<FileChange> diff_trees(const store::Tree& before, const store::Tree& after, const std::string& prefix);

// Resolves the paths the user named to tracked paths: a pointer file or its data path.
Result<std::vector<std::string>> resolve_tracked(Repository& repo, const std::vector<std::string>& paths);

} // namespace mlops::workspace
