// Filesystem primitives: owned file descriptors, chunked reads, atomic publication of files,
// git-style `.lock` files for mutable files and flock()-based repository locks.
#pragma once

#include <chrono>
#include <cstdint>
#include <functional>
#include <optional>
#include <string>
#include <string_view>
#include <sys/stat.h>

#include <mlops/util/error.hpp>

namespace mlops::util {

class UniqueFd {
  public:
    UniqueFd() = default;
    explicit UniqueFd(int fd) : m_fd(fd) {}
    ~UniqueFd() { reset(); }
    UniqueFd(UniqueFd&& o) noexcept : m_fd(std::exchange(o.m_fd, -1)) {}
    UniqueFd& operator=(UniqueFd&& o) noexcept {
        if (this != &o) {
            reset();
            m_fd = std::exchange(o.m_fd, -1);
        }
        return *this;
    }
    int get() const { return m_fd; }
    explicit operator bool() const { return m_fd >= 0; }
    void reset();

    static Result<UniqueFd> open_read(const std::string& path);
    static Result<UniqueFd> open_dir(const std::string& path);

  private:
    int m_fd = -1;
};

// Calls sink for successive chunks of the file until EOF; `path` names it in errors.
Status read_chunks(int fd, const std::string& path,
                   const std::function<Status(const char*, std::size_t)>& sink);
Result<std::string> read_file(const std::string& path);
// The last `max_bytes` of the file (all of it when smaller), without reading the rest.
Result<std::string> read_file_tail(const std::string& path, std::size_t max_bytes);
Status write_all(int fd, const char* data, std::size_t size, const std::string& path);
// Copies the rest of `in` to `out` inside the kernel (copy_file_range: no user-space copy, a clone
// where the filesystem can), falling back to read/write; `src` and `dst` name them in errors.
Status copy_fd(int in, int out, const std::string& src, const std::string& dst);

// Creates `dir` and its parents; existing directories are fine.
Status make_dirs(const std::string& dir);
Status fsync_dir(const std::string& dir);
// One syncfs() for the filesystem holding `path`: makes every write before it durable.
Status sync_filesystem(const std::string& path);

// A unique, hidden temporary name inside `dir` (".tmp-<pid>-<random>").
std::string temp_name_in(const std::string& dir);

enum class Durability { none, fsync };

// Writes `content` to a temporary file next to `path` and renames it over `path`.
Status write_file_atomic(const std::string& path, std::string_view content, Durability d,
                         unsigned mode = 0644);

// A git-style lock for a mutable file: `<path>.lock` created with O_EXCL holds the new content;
// commit() renames it over `path`, destruction without commit removes it. The lock file names the
// pid and host that hold it, so a stale one can be explained to the user.
class LockFile {
  public:
    static Result<LockFile> acquire(const std::string& path,
                                    std::chrono::milliseconds wait = std::chrono::seconds(10));
    LockFile(LockFile&& o) noexcept;
    LockFile& operator=(LockFile&&) = delete;
    ~LockFile();
    // Replaces the whole new content, fsyncs, renames over the target and fsyncs the folder.
    Status commit(std::string_view content, unsigned mode = 0644);
    void rollback();
    const std::string& path() const { return m_path; }

  private:
    LockFile(std::string path, UniqueFd fd) : m_path(std::move(path)), m_fd(std::move(fd)) {}
    std::string m_path;
    UniqueFd m_fd;
    bool m_active = true;
};

// An advisory lock on a file (flock); released by the kernel if the process dies.
enum class LockMode { shared, exclusive };
class FileLock {
  public:
    static Result<FileLock> acquire(const std::string& path, LockMode mode, std::string_view what,
                                    std::chrono::milliseconds wait = std::chrono::seconds(30));
    FileLock(FileLock&&) noexcept = default;
    FileLock& operator=(FileLock&&) noexcept = default;

  private:
    explicit FileLock(UniqueFd fd) : m_fd(std::move(fd)) {}
    UniqueFd m_fd;
};

struct FileStat {
    std::uint64_t inode = 0;
    std::uint64_t size = 0;
    std::int64_t mtime_ns = 0;
    std::int64_t ctime_ns = 0;
    unsigned mode = 0;
    bool is_dir = false;
    bool is_regular = false;
    bool is_symlink = false;
};
// lstat(); nullopt when the path does not exist.
Result<std::optional<FileStat>> stat_path(const std::string& path);
FileStat to_file_stat(const struct stat& st);

std::int64_t now_ns();

// Who and where, for records (run records, registry events): the effective user's login name (or
// uid) and the host name.
std::string user_name();
std::string host_name();

} // namespace mlops::util
