// git-style configuration files:
//   [core]
//       jobs = 4
//   [remote "origin"]
//       url = s3://bucket/prefix
// addressed as "core.jobs" and "remote.origin.url". Three levels, later ones win: global
// (~/.config/mlops/config), repository (.mlops/config, committed) and local (.mlops/config.local,
// per user, ignored by git). Editing keeps comments and the order of the file.
#pragma once

#include <optional>
#include <string>
#include <string_view>
#include <vector>

#include <mlops/util/error.hpp>

namespace mlops::config {

using util::Result;
using util::Status;

struct KeyParts {
    std::string section;
    std::string subsection; // may be empty
    std::string name;
};
// Splits "section[.subsection].name"; errors say why the key is malformed.
Result<KeyParts> split_key(std::string_view key);

class ConfigFile {
  public:
    // A missing file is an empty config; syntax errors name the file and line.
    static Result<ConfigFile> load(const std::string& path);
    static Result<ConfigFile> parse(std::string_view text, const std::string& path);

    std::optional<std::string> get(std::string_view key) const;
    void set(std::string_view key, std::string_view value);
    bool unset(std::string_view key);
    // Every (key, value) in file order, keys in canonical "section.sub.name" form.
    std::vector<std::pair<std::string, std::string>> entries() const;
    std::string text() const;
    const std::string& path() const { return m_path; }
    // Writes through a lock file (atomic replace).
    Status save() const;

  private:
    struct Line {
        std::string raw;
        std::string section, subsection, name, value; // name empty unless a key line
        bool is_header = false;
    };
    std::vector<Line> m_lines;
    std::string m_path;
};

enum class Level { global, repo, local };

std::string global_config_path();

// The merged view of the three levels.
class Config {
  public:
    static Result<Config> load(const std::string& mlops_dir); // mlops_dir empty: global only
    std::optional<std::string> get(std::string_view key) const;
    std::string get_or(std::string_view key, std::string_view fallback) const;
    Result<long> get_int(std::string_view key, long fallback) const;
    std::vector<std::pair<std::string, std::string>> entries() const; // merged, later wins
    // The file that holds `key`'s winning value, for error messages.
    std::string origin(std::string_view key) const;

  private:
    std::vector<ConfigFile> m_files; // global, repo, local
};

std::string level_path(Level level, const std::string& mlops_dir);

// Checks a key and value against the settings mlops knows: known sections have known keys (a typo
// gets the closest valid key suggested), values are checked by type.
Status validate(std::string_view key, std::string_view value);

} // namespace mlops::config
