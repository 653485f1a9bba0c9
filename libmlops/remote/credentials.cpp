#include <mlops/remote/credentials.hpp>

#include <cstdlib>

#include <fmt/format.h>

#include <mlops/util/fs.hpp>
#include <mlops/util/strings.hpp>

namespace mlops::remote {

namespace {
std::string env(const char* name) {
    const char* v = std::getenv(name);
    return v ? std::string(v) : std::string();
}
} // namespace

std::string shared_credentials_path() {
    if (auto p = env("AWS_SHARED_CREDENTIALS_FILE"); !p.empty()) return p;
    return env("HOME") + "/.aws/credentials";
}

util::Result<std::optional<Credentials>> read_profile(const std::string& path, const std::string& profile) {
    auto st = MLOPS_TRY(util::stat_path(path));
    if (!st) return std::optional<Credentials>{};
    auto text = MLOPS_TRY(util::read_file(path));
    Credentials c;
    bool in_profile = false, found = false;
    for (auto raw : util::split_lines(text)) {
        auto line = util::trim(raw);
        if (line.empty() || line.front() == '#' || line.front() == ';') continue;
        if (line.front() == '[') {
            auto name = util::trim(line.substr(1, line.find(']') == std::string_view::npos ? line.size() - 1 : line.find(']') - 1));
            if (name.starts_with("profile ")) name = util::trim(name.substr(8));
            in_profile = name == profile;
            found = found || in_profile;
            continue;
        }
        if (!in_profile) continue;
        auto eq = line.find('=');
        if (eq == std::string_view::npos) continue;
        auto key = util::trim(line.substr(0, eq));
        auto value = std::string(util::trim(line.substr(eq + 1)));
        if (key == "aws_access_key_id") c.access_key_id = value;
        else if (key == "aws_secret_access_key") c.secret_access_key = value;
        else if (key == "aws_session_token") c.session_token = value;
    }
    if (!found) return std::optional<Credentials>{};
    c.source = fmt::format("profile '{}' in {}", profile, path);
    return std::optional<Credentials>(std::move(c));
}

Result<Credentials> resolve_credentials(const CredentialSettings& s, const std::string& remote) {
    auto complete = [&](Credentials c) -> Result<Credentials> {
        if (c.access_key_id.empty() || c.secret_access_key.empty())
            return fail(Fault::denied, fmt::format("incomplete S3 credentials from {}: both an access key id and a "
                                                   "secret access key are needed", c.source));
        return c;
    };
    if (!s.access_key_id.empty() || !s.secret_access_key.empty())
        return complete({s.access_key_id, s.secret_access_key, s.session_token,
                         fmt::format("the settings of remote '{}'", remote)});
    std::string path = shared_credentials_path();
    if (!s.profile.empty()) {
        auto p = MLOPS_TRY(read_profile(path, s.profile));
        if (!p)
            return fail(Fault::denied, fmt::format("profile '{}' (set on remote '{}') is not in {}", s.profile, remote, path));
        return complete(std::move(*p));
    }
    if (!env("AWS_ACCESS_KEY_ID").empty() || !env("AWS_SECRET_ACCESS_KEY").empty())
        return complete({env("AWS_ACCESS_KEY_ID"), env("AWS_SECRET_ACCESS_KEY"), env("AWS_SESSION_TOKEN"),
                         "the environment (AWS_ACCESS_KEY_ID)"});
    std::string profile = env("AWS_PROFILE");
    bool named = !profile.empty();
    if (!named) profile = "default";
    auto p = MLOPS_TRY(read_profile(path, profile));
    if (p) return complete(std::move(*p));
    if (named) return fail(Fault::denied, fmt::format("profile '{}' (from AWS_PROFILE) is not in {}", profile, path));
    return fail(Fault::denied,
                fmt::format("no S3 credentials for remote '{}': set AWS_ACCESS_KEY_ID and AWS_SECRET_ACCESS_KEY, add a "
                            "profile to {} (AWS_PROFILE selects it), or `mlops remote modify {} profile NAME`",
                            remote, path, remote));
}

} // namespace mlops::remote
