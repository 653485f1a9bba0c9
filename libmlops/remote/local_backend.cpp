#include <mlops/remote/local_backend.hpp>

#include <cerrno>
#include <dirent.h>
#include <fcntl.h>
#include <sys/sendfile.h>
#include <sys/stat.h>
#include <unistd.h>

#include <fmt/format.h>

#include <mlops/store/tree.hpp>
#include <mlops/util/fs.hpp>
#include <mlops/util/hash.hpp>
#include <mlops/util/paths.hpp>

namespace mlops::remote {

namespace {

// A flush costs two syncfs calls: batch generously (a push flushes once more at its end).
constexpr std::size_t k_flush_objects = 8192;
constexpr std::uint64_t k_flush_bytes = 4ull << 30;
constexpr std::int64_t k_stale_temp_ns = 24ll * 3600 * 1000000000;

} // namespace

LocalBackend::LocalBackend(std::string root, CreateRoot create, LinkOnGet link)
    : m_root(std::move(root)), m_create(create), m_link(link) {}

LocalBackend::~LocalBackend() {
    // Unflushed writes are dropped, never published unsynced.
    for (const auto& [key, tmp] : m_order) ::unlink(tmp.c_str());
}

Status LocalBackend::check_key(const std::string& key) const {
    if (!store::is_safe_relative_path(key) || key.starts_with("."))
        return fail(Fault::rejected, fmt::format("invalid key '{}'", key));
    return {};
}

Status LocalBackend::ensure_root() {
    if (m_root_ok) return {};
    auto st = MLOPS_TRY(util::stat_path(m_root));
    if (!st) {
        if (m_create == CreateRoot::no)
            return fail(Fault::no_bucket, fmt::format("the folder {} does not exist", m_root));
        MLOPS_TRYV(util::make_dirs(m_root));
    } else if (!st->is_dir) {
        return fail(Fault::no_bucket, fmt::format("{} is not a folder", m_root));
    }
    MLOPS_TRYV(util::make_dirs(m_root + "/.tmp"));
    // Debris of writers killed long ago.
    if (DIR* d = ::opendir((m_root + "/.tmp").c_str())) {
        std::int64_t now = util::now_ns();
        while (auto* e = ::readdir(d)) {
            std::string n = e->d_name;
            if (!n.starts_with(".tmp-")) continue;
            std::string p = m_root + "/.tmp/" + n;
            struct stat s;
            if (::lstat(p.c_str(), &s) == 0 && now - util::to_file_stat(s).mtime_ns > k_stale_temp_ns) ::unlink(p.c_str());
        }
        ::closedir(d);
    }
    m_root_ok = true;
    return {};
}

Result<bool> LocalBackend::exists(const std::string& key) {
    MLOPS_TRYV(check_key(key));
    {
        std::lock_guard lock(m_mutex);
        if (m_pending.contains(key)) return true;
        if (!m_root_ok) {
            auto st = MLOPS_TRY(util::stat_path(m_root));
            if (!st) {
                if (m_create == CreateRoot::yes) return false;
                return fail(Fault::no_bucket, fmt::format("the folder {} does not exist", m_root));
            }
        }
    }
    if (::access((m_root + "/" + key).c_str(), F_OK) == 0) return true;
    if (errno == ENOENT || errno == ENOTDIR) return false;
    return fail(util::Error::from_errno(fmt::format("cannot check {}/{}", m_root, key), errno));
}

Result<GetInfo> LocalBackend::get(const std::string& key, const std::string& dest) {
    MLOPS_TRYV(check_key(key));
    std::string src = m_root + "/" + key;
    {
        std::lock_guard lock(m_mutex);
        MLOPS_TRYV(ensure_root());
        if (auto it = m_pending.find(key); it != m_pending.end()) src = it->second;
    }
    int in = ::open(src.c_str(), O_RDONLY | O_CLOEXEC);
    if (in < 0) {
        if (errno == ENOENT) return fail(Fault::not_found, fmt::format("{}: not found", key));
        return fail(util::Error::from_errno(fmt::format("cannot open {}", src), errno));
    }
    util::UniqueFd in_fd(in);
    ::posix_fadvise(in, 0, 0, POSIX_FADV_SEQUENTIAL);
    util::Sha256 hash;
    GetInfo info;
    if (m_link == LinkOnGet::yes && ::link(src.c_str(), dest.c_str()) == 0) {
        // Hash what was linked (src may have been replaced since it was opened), so the caller
        // can verify what it got.
        auto linked = MLOPS_TRY(util::UniqueFd::open_read(dest));
        MLOPS_TRYV(util::read_chunks(linked.get(), dest, [&](const char* p, std::size_t n) -> util::Status {
            hash.update(p, n);
            info.size += n;
            return {};
        }));
        info.sha256 = hash.finish().hex();
        return info;
    }
    int out = ::open(dest.c_str(), O_WRONLY | O_CREAT | O_EXCL | O_CLOEXEC, 0644);
    if (out < 0) return fail(util::Error::from_errno(fmt::format("cannot create {}", dest), errno));
    util::UniqueFd out_fd(out);
    // Hashed on the way, so the caller need not read the copy again to verify it.
    MLOPS_TRYV(util::read_chunks(in, src, [&](const char* p, std::size_t n) -> util::Status {
        hash.update(p, n);
        info.size += n;
        return util::write_all(out, p, n, dest);
    }));
    info.sha256 = hash.finish().hex();
    return info;
}

Status LocalBackend::put(const std::string& key, const std::string& src, const PutInfo& info) {
    MLOPS_TRYV(check_key(key));
    {
        std::lock_guard lock(m_mutex);
        MLOPS_TRYV(ensure_root());
    }
    auto in = MLOPS_TRY(util::UniqueFd::open_read(src));
    std::string tmp = util::temp_name_in(m_root + "/.tmp");
    int out = ::open(tmp.c_str(), O_WRONLY | O_CREAT | O_EXCL | O_CLOEXEC, 0444);
    if (out < 0) return fail(util::Error::from_errno(fmt::format("cannot create {}", tmp), errno));
    util::UniqueFd out_fd(out);
    std::uint64_t size = 0;
    Status copied;
    // Writeback starts as the data is written (every 8 MiB, and at the end), not at the flush's
    // syncfs: the disk works while the next objects are read and hashed, and the flush waits for
    // what is left instead of for everything.
    constexpr std::uint64_t k_writeback_every = 8ull << 20;
    std::uint64_t started = 0;
    auto start_writeback = [&](std::uint64_t upto) {
        if (upto > started) (void)::sync_file_range(out, off64_t(started), off64_t(upto - started), SYNC_FILE_RANGE_WRITE);
        started = upto;
    };
    if (!info.sha256.empty()) {
        // Hash while copying: content that does not match its name is never published.
        util::Sha256 hash;
        copied = util::read_chunks(in.get(), src, [&](const char* p, std::size_t n) -> util::Status {
            hash.update(p, n);
            size += n;
            auto w = util::write_all(out, p, n, tmp);
            if (w && size - started >= k_writeback_every) start_writeback(size);
            return w;
        });
        if (copied) {
            auto actual = hash.finish().hex();
            if (actual != info.sha256)
                copied = fail(Fault::corrupt, fmt::format("{}: the local content hashes to {}, not {}; not copied", key,
                                                          actual, info.sha256));
        }
    } else {
        copied = util::copy_fd(in.get(), out, src, tmp);
        struct stat st;
        if (copied && ::fstat(out, &st) == 0) size = std::uint64_t(st.st_size);
    }
    if (!copied) {
        ::unlink(tmp.c_str());
        return copied;
    }
    start_writeback(size);
    std::lock_guard lock(m_mutex);
    if (auto it = m_pending.find(key); it != m_pending.end()) {
        ::unlink(tmp.c_str()); // the same content is already waiting
        return {};
    }
    m_pending.emplace(key, tmp);
    m_order.emplace_back(key, tmp);
    m_pending_bytes += size;
    if (m_pending.size() >= k_flush_objects || m_pending_bytes >= k_flush_bytes) return flush_locked();
    return {};
}

Status LocalBackend::flush() {
    std::lock_guard lock(m_mutex);
    return flush_locked();
}

Status LocalBackend::flush_locked() {
    if (m_pending.empty()) return {};
    MLOPS_TRYV(util::sync_filesystem(m_root + "/.tmp"));
    // In the order they were put: what refers to other objects (trees) was put after them.
    std::size_t done = 0;
    for (; done < m_order.size(); ++done) {
        const auto& [key, tmp] = m_order[done];
        std::string final_path = m_root + "/" + key;
        if (::rename(tmp.c_str(), final_path.c_str()) != 0) {
            int e = errno;
            if (e == ENOENT) {
                MLOPS_TRYV(util::make_dirs(util::parent_path(final_path)));
                if (::rename(tmp.c_str(), final_path.c_str()) == 0) {
                    m_pending.erase(key);
                    continue;
                }
                e = errno;
            }
            m_order.erase(m_order.begin(), m_order.begin() + long(done));
            return fail(util::Error::from_errno(fmt::format("cannot rename into {}", final_path), e));
        }
        m_pending.erase(key);
    }
    m_order.clear();
    m_pending_bytes = 0;
    return util::sync_filesystem(m_root);
}

Status LocalBackend::list(const std::string& prefix, const std::function<Status(const ObjectInfo&)>& each) {
    {
        std::lock_guard lock(m_mutex);
        MLOPS_TRYV(ensure_root());
        MLOPS_TRYV(flush_locked());
    }
    // Walk only the folders that can hold keys with this prefix.
    std::function<Status(const std::string&)> walk = [&](const std::string& rel) -> Status {
        std::string dir = rel.empty() ? m_root : m_root + "/" + rel;
        DIR* d = ::opendir(dir.c_str());
        if (!d) {
            if (errno == ENOENT || errno == ENOTDIR) return {};
            return fail(util::Error::from_errno(fmt::format("cannot list {}", dir), errno));
        }
        std::vector<std::pair<std::string, bool>> entries;
        while (auto* e = ::readdir(d)) {
            std::string n = e->d_name;
            if (n.starts_with(".")) continue;
            bool is_dir = e->d_type == DT_DIR;
            if (e->d_type == DT_UNKNOWN) {
                struct stat s;
                is_dir = ::lstat((dir + "/" + n).c_str(), &s) == 0 && S_ISDIR(s.st_mode);
            }
            entries.emplace_back(n, is_dir);
        }
        ::closedir(d);
        for (const auto& [n, is_dir] : entries) {
            std::string key = rel.empty() ? n : rel + "/" + n;
            if (is_dir) {
                std::string as_dir = key + "/";
                if (prefix.starts_with(as_dir) || as_dir.starts_with(prefix)) MLOPS_TRYV(walk(key));
            } else if (key.starts_with(prefix)) {
                struct stat s;
                std::uint64_t size = ::stat((m_root + "/" + key).c_str(), &s) == 0 ? std::uint64_t(s.st_size) : 0;
                MLOPS_TRYV(each({key, size}));
            }
        }
        return {};
    };
    return walk("");
}

Status LocalBackend::remove(const std::string& key) {
    MLOPS_TRYV(check_key(key));
    {
        std::lock_guard lock(m_mutex);
        if (auto it = m_pending.find(key); it != m_pending.end()) {
            ::unlink(it->second.c_str());
            std::erase_if(m_order, [&](const auto& p) { return p.first == key; });
            m_pending.erase(it);
        }
    }
    if (::unlink((m_root + "/" + key).c_str()) != 0 && errno != ENOENT)
        return fail(util::Error::from_errno(fmt::format("cannot remove {}/{}", m_root, key), errno));
    return {};
}

} // namespace mlops::remote
