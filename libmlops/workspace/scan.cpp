#include <mlops/workspace/scan.hpp>

#include <algorithm>
#include <cerrno>
#include <dirent.h>
#include <fcntl.h>
#include <sys/stat.h>
#include <unistd.h>

#include <mlops/util/hash.hpp>
#include <mlops/util/parallel.hpp>
#include <mlops/util/paths.hpp>
#include <mlops/util/progress.hpp>

namespace mlops::workspace {

using util::Error;
using util::fail;

namespace {

// A cached hash is trusted only when the file's mtime is clearly older than the moment it was
// hashed: a write within the same timestamp tick would otherwise go unnoticed ("racy git").
constexpr std::int64_t k_racy_ns = 1'000'000'000;

struct WalkEntry {
    std::string rel; // relative to the tracked folder
    util::FileStat st;
};

// Lists files (and symlinks) below `dirfd` in tree order: bytewise order of the full relative path,
// which is per-folder order with folder names compared as "name/". No stat here: d_type says what
// an entry is (fstatat only where the filesystem does not tell).
Status list_dir(int dirfd, const std::string& display_dir, const std::string& prefix, std::vector<WalkEntry>& out) {
    int fd = ::dup(dirfd);
    DIR* d = fd >= 0 ? ::fdopendir(fd) : nullptr;
    if (!d) {
        if (fd >= 0) ::close(fd);
        return fail(Error::from_errno(fmt::format("cannot read folder {}", display_dir), errno));
    }
    ::rewinddir(d);
    struct Name {
        std::string key; // name, plus "/" for folders
        unsigned char type;
    };
    std::vector<Name> names;
    while (auto* e = ::readdir(d)) {
        std::string_view n = e->d_name;
        if (n == "." || n == "..") continue;
        unsigned char type = e->d_type;
        if (type == DT_UNKNOWN) {
            struct stat st;
            if (::fstatat(dirfd, e->d_name, &st, AT_SYMLINK_NOFOLLOW) != 0) {
                int err = errno;
                ::closedir(d);
                return fail(Error::from_errno(fmt::format("cannot stat {}/{}", display_dir, n), err));
            }
            type = S_ISDIR(st.st_mode) ? DT_DIR : S_ISREG(st.st_mode) ? DT_REG : S_ISLNK(st.st_mode) ? DT_LNK : DT_FIFO;
        }
        names.push_back({type == DT_DIR ? std::string(n) + "/" : std::string(n), type});
    }
    ::closedir(d);
    std::sort(names.begin(), names.end(), [](const Name& a, const Name& b) { return a.key < b.key; });
    for (auto& [key, type] : names) {
        std::string name = type == DT_DIR ? key.substr(0, key.size() - 1) : key;
        if (name.find('\n') != std::string::npos)
            return fail(Error::usage(fmt::format("{}/{}: file names with a newline are not supported", display_dir, name)));
        std::string rel = prefix.empty() ? name : prefix + "/" + name;
        if (type == DT_DIR) {
            int sub = ::openat(dirfd, name.c_str(), O_RDONLY | O_DIRECTORY | O_CLOEXEC | O_NOFOLLOW);
            if (sub < 0) return fail(Error::from_errno(fmt::format("cannot open folder {}/{}", display_dir, name), errno));
            util::UniqueFd owned(sub);
            MLOPS_TRYV(list_dir(sub, display_dir + "/" + name, rel, out));
        } else if (type == DT_REG || type == DT_LNK) {
            out.push_back({std::move(rel), {}});
        } else {
            return fail(Error::usage(fmt::format("{}/{}: not a regular file, folder or symlink", display_dir, name)));
        }
    }
    return {};
}

// lstat of every listed entry, in parallel: on a warm cache this is most of what status costs.
Status stat_entries(int rootfd, const std::string& display_root, std::vector<WalkEntry>& entries, unsigned jobs) {
    constexpr std::size_t k_chunk = 512;
    std::size_t chunks = (entries.size() + k_chunk - 1) / k_chunk;
    return util::parallel_for(chunks, jobs, [&](std::size_t c) -> Status {
        std::size_t end = std::min(entries.size(), (c + 1) * k_chunk);
        for (std::size_t i = c * k_chunk; i < end; ++i) {
            struct stat st;
            if (::fstatat(rootfd, entries[i].rel.c_str(), &st, AT_SYMLINK_NOFOLLOW) != 0)
                return fail(Error::from_errno(fmt::format("cannot stat {}/{}", display_root, entries[i].rel), errno));
            entries[i].st = util::to_file_stat(st);
            if (!entries[i].st.is_regular && !entries[i].st.is_symlink)
                return fail(Error::usage(fmt::format("{}/{}: changed while being read", display_root, entries[i].rel)));
        }
        return {};
    });
}

bool trusted(const index::StatRow& row, const util::FileStat& st) {
    return row.inode == st.inode && row.size == st.size && row.mtime_ns == st.mtime_ns &&
           row.ctime_ns == st.ctime_ns && row.cached_at_ns - st.mtime_ns > k_racy_ns;
}

store::EntryMode entry_mode(const util::FileStat& st) {
    if (st.is_symlink) return store::EntryMode::symlink;
    return (st.mode & 0111) ? store::EntryMode::executable : store::EntryMode::file;
}

Result<std::string> read_link(const std::string& abs) {
    std::string buf(4096, '\0');
    ssize_t n = ::readlink(abs.c_str(), buf.data(), buf.size());
    if (n < 0) return fail(Error::from_errno(fmt::format("cannot read link {}", abs), errno));
    buf.resize(std::size_t(n));
    return buf;
}

// A symlink made by the symlink link strategy points into the object store: it stands for the
// object's content. Returns the oid and the object's stat, or nullopt for any other link.
Result<std::optional<std::pair<std::string, util::FileStat>>> store_link(Repository& repo, const std::string& abs) {
    using Out = std::optional<std::pair<std::string, util::FileStat>>;
    auto target = MLOPS_TRY(read_link(abs));
    const std::string& dir = repo.objects().dir();
    if (target.size() != dir.size() + 66 || !target.starts_with(dir + "/") || target[dir.size() + 3] != '/')
        return Out{};
    std::string oid = target.substr(dir.size() + 1, 2) + target.substr(dir.size() + 4);
    if (!util::is_oid(oid)) return Out{};
    struct stat st;
    if (::stat(target.c_str(), &st) != 0) return Out{};
    return Out{{oid, util::to_file_stat(st)}};
}

} // namespace

Result<Snapshot> snapshot(Repository& repo, const std::string& rel, const ScanOptions& opts) {
    std::string abs = repo.abs(rel);
    auto top = MLOPS_TRY(util::stat_path(abs));
    if (!top) return fail(Error::usage(fmt::format("{}: no such file or folder", rel)));
    std::optional<std::pair<std::string, util::FileStat>> top_link;
    if (top->is_symlink) top_link = MLOPS_TRY(store_link(repo, abs));
    if (top_link) {
        Snapshot snap;
        snap.pointer = Pointer{1, Kind::file, top_link->first, top_link->second.size, 1};
        return snap;
    }
    if (top->is_symlink) {
        bool inside = MLOPS_TRY(util::resolves_inside(repo.root(), rel));
        if (!inside) return fail(Error::usage(fmt::format("{}: symlink points outside the work tree", rel)));
        return fail(Error::usage(fmt::format("{}: is a symlink; track the file or folder it points to", rel)));
    }
    if (!top->is_regular && !top->is_dir)
        return fail(Error::usage(fmt::format("{}: not a regular file or folder", rel)));

    Snapshot snap;
    auto* index = MLOPS_TRY(repo.index());
    auto cache = MLOPS_TRY(index->load_stat_set(rel));
    std::vector<WalkEntry> entries;
    if (top->is_dir) {
        auto fd = MLOPS_TRY(util::UniqueFd::open_dir(abs));
        MLOPS_TRYV(list_dir(fd.get(), rel, "", entries));
        MLOPS_TRYV(stat_entries(fd.get(), rel, entries, repo.jobs()));
    } else {
        entries.push_back({"", *top});
    }
    auto full_rel = [&](const std::string& e) { return e.empty() ? rel : rel + "/" + e; };

    // Look everything up (entries and cache are both in tree order: a merge); what is left gets
    // hashed, largest first so that one big file overlaps the many small ones.
    std::vector<std::string> oids(entries.size());
    std::vector<std::int64_t> cached_at(entries.size(), 0);
    std::vector<char> store_linked(entries.size(), 0);
    std::vector<std::size_t> todo;
    std::uint64_t todo_bytes = 0;
    std::size_t c = 0;
    for (std::size_t i = 0; i < entries.size(); ++i) {
        if (entries[i].st.is_symlink) {
            if (auto link = MLOPS_TRY(store_link(repo, repo.abs(full_rel(entries[i].rel))))) {
                oids[i] = link->first;
                entries[i].st = link->second;
                store_linked[i] = 1;
            } else {
                todo.push_back(i);
            }
            continue;
        }
        while (c < cache.size() && cache[c].path < entries[i].rel) ++c;
        if (c < cache.size() && cache[c].path == entries[i].rel && trusted(cache[c], entries[i].st) &&
            (opts.mode == StoreMode::hash_only || repo.objects().exists(cache[c].oid))) {
            oids[i] = cache[c].oid;
            cached_at[i] = cache[c].cached_at_ns;
        } else {
            todo.push_back(i);
            todo_bytes += entries[i].st.size;
        }
    }
    std::sort(todo.begin(), todo.end(), [&](std::size_t a, std::size_t b) {
        return entries[a].st.size > entries[b].st.size;
    });
    std::atomic<std::uint64_t> new_objects{0};
    std::int64_t now = util::now_ns();
    {
        util::Progress progress(opts.progress_label, todo.size(), todo_bytes, opts.progress);
        MLOPS_TRYV(util::parallel_for(todo.size(), repo.jobs(), [&](std::size_t k) -> Status {
            std::size_t i = todo[k];
            const auto& e = entries[i];
            std::string path = repo.abs(full_rel(e.rel));
            if (e.st.is_symlink) {
                bool inside = MLOPS_TRY(util::resolves_inside(repo.root(), full_rel(e.rel)));
                if (!inside)
                    return fail(Error::usage(fmt::format("{}: symlink points outside the work tree", full_rel(e.rel))));
                auto target = MLOPS_TRY(read_link(path));
                if (opts.mode == StoreMode::store) {
                    auto put = MLOPS_TRY(repo.objects().put_bytes(target, opts.batch));
                    oids[i] = put.oid;
                    if (put.stored) ++new_objects;
                } else {
                    oids[i] = util::sha256_hex(target);
                }
            } else if (opts.mode == StoreMode::store) {
                auto put = MLOPS_TRY(repo.objects().put_file(path, opts.batch));
                oids[i] = put.oid;
                if (put.stored) ++new_objects;
            } else {
                oids[i] = MLOPS_TRY(util::sha256_file(path));
            }
            progress.add(1, e.st.size);
            return {};
        }));
    }
    for (std::size_t i : todo) {
        cached_at[i] = now;
        if (!entries[i].st.is_symlink) snap.hashed_bytes += entries[i].st.size;
    }
    snap.hashed_files = todo.size();
    // The new stat cache of this path, made (and later rewritten) only when something was hashed or
    // went away (copying 50,000 unchanged rows was ~15% of the user time of a no-change status).
    std::size_t cacheable = 0;
    for (std::size_t i = 0; i < entries.size(); ++i)
        if (!entries[i].st.is_symlink && !store_linked[i]) ++cacheable;
    if (snap.hashed_files > 0 || cacheable != cache.size()) {
        index::StatSet fresh;
        fresh.reserve(cacheable);
        for (std::size_t i = 0; i < entries.size(); ++i) {
            if (entries[i].st.is_symlink || store_linked[i]) continue;
            const auto& st = entries[i].st;
            fresh.push_back({entries[i].rel, st.inode, st.size, st.mtime_ns, st.ctime_ns, oids[i], cached_at[i]});
        }
        snap.stat_set = std::move(fresh);
    }

    if (!top->is_dir) {
        snap.pointer = Pointer{1, Kind::file, oids[0], top->size, 1};
        snap.new_objects = new_objects;
        return snap;
    }
    snap.tree.entries.reserve(entries.size());
    for (std::size_t i = 0; i < entries.size(); ++i) {
        std::uint64_t size = entries[i].st.size;
        snap.tree.entries.push_back({std::move(entries[i].rel), entry_mode(entries[i].st), size, std::move(oids[i])});
    }
    if (!std::is_sorted(snap.tree.entries.begin(), snap.tree.entries.end(),
                        [](const auto& a, const auto& b) { return a.path < b.path; }))
        snap.tree.sort();
    std::string text = snap.tree.serialize();
    std::string tree_oid;
    if (opts.mode == StoreMode::store) {
        auto put = MLOPS_TRY(repo.objects().put_bytes(text, opts.batch));
        tree_oid = put.oid;
        if (put.stored) ++new_objects;
    } else {
        tree_oid = util::sha256_hex(text);
    }
    snap.pointer = Pointer{1, Kind::dir, tree_oid, snap.tree.total_size(), snap.tree.entries.size()};
    snap.new_objects = new_objects;
    return snap;
}

namespace {
Status find_pointers(int dirfd, const std::string& prefix, std::vector<std::string>& out) {
    int fd = ::dup(dirfd);
    DIR* d = fd >= 0 ? ::fdopendir(fd) : nullptr;
    if (!d) {
        if (fd >= 0) ::close(fd);
        return fail(Error::from_errno(fmt::format("cannot read folder {}", prefix.empty() ? "." : prefix), errno));
    }
    ::rewinddir(d);
    std::vector<std::pair<std::string, unsigned char>> names;
    while (auto* e = ::readdir(d)) names.emplace_back(e->d_name, e->d_type);
    ::closedir(d);
    std::vector<std::string> tracked_here;
    for (auto& [n, type] : names)
        if (auto data = data_path_for(n); data && (type == DT_REG || type == DT_UNKNOWN)) tracked_here.push_back(*data);
    for (auto& [name, type] : names) {
        if (name == "." || name == "..") continue;
        std::string rel = prefix.empty() ? name : prefix + "/" + name;
        if (auto data = data_path_for(name)) {
            out.push_back(prefix.empty() ? *data : prefix + "/" + *data);
            continue;
        }
        bool dir = type == DT_DIR;
        if (type == DT_UNKNOWN) {
            struct stat st;
            dir = ::fstatat(dirfd, name.c_str(), &st, AT_SYMLINK_NOFOLLOW) == 0 && S_ISDIR(st.st_mode);
        }
        if (!dir) continue;
        if (prefix.empty() && (name == ".git" || name == k_dir_name)) continue;
        if (std::find(tracked_here.begin(), tracked_here.end(), name) != tracked_here.end()) continue;
        int sub = ::openat(dirfd, name.c_str(), O_RDONLY | O_DIRECTORY | O_CLOEXEC | O_NOFOLLOW);
        if (sub < 0) continue; // unreadable folders hold nothing we track
        util::UniqueFd owned(sub);
        // A nested git repository is its own project.
        if (::faccessat(sub, ".git", F_OK, 0) == 0) continue;
        MLOPS_TRYV(find_pointers(sub, rel, out));
    }
    return {};
}
} // namespace

Result<std::vector<std::string>> find_tracked_paths(const Repository& repo) {
    std::vector<std::string> out;
    auto fd = MLOPS_TRY(util::UniqueFd::open_dir(repo.root()));
    MLOPS_TRYV(find_pointers(fd.get(), "", out));
    std::sort(out.begin(), out.end());
    return out;
}

} // namespace mlops::workspace
