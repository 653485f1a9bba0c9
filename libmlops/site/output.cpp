#include <mlops/site/output.hpp>

#include <cerrno>
#include <cstdio>
#include <cstring>
#include <filesystem>
#include <csignal>
#include <cstdlib>
#include <fcntl.h>
#include <unistd.h>

#include <fmt/format.h>

#include <mlops/util/fs.hpp>
#include <mlops/util/paths.hpp>

namespace mlops::site {

using util::Error;
using util::fail;

namespace {

// Removes a folder we made, ignoring errors (it is a temporary one).
void remove_tree(const std::string& dir) {
    std::error_code ec;
    std::filesystem::remove_all(dir, ec);
}

util::Status write_one(const std::string& path, const std::string& content) {
    util::UniqueFd fd(::open(path.c_str(), O_WRONLY | O_CREAT | O_EXCL | O_CLOEXEC, 0644));
    if (!fd) return fail(Error::from_errno(path, errno));
    return util::write_all(fd.get(), content.data(), content.size(), path);
}

} // namespace

util::Result<Written> write_site(const std::string& target, const Pages& pages) {
    const std::string parent = target.rfind('/') == 0 ? std::string("/") : util::parent_path(target);
    auto pst = MLOPS_TRY(util::stat_path(parent));
    if (!pst || !pst->is_dir) return fail(Error::usage(fmt::format("-o {}: the folder {} does not exist", target, parent)));
    auto tst = MLOPS_TRY(util::stat_path(target));
    if (tst) {
        if (!tst->is_dir) return fail(Error::usage(fmt::format("-o {}: exists and is not a folder", target)));
        std::error_code ec;
        bool empty = std::filesystem::is_empty(target, ec);
        auto marker = MLOPS_TRY(util::stat_path(target + "/" + k_marker));
        if (!empty && !marker)
            return fail(Error::usage(fmt::format(
                "-o {}: the folder exists and is not a site made by `mlops report site` (no {} file); remove it or choose another folder", target,
                k_marker)));
    }
    // The temporary folder, next to the target (same filesystem, so the rename is atomic). One left
    // by a process that died (killed mid-write) is removed first.
    std::string prefix = fmt::format(".{}.tmp-", util::file_name(target));
    std::error_code ec;
    for (std::filesystem::directory_iterator it(parent, ec), end; !ec && it != end; it.increment(ec)) {
        auto name = it->path().filename().string();
        if (!name.starts_with(prefix)) continue;
        long pid = std::strtol(name.c_str() + prefix.size(), nullptr, 10);
        if (pid > 0 && ::kill(pid_t(pid), 0) != 0 && errno == ESRCH) remove_tree(it->path().string());
    }
    std::string tmp = parent + "/" + prefix + std::to_string(::getpid());
    remove_tree(tmp);
    if (::mkdir(tmp.c_str(), 0755) != 0) return fail(Error::from_errno(fmt::format("-o {}: cannot create {}", target, tmp), errno));
    Written w;
    auto body = [&]() -> util::Status {
        MLOPS_TRYV(write_one(tmp + "/" + k_marker, "Made by `mlops report site`; the whole folder is replaced when the site is made again.\n"));
        for (const auto& [rel, content] : pages) {
            auto dir = util::parent_path(rel);
            if (!dir.empty()) MLOPS_TRYV(util::make_dirs(tmp + "/" + dir));
            MLOPS_TRYV(write_one(tmp + "/" + rel, content));
            w.bytes += content.size();
            if (rel.ends_with(".html")) {
                ++w.pages;
                if (content.size() > w.largest_bytes || (content.size() == w.largest_bytes && rel < w.largest)) {
                    w.largest_bytes = content.size();
                    w.largest = rel;
                }
            }
        }
        // No syncfs: the site is derived data that the next run makes again, and a sync behind other
        // processes' dirty pages can take seconds; the renames alone make the switch atomic.
        if (!tst) {
            if (::rename(tmp.c_str(), target.c_str()) != 0) return fail(Error::from_errno(fmt::format("-o {}: cannot rename {} into place", target, tmp), errno));
            return util::fsync_dir(parent);
        }
        // Swap the new folder with the old one in one step; the old one is then removed.
        if (::renameat2(AT_FDCWD, tmp.c_str(), AT_FDCWD, target.c_str(), RENAME_EXCHANGE) != 0) {
            if (errno != EINVAL && errno != ENOSYS)
                return fail(Error::from_errno(fmt::format("-o {}: cannot swap in {}", target, tmp), errno));
            // No exchange on this filesystem: move the old site aside, the new one in, then drop the old.
            std::string old = tmp + ".old";
            remove_tree(old);
            if (::rename(target.c_str(), old.c_str()) != 0) return fail(Error::from_errno(fmt::format("-o {}: cannot move the old site aside", target), errno));
            if (::rename(tmp.c_str(), target.c_str()) != 0) {
                int err = errno;
                (void)::rename(old.c_str(), target.c_str());
                return fail(Error::from_errno(fmt::format("-o {}: cannot rename {} into place", target, tmp), err));
            }
            remove_tree(old);
        }
        MLOPS_TRYV(util::fsync_dir(parent));
        return {};
    };
    auto st = body();
    remove_tree(tmp); // the old site after an exchange, or what a failure left
    if (!st) return fail(st.error());
    return w;
}

} // namespace mlops::site
