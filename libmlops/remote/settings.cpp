#include <mlops/remote/settings.hpp>

#include <algorithm>
#include <cctype>

#include <fmt/format.h>

#include <mlops/util/strings.hpp>

namespace mlops::remote {

using util::Error;
using util::fail;

namespace {
constexpr KnownSetting k_settings[] = {
    {"url", "url", false, "where the remote is: /path, file:///path or s3://bucket/prefix"},
    {"endpoint", "endpoint", false, "S3 endpoint, e.g. http://127.0.0.1:9000 (default: AWS for the region)"},
    {"region", "string", false, "S3 region (default: AWS_REGION, else us-east-1)"},
    {"profile", "string", false, "profile in ~/.aws/credentials to take the credentials from"},
    {"path_style", "bool", false, "path-style addressing (host/bucket/key); default true with a custom endpoint"},
    {"jobs", "int", false, "parallel transfers (default: 8 for S3, four per core for a folder)"},
    {"hardlinks", "bool", false, "folder remote on the same filesystem: fetch hardlinks its read-only objects, like git clone (default true)"},
    {"access_key_id", "string", false, "S3 access key id (prefer a profile or the environment)"},
    {"secret_access_key", "string", true, "S3 secret access key (kept in .mlops/config.local, never shown)"},
    {"session_token", "string", true, "S3 session token for temporary credentials (never shown)"},
    {"retries", "int", false, "attempts per request before giving up (default 5)"},
    {"multipart_threshold", "size", false, "objects above this go up in parts (default 64M)"},
    {"part_size", "size", false, "multipart part size, at least 8M (default 16M)"},
    {"connect_timeout", "int", false, "seconds to wait for a connection (default 10)"},
    {"timeout", "int", false, "seconds without progress before a transfer is abandoned (default 60)"},
};

std::string lower(std::string_view s) {
    std::string out(s);
    for (auto& c : out) c = char(std::tolower(static_cast<unsigned char>(c)));
    return out;
}
} // namespace

std::span<const KnownSetting> known_settings() { return k_settings; }

bool parse_bool(std::string_view s) {
    auto v = lower(s);
    return v == "true" || v == "yes" || v == "1" || v == "on";
}

util::Result<std::uint64_t> parse_size(std::string_view s) {
    std::string v = lower(util::trim(s));
    std::size_t i = 0;
    while (i < v.size() && std::isdigit(static_cast<unsigned char>(v[i]))) ++i;
    if (i == 0 || i > 18) return fail(Error::usage(fmt::format("'{}' is not a size (e.g. 64M, 8MiB, 1048576)", s)));
    std::uint64_t n = std::stoull(v.substr(0, i));
    std::string unit = v.substr(i);
    if (unit.ends_with("ib")) unit.erase(unit.size() - 2);
    else if (unit.size() > 1 && unit.back() == 'b') unit.pop_back();
    std::uint64_t mult = 1;
    if (unit.empty()) mult = 1;
    else if (unit == "k") mult = 1ull << 10;
    else if (unit == "m") mult = 1ull << 20;
    else if (unit == "g") mult = 1ull << 30;
    else return fail(Error::usage(fmt::format("'{}' is not a size (e.g. 64M, 8MiB, 1048576)", s)));
    return n * mult;
}

util::Status validate_setting(std::string_view name, std::string_view value) {
    std::string n = lower(name);
    const KnownSetting* known = nullptr;
    std::vector<std::string> names;
    for (const auto& k : k_settings) {
        names.emplace_back(k.name);
        if (n == k.name) known = &k;
    }
    if (!known) {
        auto hint = util::closest_match(n, names);
        return fail(Error::usage(fmt::format("unknown remote setting '{}'{}", name,
                                             hint.empty() ? fmt::format(" (known: {})", fmt::join(names, ", "))
                                                          : fmt::format(" (did you mean '{}'?)", hint))));
    }
    std::string_view kind = known->kind;
    if (kind == "url") {
        MLOPS_TRYV(parse_url(value));
    } else if (kind == "endpoint") {
        MLOPS_TRYV(parse_endpoint(value));
    } else if (kind == "bool") {
        auto v = lower(value);
        if (v != "true" && v != "false" && v != "yes" && v != "no" && v != "1" && v != "0" && v != "on" && v != "off")
            return fail(Error::usage(fmt::format("{} takes true or false, not '{}'", name, value)));
    } else if (kind == "int") {
        std::string v(value);
        char* end = nullptr;
        long x = std::strtol(v.c_str(), &end, 10);
        if (v.empty() || *end || x <= 0 || x > 1000)
            return fail(Error::usage(fmt::format("{} takes a whole number from 1 to 1000, not '{}'", name, value)));
    } else if (kind == "size") {
        auto bytes = MLOPS_TRY(parse_size(value));
        if (n == "part_size" && bytes < (8ull << 20))
            return fail(Error::usage(fmt::format("part_size must be at least 8M, not '{}'", value)));
    } else if (kind == "string") {
        if (value.find_first_of("\n\r") != std::string_view::npos)
            return fail(Error::usage(fmt::format("{}: the value must be one line", name)));
    }
    return {};
}

bool is_secret_key(std::string_view full_key) {
    auto k = config::split_key(full_key);
    if (!k || k->section != "remote") return false;
    for (const auto& s : k_settings)
        if (s.secret && k->name == s.name) return true;
    return false;
}

std::string RemoteConfig::get(std::string_view key, std::string_view fallback) const {
    auto it = settings.find(std::string(key));
    return it == settings.end() ? std::string(fallback) : it->second;
}

std::vector<std::string> remote_names(const config::Config& cfg) {
    std::vector<std::string> out;
    for (const auto& [key, value] : cfg.entries()) {
        auto k = config::split_key(key);
        if (!k || k->section != "remote" || k->subsection.empty() || k->name != "url") continue;
        if (std::find(out.begin(), out.end(), k->subsection) == out.end()) out.push_back(k->subsection);
    }
    return out;
}

std::string default_remote(const config::Config& cfg) { return cfg.get_or("core.remote", ""); }

util::Result<RemoteConfig> find_remote(const config::Config& cfg, std::string_view name) {
    auto names = remote_names(cfg);
    std::string chosen(name);
    if (chosen.empty()) {
        chosen = default_remote(cfg);
        if (chosen.empty()) {
            if (names.size() == 1) {
                chosen = names.front();
            } else if (names.empty()) {
                return fail(Error::usage("no remote configured: add one with `mlops remote add NAME URL`"));
            } else {
                return fail(Error::usage(fmt::format("several remotes ({}) and no default: pass -r NAME or run "
                                                     "`mlops remote default NAME`", fmt::join(names, ", "))));
            }
        }
    }
    if (std::find(names.begin(), names.end(), chosen) == names.end()) {
        std::string known = names.empty() ? "none is configured" : fmt::format("known: {}", fmt::join(names, ", "));
        return fail(Error::usage(fmt::format("remote '{}' does not exist ({}; add it with `mlops remote add {} URL`)",
                                             chosen, known, chosen)));
    }
    RemoteConfig rc;
    rc.name = chosen;
    std::string prefix = "remote." + chosen + ".";
    for (const auto& [key, value] : cfg.entries())
        if (key.starts_with(prefix)) rc.settings[key.substr(prefix.size())] = value;
    rc.url_text = rc.get("url");
    auto url = parse_url(rc.url_text);
    if (!url) return fail(Error::usage(fmt::format("remote '{}': {}", chosen, url.error().message)));
    rc.url = *url;
    for (const auto& [k, v] : rc.settings) {
        auto st = validate_setting(k, v);
        if (!st)
            return fail(Error::usage(fmt::format("remote '{}' ({}): {}", chosen, cfg.origin(prefix + k), st.error().message)));
    }
    return rc;
}

} // namespace mlops::remote
