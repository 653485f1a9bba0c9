#include <mlops/workspace/materialize.hpp>

#include <atomic>
#include <cerrno>
#include <fcntl.h>
#include <linux/fs.h>
#include <sys/ioctl.h>
#include <sys/stat.h>
#include <unistd.h>

#include <mlops/util/fs.hpp>
#include <mlops/util/paths.hpp>

namespace mlops::workspace {

using util::Error;
using util::fail;

namespace {

mode_t file_mode(store::EntryMode m) {
    // Read once: umask() can only be read by setting it, which races with other threads.
    static const mode_t mask = [] {
        mode_t m = ::umask(0);
        ::umask(m);
        return m;
    }();
    return (m == store::EntryMode::executable ? 0777 : 0666) & ~mask;
}

// Set once FICLONE has said the filesystem cannot clone (ext4, tmpfs, another filesystem than the
// store's): the work tree is one filesystem, so the answer holds for every later file, and asking
// again would cost a verification pass and a temporary file per file.
std::atomic<bool> g_reflink_unsupported{false};

// Objects this process verified on their way into the store (pull = fetch + checkout) are not read
// and hashed a second time moments later.
Status verify_object(Repository& repo, const std::string& oid) {
    if (repo.objects().verified_here(oid)) return {};
    return repo.objects().stream(oid, [](const char*, std::size_t) { return Status{}; });
}

Status publish(const std::string& tmp, const std::string& dest, bool may_be_same_file = false) {
    if (::rename(tmp.c_str(), dest.c_str()) != 0) {
        int e = errno;
        ::unlink(tmp.c_str());
        return fail(Error::from_errno(fmt::format("cannot write {}", dest), e));
    }
    // When both names are hard links to the same file (re-adding with cache.type hardlink),
    // rename() succeeds without doing anything (POSIX) and the temporary name would stay behind.
    if (may_be_same_file) ::unlink(tmp.c_str());
    return {};
}

// Returns false when the filesystem cannot clone (the caller tries the next strategy).
Result<bool> try_reflink(Repository& repo, const std::string& oid, const std::string& tmp, mode_t mode) {
    auto src = MLOPS_TRY(util::UniqueFd::open_read(repo.objects().path_of(oid)));
    int fd = ::open(tmp.c_str(), O_WRONLY | O_CREAT | O_EXCL | O_CLOEXEC, mode);
    if (fd < 0) return fail(Error::from_errno(fmt::format("cannot create {}", tmp), errno));
    util::UniqueFd dst(fd);
    if (::ioctl(dst.get(), FICLONE, src.get()) != 0) {
        if (errno == EOPNOTSUPP || errno == ENOTTY || errno == EXDEV || errno == EINVAL) g_reflink_unsupported = true;
        dst.reset();
        ::unlink(tmp.c_str());
        return false;
    }
    return true;
}

Status copy_object(Repository& repo, const std::string& oid, const std::string& tmp, mode_t mode) {
    int fd = ::open(tmp.c_str(), O_WRONLY | O_CREAT | O_EXCL | O_CLOEXEC, mode);
    if (fd < 0) return fail(Error::from_errno(fmt::format("cannot create {}", tmp), errno));
    util::UniqueFd dst(fd);
    Status st;
    if (repo.objects().verified_here(oid)) {
        // Verified moments ago by this process: a kernel copy, no hashing.
        std::string src = repo.objects().path_of(oid);
        auto in = util::UniqueFd::open_read(src);
        st = in ? util::copy_fd(in->get(), fd, src, tmp) : Status(fail(std::move(in).error()));
    } else {
        st = repo.objects().stream(oid, [&](const char* p, std::size_t n) { return util::write_all(fd, p, n, tmp); });
    }
    if (!st) {
        dst.reset();
        ::unlink(tmp.c_str());
    }
    return st;
}

} // namespace

Status materialize_file(Repository& repo, const std::string& oid, store::EntryMode mode,
                        const std::string& dest_abs, const std::vector<LinkType>& links) {
    std::string dir = util::parent_path(dest_abs);
    MLOPS_TRYV(util::make_dirs(dir));
    // A folder where a file must go (or the reverse) is replaced only by the caller's decision.
    std::string tmp = util::temp_name_in(dir);
    if (mode == store::EntryMode::symlink) {
        auto target = MLOPS_TRY(repo.objects().read(oid));
        if (::symlink(target.c_str(), tmp.c_str()) != 0)
            return fail(Error::from_errno(fmt::format("cannot create symlink {}", dest_abs), errno));
        return publish(tmp, dest_abs);
    }
    mode_t fmode = file_mode(mode);
    for (LinkType link : links) {
        switch (link) {
        case LinkType::reflink: {
            if (g_reflink_unsupported.load(std::memory_order_relaxed)) continue;
            MLOPS_TRYV(verify_object(repo, oid));
            if (MLOPS_TRY(try_reflink(repo, oid, tmp, fmode))) return publish(tmp, dest_abs);
            continue;
        }
        case LinkType::copy:
            MLOPS_TRYV(copy_object(repo, oid, tmp, fmode));
            return publish(tmp, dest_abs);
        case LinkType::hardlink:
            MLOPS_TRYV(verify_object(repo, oid));
            if (::link(repo.objects().path_of(oid).c_str(), tmp.c_str()) != 0) {
                if (errno == EXDEV || errno == EMLINK || errno == EPERM) continue;
                return fail(Error::from_errno(fmt::format("cannot link {}", dest_abs), errno));
            }
            return publish(tmp, dest_abs, /*may_be_same_file=*/true);
        case LinkType::symlink:
            MLOPS_TRYV(verify_object(repo, oid));
            if (::symlink(repo.objects().path_of(oid).c_str(), tmp.c_str()) != 0)
                return fail(Error::from_errno(fmt::format("cannot create symlink {}", dest_abs), errno));
            return publish(tmp, dest_abs);
        }
    }
    // Every strategy declined (e.g. only reflink configured on a filesystem without it): copy.
    MLOPS_TRYV(copy_object(repo, oid, tmp, fmode));
    return publish(tmp, dest_abs);
}

Status link_into_worktree(Repository& repo, const std::string& rel, const Snapshot& snap,
                          const std::vector<LinkType>& links) {
    if (snap.pointer.kind == Kind::file)
        return materialize_file(repo, snap.pointer.oid, store::EntryMode::file, repo.abs(rel), links);
    for (const auto& e : snap.tree.entries) {
        if (e.mode == store::EntryMode::symlink) continue; // already a symlink in the work tree
        MLOPS_TRYV(materialize_file(repo, e.oid, e.mode, repo.abs(rel + "/" + e.path), links));
    }
    return {};
}

} // namespace mlops::workspace
