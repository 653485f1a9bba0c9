// What the git hooks and the pre-commit framework's hooks check, as functions over a repository
// that return the problems found (one line each, naming the path and the fix), and what pre-push
// sends: the objects referenced by the commits being pushed.
#pragma once

#include <string>
#include <string_view>
#include <vector>

#include <mlops/remote/transfer.hpp>
#include <mlops/workspace/repository.hpp>

namespace mlops::hooks {

using util::Result;
using util::Status;

struct Problem {
    std::string path;    // repository-relative
    std::string message; // what is wrong
    std::string fix;     // the command that fixes it
    std::string line() const; // "PATH: MESSAGE (fix: FIX)"
};

// Pointer files in the git index that differ from HEAD's (what the commit changes): each must
// parse, and name objects that are in the store (for a folder, its tree and every entry).
Result<std::vector<Problem>> check_staged_pointers(workspace::Repository& repo);
// The same for pointer files in the work tree: `paths` (repository-relative pointer files, e.g.
// the files the pre-commit framework passes) or, when empty, every pointer file there.
Result<std::vector<Problem>> check_pointer_files(workspace::Repository& repo, const std::vector<std::string>& paths);
// Tracked data modified since `mlops add` (as `mlops status` sees it), and pointer files whose
// work-tree content is not what is staged (`mlops add` ran, `git add` did not).
Result<std::vector<Problem>> check_unadded(workspace::Repository& repo);
// The pipeline file parses and every stage is up to date with mlops.lock. No pipeline file: none.
Result<std::vector<Problem>> check_pipeline(workspace::Repository& repo, const std::string& file);

// One line of what git writes on pre-push's stdin.
struct PushedRef {
    std::string local_ref, local_sha, remote_ref, remote_sha;
    bool deletes() const; // local sha all zeros
};
// Usage errors name the line.
Result<std::vector<PushedRef>> parse_pre_push(std::string_view text);

struct PushPlan {
    std::vector<remote::Root> roots; // pointer files' and mlops.lock outputs' objects, each once
    std::size_t commits = 0;
};
// The commits the push sends (reachable from the local shas and not from the remote shas nor from
// `refs/remotes/<git_remote>/*`), and the objects their pointer files and mlops.lock name.
Result<PushPlan> pushed_objects(workspace::Repository& repo, const std::vector<PushedRef>& refs,
                                const std::string& git_remote);

} // namespace mlops::hooks
