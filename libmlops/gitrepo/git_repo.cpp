#include <mlops/gitrepo/git_repo.hpp>

#include <mlops/util/fs.hpp>

#include <git2.h>
#include <algorithm>
#include <cstdlib>
#include <dlfcn.h>
#include <mutex>

namespace mlops::gitrepo {

using util::Error;
using util::fail;

namespace {

// libgit2 is opened on first use (dlopen), not linked: with its dependencies (mbedTLS, libssh2,
// Kerberos through GSSAPI, PCRE2) it would add a dozen shared libraries to the start-up of every
// command, and most commands (status, add, checkout) never touch git. The pointers below have the
// names of the libgit2 functions, so the code of this file calls them as usual.
#define MLOPS_GIT2_FUNCTIONS(X) \
    X(git_blob_free) \
    X(git_blob_lookup) \
    X(git_blob_rawcontent) \
    X(git_blob_rawsize) \
    X(git_buf_dispose) \
    X(git_checkout_head) \
    X(git_commit_author) \
    X(git_commit_free) \
    X(git_commit_id) \
    X(git_commit_lookup) \
    X(git_commit_parent_id) \
    X(git_commit_parentcount) \
    X(git_commit_summary) \
    X(git_commit_tree) \
    X(git_config_free) \
    X(git_config_get_path) \
    X(git_error_last) \
    X(git_index_add_bypath) \
    X(git_index_entrycount) \
    X(git_index_free) \
    X(git_index_get_byindex) \
    X(git_index_open) \
    X(git_index_write) \
    X(git_libgit2_init) \
    X(git_object_free) \
    X(git_object_id) \
    X(git_object_peel) \
    X(git_oid_fromstrn) \
    X(git_oid_tostr) \
    X(git_reference_free) \
    X(git_reference_iterator_free) \
    X(git_reference_iterator_new) \
    X(git_reference_name) \
    X(git_reference_name_to_id) \
    X(git_reference_next) \
    X(git_reference_peel) \
    X(git_repository_discover) \
    X(git_repository_free) \
    X(git_repository_index) \
    X(git_repository_init) \
    X(git_repository_is_bare) \
    X(git_repository_item_path) \
    X(git_repository_open) \
    X(git_repository_open_ext) \
    X(git_repository_config_snapshot) \
    X(git_repository_path) \
    X(git_repository_set_head_detached) \
    X(git_repository_workdir) \
    X(git_revparse_single) \
    X(git_revwalk_free) \
    X(git_revwalk_hide) \
    X(git_revwalk_new) \
    X(git_revwalk_next) \
    X(git_revwalk_push) \
    X(git_revwalk_sorting) \
    X(git_status_byindex) \
    X(git_status_list_entrycount) \
    X(git_status_list_free) \
    X(git_status_list_new) \
    X(git_tree_entry_byindex) \
    X(git_tree_entry_bypath) \
    X(git_tree_entry_free) \
    X(git_tree_entry_id) \
    X(git_tree_entry_name) \
    X(git_tree_entry_type) \
    X(git_tree_entrycount) \
    X(git_tree_free) \
    X(git_tree_id) \
    X(git_tree_lookup)

#define MLOPS_GIT2_POINTER(name) decltype(&::name) name = nullptr;
MLOPS_GIT2_FUNCTIONS(MLOPS_GIT2_POINTER)
#undef MLOPS_GIT2_POINTER

// Loads and initialises libgit2 once; later calls return the first outcome.
Result<void> ensure_init() {
    static std::string error;
    static std::once_flag once;
    std::call_once(once, [] {
        void* lib = ::dlopen("libgit2.so.1.5", RTLD_NOW | RTLD_LOCAL);
        if (!lib) {
            error = fmt::format("cannot load libgit2 ({}); install the libgit2-1.5 package", ::dlerror());
            return;
        }
#define MLOPS_GIT2_RESOLVE(name)                                                                   \
    if (!(name = reinterpret_cast<decltype(name)>(::dlsym(lib, #name)))) {                          \
        error = fmt::format("libgit2.so.1.5 has no function {}; install libgit2 1.5", #name);      \
        return;                                                                                    \
    }
        MLOPS_GIT2_FUNCTIONS(MLOPS_GIT2_RESOLVE)
#undef MLOPS_GIT2_RESOLVE
        if (git_libgit2_init() < 0) error = "libgit2 failed to initialise";
    });
    if (!error.empty()) return fail(Error::io(error));
    return {};
}

Error last_git_error(std::string_view what) {
    const ::git_error* e = git_error_last();
    return Error::usage(fmt::format("git: {}: {}", what, e && e->message ? e->message : "unknown error"));
}

template <class T, void (**Free)(T*)> struct Deleter {
    void operator()(T* p) const { (*Free)(p); }
};
using Object = std::unique_ptr<git_object, Deleter<git_object, &git_object_free>>;
using Commit = std::unique_ptr<git_commit, Deleter<git_commit, &git_commit_free>>;
using Tree = std::unique_ptr<git_tree, Deleter<git_tree, &git_tree_free>>;
using TreeEntry = std::unique_ptr<git_tree_entry, Deleter<git_tree_entry, &git_tree_entry_free>>;
using Blob = std::unique_ptr<git_blob, Deleter<git_blob, &git_blob_free>>;
using Reference = std::unique_ptr<git_reference, Deleter<git_reference, &git_reference_free>>;
using RefIter = std::unique_ptr<git_reference_iterator, Deleter<git_reference_iterator, &git_reference_iterator_free>>;
using Revwalk = std::unique_ptr<git_revwalk, Deleter<git_revwalk, &git_revwalk_free>>;
using GitIndex = std::unique_ptr<git_index, Deleter<git_index, &git_index_free>>;

std::string hex(const git_oid* oid) {
    char buf[GIT_OID_HEXSZ + 1];
    git_oid_tostr(buf, sizeof buf, oid);
    return buf;
}

Result<git_oid> parse_oid(std::string_view s) {
    git_oid oid;
    if (git_oid_fromstrn(&oid, s.data(), s.size()) != 0) return fail(last_git_error(fmt::format("bad id {}", s)));
    return oid;
}

} // namespace

Result<std::optional<std::string>> GitRepo::discover_work_tree(const std::string& start) {
    MLOPS_TRYV(ensure_init());
    git_buf buf = GIT_BUF_INIT;
    int rc = git_repository_discover(&buf, start.c_str(), 0, nullptr);
    if (rc == GIT_ENOTFOUND) return std::optional<std::string>{};
    if (rc != 0) return fail(last_git_error("cannot look for a repository"));
    git_repository* repo = nullptr;
    rc = git_repository_open(&repo, buf.ptr);
    git_buf_dispose(&buf);
    if (rc != 0) return fail(last_git_error("cannot open repository"));
    const char* wd = git_repository_workdir(repo);
    std::optional<std::string> out;
    if (wd) {
        std::string w = wd;
        if (w.size() > 1 && w.back() == '/') w.pop_back();
        out = w;
    }
    git_repository_free(repo);
    return out;
}

Result<GitRepo> GitRepo::open(const std::string& work_tree) {
    MLOPS_TRYV(ensure_init());
    git_repository* repo = nullptr;
    if (git_repository_open_ext(&repo, work_tree.c_str(), GIT_REPOSITORY_OPEN_NO_SEARCH, nullptr) != 0)
        return fail(last_git_error(fmt::format("cannot open repository at {}", work_tree)));
    return GitRepo(repo, work_tree);
}

GitRepo::GitRepo(GitRepo&& o) noexcept : m_repo(std::exchange(o.m_repo, nullptr)), m_work_tree(std::move(o.m_work_tree)) {}
GitRepo& GitRepo::operator=(GitRepo&& o) noexcept {
    if (this != &o) {
        if (m_repo) git_repository_free(m_repo);
        m_repo = std::exchange(o.m_repo, nullptr);
        m_work_tree = std::move(o.m_work_tree);
    }
    return *this;
}
GitRepo::~GitRepo() {
    if (m_repo) git_repository_free(m_repo);
}

std::string GitRepo::git_dir() const {
    std::string p = git_repository_path(m_repo);
    if (p.size() > 1 && p.back() == '/') p.pop_back();
    return p;
}

Status GitRepo::checkout_into(std::string_view commit_id, const std::string& dest) const {
    auto oid = MLOPS_TRY(parse_oid(commit_id));
    git_commit* c = nullptr;
    if (git_commit_lookup(&c, m_repo, &oid) != 0)
        return fail(Error::usage(fmt::format("commit {} does not exist in the repository {}", commit_id, m_work_tree)));
    Commit owned(c);
    git_repository* fresh = nullptr;
    if (git_repository_init(&fresh, dest.c_str(), 0) != 0) return fail(last_git_error(fmt::format("cannot create a repository at {}", dest)));
    git_repository_free(fresh);
    // Borrow this repository's objects instead of copying them (git clone --shared).
    MLOPS_TRYV(util::write_file_atomic(dest + "/.git/objects/info/alternates", git_dir() + "/objects\n", util::Durability::none));
    git_repository* repo = nullptr;
    if (git_repository_open(&repo, dest.c_str()) != 0) return fail(last_git_error(fmt::format("cannot open {}", dest)));
    std::unique_ptr<git_repository, Deleter<git_repository, &git_repository_free>> r(repo);
    if (git_repository_set_head_detached(repo, &oid) != 0) return fail(last_git_error(fmt::format("cannot point {} at {}", dest, commit_id)));
    git_checkout_options opts = GIT_CHECKOUT_OPTIONS_INIT;
    opts.checkout_strategy = GIT_CHECKOUT_FORCE;
    if (git_checkout_head(repo, &opts) != 0) return fail(last_git_error(fmt::format("cannot check out {} into {}", commit_id, dest)));
    return {};
}

Result<std::string> GitRepo::resolve_commit(std::string_view rev) const {
    git_object* obj = nullptr;
    std::string r(rev);
    if (git_revparse_single(&obj, m_repo, r.c_str()) != 0)
        return fail(Error::usage(fmt::format("unknown revision '{}'", rev)));
    Object owned(obj);
    git_object* peeled = nullptr;
    if (git_object_peel(&peeled, obj, GIT_OBJECT_COMMIT) != 0)
        return fail(Error::usage(fmt::format("revision '{}' is not a commit", rev)));
    Object p(peeled);
    return hex(git_object_id(peeled));
}

Result<std::optional<std::string>> GitRepo::head_commit() const {
    git_oid oid;
    int rc = git_reference_name_to_id(&oid, m_repo, "HEAD");
    if (rc == GIT_ENOTFOUND || rc == GIT_EUNBORNBRANCH) return std::optional<std::string>{};
    if (rc != 0) return fail(last_git_error("cannot read HEAD"));
    return std::optional<std::string>{hex(&oid)};
}

Result<CommitInfo> GitRepo::commit_info(std::string_view commit_id) const {
    auto oid = MLOPS_TRY(parse_oid(commit_id));
    git_commit* c = nullptr;
    if (git_commit_lookup(&c, m_repo, &oid) != 0) return fail(last_git_error(fmt::format("commit {}", commit_id)));
    Commit owned(c);
    CommitInfo info;
    info.id = hex(git_commit_id(c));
    const git_signature* a = git_commit_author(c);
    info.author = fmt::format("{} <{}>", a->name ? a->name : "", a->email ? a->email : "");
    info.time = a->when.time;
    info.offset_minutes = a->when.offset;
    const char* s = git_commit_summary(c);
    info.summary = s ? s : "";
    return info;
}

static Result<Tree> commit_tree(git_repository* repo, std::string_view commit_id) {
    auto oid = MLOPS_TRY(parse_oid(commit_id));
    git_commit* c = nullptr;
    if (git_commit_lookup(&c, repo, &oid) != 0) return fail(last_git_error(fmt::format("commit {}", commit_id)));
    Commit owned(c);
    git_tree* t = nullptr;
    if (git_commit_tree(&t, c) != 0) return fail(last_git_error(fmt::format("tree of commit {}", commit_id)));
    return Tree(t);
}

Result<std::optional<std::string>> GitRepo::blob_id_at(std::string_view commit_id, std::string_view path) const {
    auto tree = MLOPS_TRY(commit_tree(m_repo, commit_id));
    git_tree_entry* e = nullptr;
    std::string p(path);
    int rc = git_tree_entry_bypath(&e, tree.get(), p.c_str());
    if (rc == GIT_ENOTFOUND) return std::optional<std::string>{};
    if (rc != 0) return fail(last_git_error(fmt::format("{} at {}", path, commit_id)));
    TreeEntry owned(e);
    if (git_tree_entry_type(e) != GIT_OBJECT_BLOB) return std::optional<std::string>{};
    return std::optional<std::string>{hex(git_tree_entry_id(e))};
}

Result<std::string> GitRepo::read_blob(std::string_view blob_id) const {
    auto oid = MLOPS_TRY(parse_oid(blob_id));
    git_blob* b = nullptr;
    if (git_blob_lookup(&b, m_repo, &oid) != 0) return fail(last_git_error(fmt::format("blob {}", blob_id)));
    Blob owned(b);
    return std::string(static_cast<const char*>(git_blob_rawcontent(b)), std::size_t(git_blob_rawsize(b)));
}

Result<std::optional<std::string>> GitRepo::read_file_at(std::string_view commit_id, std::string_view path) const {
    auto id = MLOPS_TRY(blob_id_at(commit_id, path));
    if (!id) return std::optional<std::string>{};
    return std::optional<std::string>{MLOPS_TRY(read_blob(*id))};
}

static Status find_in_tree(git_repository* repo, const git_tree* tree, const std::string& prefix,
                           std::string_view suffix, std::unordered_set<std::string>& seen,
                           const std::function<void(const BlobAt&)>& found) {
    std::size_t n = git_tree_entrycount(tree);
    for (std::size_t i = 0; i < n; ++i) {
        const git_tree_entry* e = git_tree_entry_byindex(tree, i);
        std::string name = git_tree_entry_name(e);
        std::string path = prefix.empty() ? name : prefix + "/" + name;
        auto type = git_tree_entry_type(e);
        if (type == GIT_OBJECT_TREE) {
            std::string id = hex(git_tree_entry_id(e));
            if (!seen.insert(id).second) continue;
            git_tree* sub = nullptr;
            if (git_tree_lookup(&sub, repo, git_tree_entry_id(e)) != 0) return fail(last_git_error(path));
            Tree owned(sub);
            MLOPS_TRYV(find_in_tree(repo, sub, path, suffix, seen, found));
        } else if (type == GIT_OBJECT_BLOB && name.size() > suffix.size() && name.ends_with(suffix)) {
            found({path, hex(git_tree_entry_id(e))});
        }
    }
    return {};
}

Status GitRepo::find_blobs(std::string_view commit_id, std::string_view suffix,
                           std::unordered_set<std::string>& seen_trees,
                           const std::function<void(const BlobAt&)>& found) const {
    auto tree = MLOPS_TRY(commit_tree(m_repo, commit_id));
    if (!seen_trees.insert(hex(git_tree_id(tree.get()))).second) return {};
    return find_in_tree(m_repo, tree.get(), "", suffix, seen_trees, found);
}

Status GitRepo::find_index_blobs(std::string_view suffix, const std::function<void(const BlobAt&)>& found) const {
    git_index* idx = nullptr;
    // Inside a hook git may name another index (`git commit -a` stages into a temporary one);
    // libgit2 does not read GIT_INDEX_FILE itself.
    if (const char* file = std::getenv("GIT_INDEX_FILE"); file && *file) {
        if (git_index_open(&idx, file) != 0) return fail(last_git_error(fmt::format("cannot read the git index {}", file)));
    } else if (git_repository_index(&idx, m_repo) != 0) {
        return fail(last_git_error("cannot read the git index"));
    }
    GitIndex owned(idx);
    std::size_t n = git_index_entrycount(idx);
    for (std::size_t i = 0; i < n; ++i) {
        const git_index_entry* e = git_index_get_byindex(idx, i);
        std::string_view path = e->path;
        if (path.size() > suffix.size() && path.ends_with(suffix)) found({std::string(path), hex(&e->id)});
    }
    return {};
}

namespace {
// The commits the references whose names pass `keep` point at (peeled through tags; references to
// other objects are skipped).
Result<std::vector<std::string>> commits_of_refs(git_repository* repo, const std::function<bool(std::string_view)>& keep) {
    git_reference_iterator* it = nullptr;
    if (git_reference_iterator_new(&it, repo) != 0) return fail(last_git_error("cannot list references"));
    RefIter owned(it);
    std::vector<std::string> out;
    git_reference* ref = nullptr;
    while (git_reference_next(&ref, it) == 0) {
        Reference r(ref);
        if (!keep(git_reference_name(ref))) continue;
        git_object* obj = nullptr;
        if (git_reference_peel(&obj, ref, GIT_OBJECT_COMMIT) != 0) continue; // tag of a non-commit
        Object o(obj);
        out.push_back(hex(git_object_id(obj)));
    }
    return out;
}
} // namespace

Result<std::vector<std::string>> GitRepo::ref_tips() const {
    return commits_of_refs(m_repo, [](std::string_view n) { return n.starts_with("refs/heads/") || n.starts_with("refs/tags/"); });
}

namespace {
// A walk over the history of `tips` (commit ids), newest first in topological order.
Result<Revwalk> walk_from(git_repository* repo, const std::vector<std::string>& tips) {
    git_revwalk* w = nullptr;
    if (git_revwalk_new(&w, repo) != 0) return fail(last_git_error("cannot walk history"));
    Revwalk owned(w);
    git_revwalk_sorting(w, GIT_SORT_TOPOLOGICAL | GIT_SORT_TIME);
    for (const auto& t : tips) {
        auto oid = MLOPS_TRY(parse_oid(t));
        if (git_revwalk_push(w, &oid) != 0) return fail(last_git_error(fmt::format("commit {}", t)));
    }
    return owned;
}
} // namespace

Status GitRepo::walk(const std::vector<std::string>& tips,
                     const std::function<Result<bool>(const std::string&, const std::vector<std::string>&)>& fn) const {
    if (tips.empty()) return {};
    auto owned = MLOPS_TRY(walk_from(m_repo, tips));
    git_revwalk* w = owned.get();
    git_oid oid;
    while (git_revwalk_next(&oid, w) == 0) {
        git_commit* c = nullptr;
        if (git_commit_lookup(&c, m_repo, &oid) != 0) return fail(last_git_error("commit lookup"));
        Commit owned_c(c);
        std::vector<std::string> parents;
        for (unsigned i = 0; i < git_commit_parentcount(c); ++i) parents.push_back(hex(git_commit_parent_id(c, i)));
        if (!MLOPS_TRY(fn(hex(&oid), parents))) break;
    }
    return {};
}

Result<std::string> GitRepo::hooks_dir() const {
    git_config* cfg = nullptr;
    if (git_repository_config_snapshot(&cfg, m_repo) != 0) return fail(last_git_error("cannot read the git configuration"));
    std::unique_ptr<git_config, Deleter<git_config, &git_config_free>> owned(cfg);
    git_buf buf = GIT_BUF_INIT;
    int rc = git_config_get_path(&buf, cfg, "core.hooksPath"); // expands a leading ~/
    if (rc == 0) {
        std::string p = buf.ptr;
        git_buf_dispose(&buf);
        if (!p.empty()) {
            if (p.front() != '/') p = (git_repository_is_bare(m_repo) ? git_dir() : m_work_tree) + "/" + p;
            while (p.size() > 1 && p.back() == '/') p.pop_back();
            return p;
        }
    } else if (rc != GIT_ENOTFOUND) {
        return fail(last_git_error("core.hooksPath"));
    }
    // libgit2's item path ignores core.hooksPath, hence the lookup above.
    if (git_repository_item_path(&buf, m_repo, GIT_REPOSITORY_ITEM_HOOKS) != 0) return fail(last_git_error("cannot find the hooks folder"));
    std::string p = buf.ptr;
    git_buf_dispose(&buf);
    while (p.size() > 1 && p.back() == '/') p.pop_back();
    return p;
}

Result<std::vector<std::string>> GitRepo::commits_between(const std::vector<std::string>& tips,
                                                          const std::vector<std::string>& hide) const {
    std::vector<std::string> out;
    if (tips.empty()) return out;
    auto owned = MLOPS_TRY(walk_from(m_repo, tips));
    git_revwalk* w = owned.get();
    for (const auto& h : hide) {
        auto oid = parse_oid(h);
        if (!oid) continue;
        git_commit* c = nullptr;
        if (git_commit_lookup(&c, m_repo, &*oid) != 0) continue; // not here: the other side is ahead
        Commit owned_c(c);
        if (git_revwalk_hide(w, &*oid) != 0) return fail(last_git_error(fmt::format("commit {}", h)));
    }
    git_oid oid;
    while (git_revwalk_next(&oid, w) == 0) out.push_back(hex(&oid));
    return out;
}

Result<std::vector<std::string>> GitRepo::ref_tips_under(std::string_view prefix) const {
    return commits_of_refs(m_repo, [prefix](std::string_view n) { return n.starts_with(prefix); });
}

Result<std::vector<std::string>> GitRepo::changed_files() const {
    git_status_options opts = GIT_STATUS_OPTIONS_INIT;
    opts.show = GIT_STATUS_SHOW_INDEX_AND_WORKDIR;
    opts.flags = GIT_STATUS_OPT_EXCLUDE_SUBMODULES;
    git_status_list* list = nullptr;
    if (git_status_list_new(&list, m_repo, &opts) != 0) return fail(last_git_error("cannot read git status"));
    std::unique_ptr<git_status_list, Deleter<git_status_list, &git_status_list_free>> owned(list);
    std::vector<std::string> out;
    for (std::size_t i = 0; i < git_status_list_entrycount(list); ++i) {
        const git_status_entry* e = git_status_byindex(list, i);
        const git_diff_delta* d = e->head_to_index ? e->head_to_index : e->index_to_workdir;
        if (d && d->new_file.path) out.emplace_back(d->new_file.path);
        else if (d && d->old_file.path) out.emplace_back(d->old_file.path);
    }
    std::sort(out.begin(), out.end());
    out.erase(std::unique(out.begin(), out.end()), out.end());
    return out;
}

Status GitRepo::stage(const std::vector<std::string>& paths) {
    git_index* idx = nullptr;
    if (git_repository_index(&idx, m_repo) != 0) return fail(last_git_error("cannot open the git index"));
    GitIndex owned(idx);
    for (const auto& p : paths)
        if (git_index_add_bypath(idx, p.c_str()) != 0) return fail(last_git_error(fmt::format("cannot stage {}", p)));
    if (git_index_write(idx) != 0) return fail(last_git_error("cannot write the git index"));
    return {};
}

} // namespace mlops::gitrepo
