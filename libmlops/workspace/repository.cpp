#include <mlops/workspace/repository.hpp>

#include <sys/stat.h>

#include <mlops/util/paths.hpp>

namespace mlops::workspace {

using util::Error;
using util::fail;

namespace {
constexpr const char* k_gitignore = R"(# Written by mlops init. Objects, the index, temporary files and locks stay out of git;
# `config` is shared with the team and is meant to be committed.
/objects/
/tmp/
/index.db
/index.db-*
/index.db.corrupt-*
/config.local
/lock
*.lock
)";

constexpr const char* k_config = R"(# mlops repository settings, shared through git. Per-user overrides: .mlops/config.local
[core]
[cache]
	type = reflink,copy
)";

bool is_dir(const std::string& p) {
    struct stat st;
    return ::stat(p.c_str(), &st) == 0 && S_ISDIR(st.st_mode);
}
} // namespace

Repository::Repository(std::string root, config::Config cfg, bool has_git)
    : m_root(std::move(root)), m_config(std::move(cfg)),
      m_store(m_root + "/" + k_dir_name + "/objects", m_root + "/" + k_dir_name + "/tmp"), m_has_git(has_git) {}

// The enclosing git work tree: the nearest folder with a `.git` entry (a folder, or a file for
// worktrees and submodules). Found without libgit2, whose start-up (it loads TLS certificates)
// would cost more than a whole `mlops status`.
static std::optional<std::string> find_git_work_tree(const std::string& start) {
    std::string dir = util::normalize_path(start);
    for (;;) {
        struct stat st;
        if (::lstat((dir + "/.git").c_str(), &st) == 0 && (S_ISDIR(st.st_mode) || S_ISREG(st.st_mode))) return dir;
        if (dir == "/") return std::nullopt;
        dir = util::parent_path(dir);
        if (dir.empty()) dir = "/";
    }
}

Result<std::unique_ptr<Repository>> Repository::discover(const std::string& cwd) {
    // The nearest folder with .mlops, but never beyond the enclosing git work tree.
    auto git_root = find_git_work_tree(cwd);
    std::string dir = util::normalize_path(cwd);
    for (;;) {
        if (is_dir(dir + "/" + k_dir_name)) break;
        if ((git_root && dir == *git_root) || dir == "/") {
            if (git_root)
                return fail(Error::usage(fmt::format(
                    "not an mlops repository: {} has no .mlops folder (run `mlops init` there)", *git_root)));
            return fail(Error::usage(fmt::format(
                "not an mlops repository (or any parent up to /): {}; run `mlops init` in a git work tree", cwd)));
        }
        dir = util::parent_path(dir);
        if (dir.empty()) dir = "/";
    }
    auto cfg = MLOPS_TRY(config::Config::load(dir + "/" + k_dir_name));
    bool has_git = git_root && *git_root == dir;
    auto repo = std::unique_ptr<Repository>(new Repository(dir, std::move(cfg), has_git));
    auto jobs = MLOPS_TRY(repo->m_config.get_int("core.jobs", 0));
    repo->m_jobs = unsigned(jobs < 0 ? 0 : jobs);
    return repo;
}

Result<InitResult> Repository::init(const std::string& cwd, NoGit no_git) {
    auto git_root = MLOPS_TRY(gitrepo::GitRepo::discover_work_tree(cwd));
    std::string root = util::normalize_path(cwd);
    if (!git_root && no_git == NoGit::no)
        return fail(Error::usage(fmt::format(
            "{} is not inside a git work tree; run `git init` first, or `mlops init --no-git`", cwd)));
    if (git_root && no_git == NoGit::no) root = *git_root;
    InitResult result{root, false, git_root.has_value() && no_git == NoGit::no};
    std::string dir = root + "/" + k_dir_name;
    if (is_dir(dir) && is_dir(dir + "/objects")) return result;
    MLOPS_TRYV(util::make_dirs(dir + "/objects"));
    MLOPS_TRYV(util::make_dirs(dir + "/tmp"));
    // config and .gitignore may arrive through git in a fresh clone; keep them.
    if (!util::stat_path(dir + "/config").value_or(std::nullopt))
        MLOPS_TRYV(util::write_file_atomic(dir + "/config", k_config, util::Durability::fsync));
    if (!util::stat_path(dir + "/.gitignore").value_or(std::nullopt))
        MLOPS_TRYV(util::write_file_atomic(dir + "/.gitignore", k_gitignore, util::Durability::fsync));
    auto index = MLOPS_TRY(index::Index::open(dir + "/index.db"));
    result.created = true;
    return result;
}

Result<index::Index*> Repository::index() {
    if (!m_index) m_index = MLOPS_TRY(index::Index::open(mlops_dir() + "/index.db"));
    return m_index.get();
}

Result<gitrepo::GitRepo*> Repository::git() {
    if (!m_has_git)
        return fail(Error::usage(fmt::format("{} is not a git work tree (initialised with --no-git)", m_root)));
    if (!m_git) m_git.emplace(MLOPS_TRY(gitrepo::GitRepo::open(m_root)));
    return &*m_git;
}

Result<util::FileLock> Repository::lock_objects(util::LockMode mode) {
    return util::FileLock::acquire(mlops_dir() + "/lock", mode,
                                   mode == util::LockMode::exclusive ? "gc needs the store to itself"
                                                                     : "gc is running");
}

} // namespace mlops::workspace
