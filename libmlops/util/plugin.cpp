#include <mlops/util/plugin.hpp>

#include <climits>
#include <cstdlib>
#include <dlfcn.h>
#include <unistd.h>
#include <vector>

#include <mlops/util/paths.hpp>

namespace mlops::util {

std::string executable_dir() {
    char buf[PATH_MAX];
    ssize_t n = ::readlink("/proc/self/exe", buf, sizeof buf - 1);
    if (n <= 0) return ".";
    buf[n] = '\0';
    return parent_path(buf);
}

namespace {
std::vector<std::string> candidates(const std::string& file) {
    std::vector<std::string> out;
    if (const char* dir = std::getenv("MLOPS_PLUGIN_DIR"); dir && *dir) out.push_back(join_path(dir, file));
    std::string exe = executable_dir();
    out.push_back(join_path(exe, file));
    out.push_back(join_path(exe, "../lib/mlops/" + file));
    return out;
}
} // namespace

std::optional<std::string> Plugin::find(const std::string& file) {
    for (const auto& path : candidates(file))
        if (::access(path.c_str(), F_OK) == 0) return path;
    return std::nullopt;
}

Result<Plugin> Plugin::load(const std::string& file, const std::string& entry) {
    std::string exe = executable_dir();
    std::string errors;
    for (const auto& path : candidates(file)) {
        if (::access(path.c_str(), F_OK) != 0) continue;
        void* h = ::dlopen(path.c_str(), RTLD_NOW | RTLD_LOCAL);
        if (!h) {
            errors += fmt::format("; {}", ::dlerror());
            continue;
        }
        auto* fn = reinterpret_cast<const void* (*)()>(::dlsym(h, entry.c_str()));
        if (!fn) {
            ::dlclose(h);
            return fail(Error::internal(fmt::format("{}: has no entry point {}", path, entry)));
        }
        return Plugin(h, fn(), path);
    }
    return fail(Error::usage(fmt::format("cannot load {} (looked in $MLOPS_PLUGIN_DIR, {} and {}/../lib/mlops){}; "
                                         "was mlops built with LibTorch?", file, exe, exe, errors)));
}

Plugin::~Plugin() {
    if (m_handle) ::dlclose(m_handle);
}

} // namespace mlops::util
