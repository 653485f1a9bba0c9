#include <mlops/util/paths.hpp>

#include <cerrno>
#include <climits>
#include <cstdlib>
#include <sys/stat.h>
#include <unistd.h>
#include <vector>

namespace mlops::util {

std::string normalize_path(std::string_view path) {
    bool absolute = !path.empty() && path.front() == '/';
    std::vector<std::string_view> parts;
    std::size_t i = 0;
    while (i <= path.size()) {
        std::size_t j = path.find('/', i);
        if (j == std::string_view::npos) j = path.size();
        std::string_view part = path.substr(i, j - i);
        if (part.empty() || part == ".") {
        } else if (part == "..") {
            if (!parts.empty() && parts.back() != "..")
                parts.pop_back();
            else if (!absolute)
                parts.push_back(part);
        } else {
            parts.push_back(part);
        }
        i = j + 1;
    }
    std::string out = absolute ? "/" : "";
    for (std::size_t k = 0; k < parts.size(); ++k) {
        if (k) out += '/';
        out += parts[k];
    }
    if (out.empty()) out = absolute ? "/" : ".";
    return out;
}

std::string join_path(std::string_view a, std::string_view b) {
    if (a.empty() || a == ".") return std::string(b);
    if (b.empty()) return std::string(a);
    std::string out(a);
    if (out.back() != '/') out += '/';
    out += b;
    return out;
}

std::string parent_path(std::string_view path) {
    auto slash = path.find_last_of('/');
    if (slash == std::string_view::npos) return "";
    if (slash == 0) return "/";
    return std::string(path.substr(0, slash));
}

std::string file_name(std::string_view path) {
    auto slash = path.find_last_of('/');
    return std::string(slash == std::string_view::npos ? path : path.substr(slash + 1));
}

std::string current_dir() {
    char buf[PATH_MAX];
    if (!::getcwd(buf, sizeof buf)) return ".";
    return buf;
}

Result<std::string> to_repo_relative(const std::string& root, const std::string& cwd,
                                     std::string_view user_path) {
    if (user_path.empty()) return fail(Error::usage("empty path"));
    std::string abs = normalize_path(user_path.front() == '/' ? std::string(user_path)
                                                              : join_path(cwd, user_path));
    if (abs == root) return std::string(".");
    if (abs.size() <= root.size() || abs.compare(0, root.size(), root) != 0 || abs[root.size()] != '/')
        return fail(Error::usage(fmt::format("{}: path is outside the work tree {}", user_path, root)));
    std::string rel = abs.substr(root.size() + 1);
    if (rel == ".git" || rel.starts_with(".git/") || rel == ".mlops" || rel.starts_with(".mlops/"))
        return fail(Error::usage(fmt::format("{}: path is inside the repository's own metadata", user_path)));
    // A symlinked folder on the way would put pointer files (and checked-out data) wherever it
    // points, possibly outside the work tree, and where git does not see them.
    for (auto slash = rel.find('/'); slash != std::string::npos; slash = rel.find('/', slash + 1)) {
        struct stat st;
        if (::lstat((root + "/" + rel.substr(0, slash)).c_str(), &st) != 0) break;
        if (S_ISLNK(st.st_mode))
            return fail(Error::usage(fmt::format("{}: path goes through the symlink {}; name the folder it points to",
                                                 user_path, rel.substr(0, slash))));
    }
    return rel;
}

Result<bool> resolves_inside(const std::string& root, const std::string& rel) {
    std::string full = join_path(root, rel);
    char buf[PATH_MAX];
    if (!::realpath(full.c_str(), buf)) {
        if (errno == ENOENT) return false; // dangling symlink: treated as outside
        return fail(Error::from_errno(fmt::format("cannot resolve {}", rel), errno));
    }
    char root_buf[PATH_MAX];
    std::string real_root = ::realpath(root.c_str(), root_buf) ? root_buf : root;
    std::string real(buf);
    return real == real_root || (real.size() > real_root.size() && real.starts_with(real_root) &&
                                 real[real_root.size()] == '/');
}

} // namespace mlops::util
