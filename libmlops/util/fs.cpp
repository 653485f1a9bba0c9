#include <mlops/util/fs.hpp>

#include <cerrno>
#include <fcntl.h>
#include <random>
#include <sys/file.h>
#include <sys/stat.h>
#include <thread>
#include <pwd.h>
#include <unistd.h>

namespace mlops::util {

void UniqueFd::reset() {
    if (m_fd >= 0) ::close(m_fd);
    m_fd = -1;
}

Result<UniqueFd> UniqueFd::open_read(const std::string& path) {
    int fd = ::open(path.c_str(), O_RDONLY | O_CLOEXEC);
    if (fd < 0) return fail(Error::from_errno(fmt::format("cannot open {}", path), errno));
    return UniqueFd(fd);
}

Result<UniqueFd> UniqueFd::open_dir(const std::string& path) {
    int fd = ::open(path.c_str(), O_RDONLY | O_DIRECTORY | O_CLOEXEC);
    if (fd < 0) return fail(Error::from_errno(fmt::format("cannot open folder {}", path), errno));
    return UniqueFd(fd);
}

Status read_chunks(int fd, const std::string& path,
                   const std::function<Status(const char*, std::size_t)>& sink) {
    static thread_local std::string buffer(1 << 20, '\0');
    for (;;) {
        ssize_t n = ::read(fd, buffer.data(), buffer.size());
        if (n < 0) {
            if (errno == EINTR) continue;
            return fail(Error::from_errno(fmt::format("cannot read {}", path), errno));
        }
        if (n == 0) return {};
        MLOPS_TRYV(sink(buffer.data(), static_cast<std::size_t>(n)));
    }
}

Result<std::string> read_file(const std::string& path) {
    auto fd = MLOPS_TRY(UniqueFd::open_read(path));
    std::string out;
    MLOPS_TRYV(read_chunks(fd.get(), path, [&](const char* p, std::size_t n) {
        out.append(p, n);
        return Status{};
    }));
    return out;
}

Result<std::string> read_file_tail(const std::string& path, std::size_t max_bytes) {
    auto fd = MLOPS_TRY(UniqueFd::open_read(path));
    struct stat st {};
    if (::fstat(fd.get(), &st) != 0) return fail(Error::from_errno(fmt::format("cannot stat {}", path), errno));
    auto size = std::size_t(std::max<off_t>(st.st_size, 0));
    if (size > max_bytes && ::lseek(fd.get(), off_t(size - max_bytes), SEEK_SET) < 0)
        return fail(Error::from_errno(fmt::format("cannot seek in {}", path), errno));
    std::string out;
    MLOPS_TRYV(read_chunks(fd.get(), path, [&](const char* p, std::size_t n) {
        out.append(p, n);
        return Status{};
    }));
    // A file that grew while it was read: still only its last bytes.
    if (out.size() > max_bytes) out.erase(0, out.size() - max_bytes);
    return out;
}

Status write_all(int fd, const char* data, std::size_t size, const std::string& path) {
    while (size > 0) {
        ssize_t n = ::write(fd, data, size);
        if (n < 0) {
            if (errno == EINTR) continue;
            return fail(Error::from_errno(fmt::format("cannot write {}", path), errno));
        }
        data += n;
        size -= static_cast<std::size_t>(n);
    }
    return {};
}

Status copy_fd(int in, int out, const std::string& src, const std::string& dst) {
    for (;;) {
        ssize_t n = ::copy_file_range(in, nullptr, out, nullptr, 1 << 30, 0);
        if (n == 0) return {};
        if (n > 0) continue;
        if (errno == EINTR) continue;
        if (errno == EXDEV || errno == ENOSYS || errno == EOPNOTSUPP || errno == EINVAL) break;
        return fail(Error::from_errno(fmt::format("cannot copy {} to {}", src, dst), errno));
    }
    return read_chunks(in, src, [&](const char* p, std::size_t n) { return write_all(out, p, n, dst); });
}

Status make_dirs(const std::string& dir) {
    if (dir.empty()) return {};
    struct stat st;
    if (::stat(dir.c_str(), &st) == 0) {
        if (S_ISDIR(st.st_mode)) return {};
        return fail(Error::usage(fmt::format("{} exists and is not a folder", dir)));
    }
    auto slash = dir.find_last_of('/');
    if (slash != std::string::npos && slash > 0) MLOPS_TRYV(make_dirs(dir.substr(0, slash)));
    if (::mkdir(dir.c_str(), 0755) != 0 && errno != EEXIST)
        return fail(Error::from_errno(fmt::format("cannot create folder {}", dir), errno));
    return {};
}

Status fsync_dir(const std::string& dir) {
    auto fd = MLOPS_TRY(UniqueFd::open_dir(dir.empty() ? "." : dir));
    if (::fsync(fd.get()) != 0 && errno != EINVAL)
        return fail(Error::from_errno(fmt::format("cannot sync folder {}", dir), errno));
    return {};
}

Status sync_filesystem(const std::string& path) {
    auto fd = MLOPS_TRY(UniqueFd::open_dir(path));
    if (::syncfs(fd.get()) != 0)
        return fail(Error::from_errno(fmt::format("cannot sync the filesystem of {}", path), errno));
    return {};
}

std::string temp_name_in(const std::string& dir) {
    static thread_local std::mt19937_64 rng{std::random_device{}() ^
                                            (std::uint64_t(::getpid()) << 32) ^
                                            std::hash<std::thread::id>{}(std::this_thread::get_id())};
    static const pid_t pid = ::getpid(); // children exec at once; the cache never goes stale
    return fmt::format("{}/.tmp-{}-{:016x}", dir, pid, rng());
}

static std::string parent_of(const std::string& path) {
    auto slash = path.find_last_of('/');
    if (slash == std::string::npos) return ".";
    if (slash == 0) return "/";
    return path.substr(0, slash);
}

Status write_file_atomic(const std::string& path, std::string_view content, Durability d,
                         unsigned mode) {
    std::string dir = parent_of(path);
    std::string tmp = temp_name_in(dir);
    int fd = ::open(tmp.c_str(), O_WRONLY | O_CREAT | O_EXCL | O_CLOEXEC, mode);
    if (fd < 0) return fail(Error::from_errno(fmt::format("cannot create {}", tmp), errno));
    UniqueFd owned(fd);
    auto st = write_all(fd, content.data(), content.size(), tmp);
    if (st && d == Durability::fsync && ::fsync(fd) != 0)
        st = fail(Error::from_errno(fmt::format("cannot sync {}", tmp), errno));
    owned.reset();
    if (st && ::rename(tmp.c_str(), path.c_str()) != 0)
        st = fail(Error::from_errno(fmt::format("cannot rename {} to {}", tmp, path), errno));
    if (!st) {
        ::unlink(tmp.c_str());
        return st;
    }
    if (d == Durability::fsync) MLOPS_TRYV(fsync_dir(dir));
    return {};
}

// A lock file whose creator died (kill -9, power loss) is removed: nobody holds its flock and it
// is older than the moment between a holder's create and flock.
static bool break_stale_lock(const std::string& lock_path) {
    int fd = ::open(lock_path.c_str(), O_RDONLY | O_CLOEXEC);
    if (fd < 0) return errno == ENOENT; // gone meanwhile: try again at once
    UniqueFd owned(fd);
    struct stat st;
    if (::fstat(fd, &st) != 0) return false;
    struct timespec now;
    ::clock_gettime(CLOCK_REALTIME, &now);
    if (now.tv_sec - st.st_mtim.tv_sec < 2) return false;
    if (::flock(fd, LOCK_EX | LOCK_NB) != 0) return false; // alive
    // Only unlink the very file we examined.
    struct stat again;
    if (::stat(lock_path.c_str(), &again) != 0 || again.st_ino != st.st_ino) return false;
    ::unlink(lock_path.c_str());
    return true;
}

Result<LockFile> LockFile::acquire(const std::string& path, std::chrono::milliseconds wait) {
    std::string lock_path = path + ".lock";
    auto deadline = std::chrono::steady_clock::now() + wait;
    auto pause = std::chrono::milliseconds(1);
    for (;;) {
        int fd = ::open(lock_path.c_str(), O_RDWR | O_CREAT | O_EXCL | O_CLOEXEC, 0644);
        if (fd >= 0) {
            // The holder keeps an flock on its lock file: the kernel drops it if the process dies,
            // which is how a later process tells a stale lock from a live one.
            ::flock(fd, LOCK_EX | LOCK_NB);
            return LockFile(path, UniqueFd(fd));
        }
        if (errno != EEXIST)
            return fail(Error::from_errno(fmt::format("cannot create lock {}", lock_path), errno));
        if (break_stale_lock(lock_path)) continue;
        if (std::chrono::steady_clock::now() >= deadline) {
            return fail(Error::lock(fmt::format(
                "{} exists: another mlops process is changing {}; if none is running, remove "
                "the lock file",
                lock_path, path)));
        }
        std::this_thread::sleep_for(pause);
        pause = std::min(pause * 2, std::chrono::milliseconds(50));
    }
}

LockFile::LockFile(LockFile&& o) noexcept
    : m_path(std::move(o.m_path)), m_fd(std::move(o.m_fd)), m_active(std::exchange(o.m_active, false)) {}

LockFile::~LockFile() { rollback(); }

void LockFile::rollback() {
    if (!m_active) return;
    m_fd.reset();
    ::unlink((m_path + ".lock").c_str());
    m_active = false;
}

Status LockFile::commit(std::string_view content, unsigned mode) {
    std::string lock_path = m_path + ".lock";
    if (::fchmod(m_fd.get(), mode) != 0)
        return fail(Error::from_errno(fmt::format("cannot chmod {}", lock_path), errno));
    MLOPS_TRYV(write_all(m_fd.get(), content.data(), content.size(), lock_path));
    if (::fsync(m_fd.get()) != 0)
        return fail(Error::from_errno(fmt::format("cannot sync {}", lock_path), errno));
    m_fd.reset();
    if (::rename(lock_path.c_str(), m_path.c_str()) != 0)
        return fail(Error::from_errno(fmt::format("cannot rename {} to {}", lock_path, m_path), errno));
    m_active = false;
    return fsync_dir(parent_of(m_path));
}

Result<FileLock> FileLock::acquire(const std::string& path, LockMode mode, std::string_view what,
                                   std::chrono::milliseconds wait) {
    int fd = ::open(path.c_str(), O_RDWR | O_CREAT | O_CLOEXEC, 0644);
    if (fd < 0) return fail(Error::from_errno(fmt::format("cannot open lock {}", path), errno));
    UniqueFd owned(fd);
    int op = (mode == LockMode::shared ? LOCK_SH : LOCK_EX);
    auto deadline = std::chrono::steady_clock::now() + wait;
    auto pause = std::chrono::milliseconds(2);
    while (::flock(fd, op | LOCK_NB) != 0) {
        if (errno != EWOULDBLOCK && errno != EINTR)
            return fail(Error::from_errno(fmt::format("cannot lock {}", path), errno));
        if (std::chrono::steady_clock::now() >= deadline)
            return fail(Error::lock(fmt::format("{} is locked by another mlops process ({})", path, what)));
        std::this_thread::sleep_for(pause);
        pause = std::min(pause * 2, std::chrono::milliseconds(100));
    }
    return FileLock(std::move(owned));
}

FileStat to_file_stat(const struct stat& st) {
    FileStat f;
    f.inode = st.st_ino;
    f.size = static_cast<std::uint64_t>(st.st_size);
    f.mtime_ns = std::int64_t(st.st_mtim.tv_sec) * 1'000'000'000 + st.st_mtim.tv_nsec;
    f.ctime_ns = std::int64_t(st.st_ctim.tv_sec) * 1'000'000'000 + st.st_ctim.tv_nsec;
    f.mode = st.st_mode;
    f.is_dir = S_ISDIR(st.st_mode);
    f.is_regular = S_ISREG(st.st_mode);
    f.is_symlink = S_ISLNK(st.st_mode);
    return f;
}

Result<std::optional<FileStat>> stat_path(const std::string& path) {
    struct stat st;
    if (::lstat(path.c_str(), &st) != 0) {
        if (errno == ENOENT || errno == ENOTDIR) return std::optional<FileStat>{};
        return fail(Error::from_errno(fmt::format("cannot stat {}", path), errno));
    }
    return std::optional<FileStat>{to_file_stat(st)};
}

std::int64_t now_ns() {
    struct timespec ts;
    ::clock_gettime(CLOCK_REALTIME, &ts);
    return std::int64_t(ts.tv_sec) * 1'000'000'000 + ts.tv_nsec;
}

std::string user_name() {
    struct passwd* pw = ::getpwuid(::geteuid());
    return pw && pw->pw_name ? std::string(pw->pw_name) : std::to_string(::geteuid());
}

std::string host_name() {
    char host[256] = {};
    ::gethostname(host, sizeof host - 1);
    return host;
}

} // namespace mlops::util
