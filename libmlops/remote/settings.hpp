// Remotes in the configuration: `[remote "NAME"]` sections (key remote.NAME.KEY), the default in
// core.remote. Settings are checked against a table (a typo gets the closest name suggested), and
// secret ones are masked wherever settings are shown.
#pragma once

#include <cstdint>
#include <map>
#include <span>
#include <string>
#include <string_view>
#include <vector>

#include <mlops/config/config.hpp>
#include <mlops/remote/url.hpp>

namespace mlops::remote {

struct KnownSetting {
    const char* name;
    const char* kind; // "url", "endpoint", "string", "bool", "int", "size"
    bool secret;
    const char* help;
};
std::span<const KnownSetting> known_settings();

// `name` is the part after "remote.NAME."; usage errors say what is wrong.
util::Status validate_setting(std::string_view name, std::string_view value);
// True for remote.*.secret_access_key and remote.*.session_token.
bool is_secret_key(std::string_view full_key);
inline constexpr const char* k_masked = "********";

// "64M", "8MiB", "1g", "1048576" -> bytes.
util::Result<std::uint64_t> parse_size(std::string_view s);
bool parse_bool(std::string_view s);

struct RemoteConfig {
    std::string name;
    RemoteUrl url;
    std::string url_text;
    std::map<std::string, std::string> settings; // short name -> value, url included
    std::string get(std::string_view key, std::string_view fallback = "") const;
};

// Names of configured remotes (those with a url), in config order.
std::vector<std::string> remote_names(const config::Config& cfg);
std::string default_remote(const config::Config& cfg); // core.remote, or ""
// `name` empty: core.remote, else the only remote. Errors (usage) list the remotes there are.
util::Result<RemoteConfig> find_remote(const config::Config& cfg, std::string_view name);

} // namespace mlops::remote
