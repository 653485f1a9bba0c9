// An mlops repository: the work tree, `.mlops/` (objects, index, config, locks) and, usually, the
// git repository around it. Opened once per command; parts are loaded when first used so that
// cheap commands stay cheap.
#pragma once

#include <memory>
#include <optional>
#include <string>

#include <mlops/config/config.hpp>
#include <mlops/gitrepo/git_repo.hpp>
#include <mlops/index/index.hpp>
#include <mlops/store/object_store.hpp>
#include <mlops/util/error.hpp>
#include <mlops/util/parallel.hpp>
#include <mlops/util/fs.hpp>

namespace mlops::workspace {

using util::Result;
using util::Status;

inline constexpr const char* k_dir_name = ".mlops";
inline constexpr const char* k_pointer_suffix = ".mlops";

enum class NoGit { no, yes };

struct InitResult {
    std::string root;
    bool created = false; // false: it existed already
    bool git = true;
};

class Repository {
  public:
    // Finds the repository that contains `cwd` (walking up to the git work tree or a folder with
    // `.mlops`). Errors say how to create one.
    static Result<std::unique_ptr<Repository>> discover(const std::string& cwd);
    static Result<InitResult> init(const std::string& cwd, NoGit no_git);

    const std::string& root() const { return m_root; }
    std::string mlops_dir() const { return m_root + "/" + k_dir_name; }
    std::string abs(const std::string& rel) const { return rel == "." ? m_root : m_root + "/" + rel; }
    store::ObjectStore& objects() { return m_store; }
    Result<index::Index*> index();
    const config::Config& config() const { return m_config; }
    // Nullopt for a repository made with --no-git.
    Result<gitrepo::GitRepo*> git();
    bool has_git() const { return m_has_git; }
    // Threads for the loops over files (stat, hash and store, check out, fsck): `-j`, else
    // util::io_jobs().
    unsigned jobs() const { return m_jobs ? m_jobs : util::io_jobs(); }
    void set_jobs(unsigned j) { m_jobs = j; }

    // Shared for commands that add objects, exclusive for gc: gc never deletes an object that a
    // running add has written but not yet referenced. The kernel drops it if the process dies.
    Result<util::FileLock> lock_objects(util::LockMode mode);

  private:
    Repository(std::string root, config::Config cfg, bool has_git);
    std::string m_root;
    config::Config m_config;
    store::ObjectStore m_store;
    std::unique_ptr<index::Index> m_index;
    std::optional<gitrepo::GitRepo> m_git;
    bool m_has_git;
    unsigned m_jobs = 0;
};

} // namespace mlops::workspace
