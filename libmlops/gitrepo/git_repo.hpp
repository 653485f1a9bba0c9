// The git side, read and written through libgit2: finding the work tree, reading pointer files at
// any revision, walking history, staging files. Nothing above this file sees a libgit2 type or code.
#pragma once

#include <cstdint>
#include <functional>
#include <memory>
#include <optional>
#include <string>
#include <string_view>
#include <unordered_set>
#include <vector>

#include <mlops/util/error.hpp>

struct git_repository;

namespace mlops::gitrepo {

using util::Result;
using util::Status;

struct CommitInfo {
    std::string id;      // 40 hex
    std::string author;  // "Name <email>"
    std::int64_t time = 0; // seconds since the epoch
    int offset_minutes = 0;
    std::string summary;
};

struct BlobAt {
    std::string path;    // repository-relative
    std::string blob_id; // git blob id (hex)
};

class GitRepo {
  public:
    // The enclosing repository's work tree, or nullopt when `start` is not inside one.
    static Result<std::optional<std::string>> discover_work_tree(const std::string& start);
    static Result<GitRepo> open(const std::string& work_tree);
    GitRepo(GitRepo&&) noexcept;
    GitRepo& operator=(GitRepo&&) noexcept;
    ~GitRepo();

    const std::string& work_tree() const { return m_work_tree; }
    std::string git_dir() const;

    // A new repository at `dest` (an empty folder) that borrows this one's objects (alternates, like
    // `git clone --shared`), with HEAD detached at `commit` and its files checked out. A commit this
    // repository does not have is a usage error naming it.
    Status checkout_into(std::string_view commit, const std::string& dest) const;
    // Resolves a revision ("HEAD", "main~2", a tag, an id) to a commit id. Errors name the revision.
    Result<std::string> resolve_commit(std::string_view rev) const;
    // Nullopt for an unborn HEAD (no commits yet).
    Result<std::optional<std::string>> head_commit() const;
    Result<CommitInfo> commit_info(std::string_view commit_id) const;

    // The blob id and content of `path` in a commit; nullopt when it is not there.
    Result<std::optional<std::string>> blob_id_at(std::string_view commit_id, std::string_view path) const;
    Result<std::string> read_blob(std::string_view blob_id) const;
    Result<std::optional<std::string>> read_file_at(std::string_view commit_id, std::string_view path) const;

    // Every blob in the commit's tree whose name ends with `suffix`. Git trees already listed
    // (by id) in `seen_trees` are skipped, which makes walking many commits cheap.
    Status find_blobs(std::string_view commit_id, std::string_view suffix,
                      std::unordered_set<std::string>& seen_trees,
                      const std::function<void(const BlobAt&)>& found) const;
    // The same over the staging area (the git index).
    Status find_index_blobs(std::string_view suffix, const std::function<void(const BlobAt&)>& found) const;

    // Commit ids of every branch and tag tip (tags peeled).
    Result<std::vector<std::string>> ref_tips() const;
    // Walks commits reachable from `tips`, newest first; fn returns false to stop.
    Status walk(const std::vector<std::string>& tips,
                const std::function<Result<bool>(const std::string& id, const std::vector<std::string>& parents)>& fn) const;

    // The folder git runs hooks from: core.hooksPath when set (a relative value is relative to
    // the work tree, as git takes it), else `hooks` in the common git folder (shared by worktrees).
    Result<std::string> hooks_dir() const;
    // Commits reachable from `tips` and from none of `hide` (`git rev-list TIPS --not HIDE`),
    // newest first. Ids in `hide` this repository does not have are ignored.
    Result<std::vector<std::string>> commits_between(const std::vector<std::string>& tips,
                                                     const std::vector<std::string>& hide) const;
    // Commit ids of the references whose full name starts with `prefix` ("refs/remotes/origin/").
    Result<std::vector<std::string>> ref_tips_under(std::string_view prefix) const;

    // Tracked files with changes in the index or the work tree (untracked files do not count).
    Result<std::vector<std::string>> changed_files() const;

    // Stages work-tree files (like `git add`).
    Status stage(const std::vector<std::string>& paths);

  private:
    explicit GitRepo(git_repository* repo, std::string work_tree) : m_repo(repo), m_work_tree(std::move(work_tree)) {}
    git_repository* m_repo = nullptr;
    std::string m_work_tree;
};

} // namespace mlops::gitrepo
