// mlops add: store files and folders, write their pointer files, keep the data out of git.
#pragma once

#include <string>
#include <vector>

#include <mlops/workspace/repository.hpp>
#include <mlops/workspace/scan.hpp>

namespace mlops::workspace {

enum class GitAdd { no, yes };

struct AddOptions {
    std::vector<std::string> paths; // repository-relative, normalized
    GitAdd git_add = GitAdd::no;
    bool progress = false;
};

struct AddedPath {
    std::string path;
    Pointer pointer;
    bool changed = false; // the pointer file was created or changed
    std::uint64_t new_objects = 0;
    std::uint64_t hashed_files = 0;
};

// The link strategies of cache.type, in order of preference.
enum class LinkType { reflink, copy, hardlink, symlink };
Result<std::vector<LinkType>> link_types(const Repository& repo);

Result<std::vector<AddedPath>> add(Repository& repo, const AddOptions& opts);

// Checks that `rel` may be tracked: not inside a tracked folder, not holding tracked paths.
Status check_overlap(const std::vector<std::string>& tracked, const std::string& rel);

// Adds "/name" to the .gitignore in the data's folder (under a lock). Returns that file's
// repository-relative path.
Result<std::string> ignore_in_git(const Repository& repo, const std::string& rel);

} // namespace mlops::workspace
