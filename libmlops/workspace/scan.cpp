#include <mlops/workspace/scan.hpp>

#include <algorithm>
#include <atomic>
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
    std::uint32_t rel_at = 0;  // the path relative to the tracked folder: Walk::paths[rel_at, +rel_len)
    std::uint32_t rel_len = 0;
    std::uint32_t dir = 0;     // index into Walk::fds of the folder it is stat'ed in
    std::uint32_t name_at = 0; // where the path relative to that folder starts, from rel_at
    util::FileStat st;
};

// Folders stay open during a walk (up to k_open_dirs of them, beyond that files are stat'ed by their
// path from the root) so that each file is stat'ed by its name in its folder: a one-component lookup
// instead of the path walked from the root again (most of fstatat's kernel time on 50,000 files).
constexpr std::size_t k_open_dirs = 256;

// The result of a walk. Paths live in one buffer, each followed by a NUL, rather than in 50,000
// strings: a status that finds nothing changed allocates nothing per file.
struct Walk {
    std::vector<int> fds; // [0]: the root
    std::vector<util::UniqueFd> owned;
    std::vector<WalkEntry> entries;
    std::string paths;
    std::string_view rel(const WalkEntry& e) const { return {paths.data() + e.rel_at, e.rel_len}; }
    const char* stat_name(const WalkEntry& e) const { return paths.c_str() + e.rel_at + e.name_at; }
    void add_file(std::string_view prefix, std::string_view name, std::uint32_t dir) {
        WalkEntry e;
        e.rel_at = std::uint32_t(paths.size());
        if (!prefix.empty()) paths.append(prefix).push_back('/');
        paths.append(name);
        e.rel_len = std::uint32_t(paths.size() - e.rel_at);
        paths.push_back('\0');
        e.dir = dir;
        e.name_at = dir == 0 ? 0 : e.rel_len - std::uint32_t(name.size());
        entries.push_back(e);
    }
};

// One folder's names in tree order: bytewise, with folder names compared as "name/". No stat here:
// d_type says what an entry is (fstatat only where the filesystem does not tell).
struct Listing {
    struct Name {
        std::uint64_t head; // the key's first 8 bytes, big-endian: most comparisons are one integer compare
        std::uint32_t at;
        std::uint32_t len;
        unsigned char type;
    };
    std::string keys; // the names, plus "/" for folders
    std::vector<Name> names;
    std::string_view key(const Name& n) const { return {keys.data() + n.at, n.len}; }
    std::string_view name(const Name& n) const { return key(n).substr(0, n.len - (n.type == DT_DIR)); }
};

Result<Listing> read_folder(int dirfd, const std::string& display_dir) {
    int fd = ::dup(dirfd);
    DIR* d = fd >= 0 ? ::fdopendir(fd) : nullptr;
    if (!d) {
        if (fd >= 0) ::close(fd);
        return fail(Error::from_errno(fmt::format("cannot read folder {}", display_dir), errno));
    }
    ::rewinddir(d);
    Listing out;
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
        if (n.find('\n') != std::string_view::npos) {
            ::closedir(d);
            return fail(Error::usage(fmt::format("{}/{}: file names with a newline are not supported", display_dir, n)));
        }
        if (type != DT_DIR && type != DT_REG && type != DT_LNK) {
            ::closedir(d);
            return fail(Error::usage(fmt::format("{}/{}: not a regular file, folder or symlink", display_dir, n)));
        }
        Listing::Name name{0, std::uint32_t(out.keys.size()), std::uint32_t(n.size() + (type == DT_DIR)), type};
        out.keys.append(n);
        if (type == DT_DIR) out.keys.push_back('/');
        for (std::size_t i = 0; i < 8; ++i)
            name.head = (name.head << 8) | (i < name.len ? static_cast<unsigned char>(out.keys[name.at + i]) : 0u);
        out.names.push_back(name);
    }
    ::closedir(d);
    std::sort(out.names.begin(), out.names.end(), [&](const Listing::Name& a, const Listing::Name& b) {
        return a.head != b.head ? a.head < b.head : out.key(a) < out.key(b);
    });
    return out;
}

// Opens sub-folder `name` of `dirfd`; keeps it open in `walk` while the budget lasts.
// Returns the folder's index in walk.fds (0 when it was not kept) and its fd.
Result<std::pair<std::uint32_t, int>> open_folder(int dirfd, std::string_view name, const std::string& display_dir,
                                                  Walk& walk, util::UniqueFd& owned) {
    std::string n(name);
    int sub = ::openat(dirfd, n.c_str(), O_RDONLY | O_DIRECTORY | O_CLOEXEC | O_NOFOLLOW);
    if (sub < 0) return fail(Error::from_errno(fmt::format("cannot open folder {}/{}", display_dir, name), errno));
    owned = util::UniqueFd(sub);
    if (walk.owned.size() >= k_open_dirs) return std::pair{0u, sub};
    walk.fds.push_back(sub);
    walk.owned.push_back(std::move(owned));
    return std::pair{std::uint32_t(walk.fds.size() - 1), sub};
}

// Lists files (and symlinks) below `dirfd` in tree order (the bytewise order of full paths).
Status list_dir(int dirfd, std::uint32_t dir_index, const std::string& display_dir, std::string_view prefix, Walk& walk) {
    auto listing = MLOPS_TRY(read_folder(dirfd, display_dir));
    for (const auto& n : listing.names) {
        std::string_view name = listing.name(n);
        if (n.type != DT_DIR) {
            walk.add_file(prefix, name, dir_index);
            continue;
        }
        util::UniqueFd owned;
        auto [sub_index, sub] = MLOPS_TRY(open_folder(dirfd, name, display_dir, walk, owned));
        std::string rel = prefix.empty() ? std::string(name) : fmt::format("{}/{}", prefix, name);
        MLOPS_TRYV(list_dir(sub, sub_index, fmt::format("{}/{}", display_dir, name), rel, walk));
    }
    return {};
}

// The whole walk. Listing is serial: listing sub-folders in parallel (a walk per thread, spliced in
// order) measured slower on 100 folders of 500 files (2 cores): more page faults, no gain in time.
Status walk_folder(int rootfd, const std::string& display_root, Walk& walk) {
    walk.fds = {rootfd};
    return list_dir(rootfd, 0, display_root, "", walk);
}

// lstat of every listed entry, in parallel: on a warm cache this is most of what status costs.
Status stat_entries(Walk& walk, const std::string& display_root, unsigned jobs) {
    constexpr std::size_t k_chunk = 512;
    auto& entries = walk.entries;
    std::size_t chunks = (entries.size() + k_chunk - 1) / k_chunk;
    return util::parallel_for(chunks, jobs, [&](std::size_t c) -> Status {
        std::size_t end = std::min(entries.size(), (c + 1) * k_chunk);
        for (std::size_t i = c * k_chunk; i < end; ++i) {
            auto& e = entries[i];
            struct stat st;
            if (::fstatat(walk.fds[e.dir], walk.stat_name(e), &st, AT_SYMLINK_NOFOLLOW) != 0)
                return fail(Error::from_errno(fmt::format("cannot stat {}/{}", display_root, walk.rel(e)), errno));
            e.st = util::to_file_stat(st);
            if (!e.st.is_regular && !e.st.is_symlink)
                return fail(Error::usage(fmt::format("{}/{}: changed while being read", display_root, walk.rel(e))));
        }
        return {};
    });
}

bool trusted(const index::StatRowView& row, const util::FileStat& st) {
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
    Walk walk;
    if (top->is_dir) {
        auto fd = MLOPS_TRY(util::UniqueFd::open_dir(abs));
        walk.entries.reserve(cache.size() + 64); // most folders hold what they held last time
        MLOPS_TRYV(walk_folder(fd.get(), rel, walk));
        MLOPS_TRYV(stat_entries(walk, rel, repo.jobs()));
        walk.fds.clear();
        walk.owned.clear();
    } else {
        walk.paths.push_back('\0');
        walk.entries.push_back({0, 0, 0, 0, *top});
    }
    auto& entries = walk.entries;
    auto rel_of = [&](std::size_t i) { return walk.rel(entries[i]); };
    auto full_rel = [&](std::string_view e) { return e.empty() ? rel : fmt::format("{}/{}", rel, e); };

    // Look everything up (entries and cache are both in tree order: a merge); what is left gets
    // hashed, largest first so that one big file overlaps the many small ones.
    // An entry's oid: a view into the stat cache, into `linked` or into `hashed`; no string per file.
    std::vector<std::string_view> oids(entries.size());
    std::vector<std::pair<std::size_t, std::string>> linked; // store links: entry, oid
    std::vector<std::int64_t> cached_at(entries.size(), 0);
    std::vector<char> store_linked(entries.size(), 0);
    std::vector<std::size_t> todo;
    std::uint64_t todo_bytes = 0;
    std::size_t c = 0;
    for (std::size_t i = 0; i < entries.size(); ++i) {
        if (entries[i].st.is_symlink) {
            if (auto link = MLOPS_TRY(store_link(repo, repo.abs(full_rel(rel_of(i)))))) {
                linked.emplace_back(i, std::move(link->first));
                entries[i].st = link->second;
                store_linked[i] = 1;
            } else {
                todo.push_back(i);
            }
            continue;
        }
        std::string_view path = rel_of(i);
        index::StatRowView row;
        while (c < cache.size() && (row = cache[c]).path < path) ++c;
        if (c < cache.size() && row.path == path && trusted(row, entries[i].st) &&
            (opts.mode == StoreMode::hash_only || repo.objects().exists(row.oid))) {
            oids[i] = row.oid;
            cached_at[i] = row.cached_at_ns;
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
    std::vector<std::string> hashed(todo.size()); // [k]: the oid of entries[todo[k]]
    {
        util::Progress progress(opts.progress_label, todo.size(), todo_bytes, opts.progress);
        MLOPS_TRYV(util::parallel_for(todo.size(), repo.jobs(), [&](std::size_t k) -> Status {
            std::size_t i = todo[k];
            const auto& e = entries[i];
            std::string path = repo.abs(full_rel(walk.rel(e)));
            if (e.st.is_symlink) {
                bool inside = MLOPS_TRY(util::resolves_inside(repo.root(), full_rel(walk.rel(e))));
                if (!inside)
                    return fail(Error::usage(fmt::format("{}: symlink points outside the work tree", full_rel(walk.rel(e)))));
                auto target = MLOPS_TRY(read_link(path));
                if (opts.mode == StoreMode::store) {
                    auto put = MLOPS_TRY(repo.objects().put_bytes(target, opts.batch));
                    hashed[k] = put.oid;
                    if (put.stored) ++new_objects;
                } else {
                    hashed[k] = util::sha256_hex(target);
                }
            } else if (opts.mode == StoreMode::store) {
                auto put = MLOPS_TRY(repo.objects().put_file(path, opts.batch));
                hashed[k] = put.oid;
                if (put.stored) ++new_objects;
            } else {
                hashed[k] = MLOPS_TRY(util::sha256_file(path));
            }
            progress.add(1, e.st.size);
            return {};
        }));
    }
    for (const auto& [i, oid] : linked) oids[i] = oid;
    for (std::size_t k = 0; k < todo.size(); ++k) {
        std::size_t i = todo[k];
        oids[i] = hashed[k];
        cached_at[i] = now;
        if (!entries[i].st.is_symlink) snap.hashed_bytes += entries[i].st.size;
    }
    snap.hashed_files = todo.size();
    std::size_t cacheable = 0;
    for (std::size_t i = 0; i < entries.size(); ++i)
        if (!entries[i].st.is_symlink && !store_linked[i]) ++cacheable;
    // Every file trusted from the cache, and no file that the cache does not know: the tree is the
    // one recorded with these rows (a changed mode would have moved a ctime).
    if (top->is_dir && opts.entries == TreeEntries::oid_only && opts.mode == StoreMode::hash_only &&
        todo.empty() && cacheable == entries.size() && cache.size() == entries.size() && !cache.tree_oid().empty()) {
        std::uint64_t total = 0;
        for (const auto& e : entries) total += e.st.size;
        snap.pointer = Pointer{1, Kind::dir, std::string(cache.tree_oid()), total, entries.size()};
        snap.tree_from_cache = true;
        return snap;
    }
    // The new stat cache of this path is made (and later rewritten) only when something was hashed
    // or went away, or when the folder's tree oid is not recorded yet: copying 50,000 unchanged
    // rows was ~15% of the user time of a no-change status.
    bool rows_changed = snap.hashed_files > 0 || cacheable != cache.size();
    if (!top->is_dir) {
        std::string oid(oids[0]);
        if (rows_changed) {
            const auto& st = entries[0].st;
            snap.stat_set = index::StatSet{{{"", st.inode, st.size, st.mtime_ns, st.ctime_ns, oid, cached_at[0]}}, ""};
        }
        snap.pointer = Pointer{1, Kind::file, std::move(oid), top->size, 1};
        snap.new_objects = new_objects;
        return snap;
    }
    // Tree order is the walk's order; sorting is a safety net (`order` maps tree rows to entries).
    std::vector<std::size_t> order(entries.size());
    for (std::size_t i = 0; i < order.size(); ++i) order[i] = i;
    auto by_path = [&](std::size_t a, std::size_t b) { return rel_of(a) < rel_of(b); };
    if (!std::is_sorted(order.begin(), order.end(), by_path)) std::sort(order.begin(), order.end(), by_path);
    snap.tree.entries.reserve(entries.size());
    for (std::size_t i : order) {
        std::uint64_t size = entries[i].st.size;
        snap.tree.entries.push_back({std::string(rel_of(i)), entry_mode(entries[i].st), size, std::string(oids[i])});
    }
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
    // The tree oid is recorded only when the rows cover every entry (no symlinks).
    bool record_tree = cacheable == entries.size();
    if (rows_changed || (record_tree && cache.tree_oid() != tree_oid)) {
        index::StatSet fresh;
        fresh.rows.reserve(cacheable);
        for (std::size_t k = 0; k < order.size(); ++k) {
            std::size_t i = order[k];
            if (entries[i].st.is_symlink || store_linked[i]) continue;
            const auto& st = entries[i].st;
            const auto& e = snap.tree.entries[k];
            fresh.rows.push_back({e.path, st.inode, st.size, st.mtime_ns, st.ctime_ns, e.oid, cached_at[i]});
        }
        if (record_tree) fresh.tree_oid = tree_oid;
        snap.stat_set = std::move(fresh);
    }
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
