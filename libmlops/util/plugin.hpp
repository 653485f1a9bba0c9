// Loading an optional part of mlops at run time (dlopen), so that heavy libraries stay out of
// start-up. LibTorch is the reason: linking it costs ~0.6 s and 160 MiB before main, so it lives in
// libmlops_torch.so, which only the commands that train, evaluate, predict, explain or serve load.
//
// A plugin exports one C function `<entry>()` returning a pointer to a versioned table of function
// pointers; the caller checks the version before use.
#pragma once

#include <optional>
#include <string>

#include <mlops/util/error.hpp>

namespace mlops::util {

class Plugin {
  public:
    // Looks for `file` (e.g. "libmlops_torch.so") next to the running executable, in
    // <exe>/../lib/mlops/, then in $MLOPS_PLUGIN_DIR; resolves `entry` and calls it.
    static Result<Plugin> load(const std::string& file, const std::string& entry);
    // Where load() would find `file`, without loading it (mlops export copies the plugins).
    static std::optional<std::string> find(const std::string& file);
    Plugin(Plugin&& o) noexcept : m_handle(std::exchange(o.m_handle, nullptr)), m_table(o.m_table), m_path(std::move(o.m_path)) {}
    Plugin& operator=(Plugin&&) = delete;
    ~Plugin();
    // The table the entry function returned.
    const void* table() const { return m_table; }
    const std::string& path() const { return m_path; }

  private:
    Plugin(void* h, const void* t, std::string p) : m_handle(h), m_table(t), m_path(std::move(p)) {}
    void* m_handle;
    const void* m_table;
    std::string m_path;
};

// The folder of the running executable.
std::string executable_dir();

} // namespace mlops::util
