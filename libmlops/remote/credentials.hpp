// Where S3 credentials come from, first match wins:
//   1. the remote's own settings (access_key_id + secret_access_key [+ session_token]),
//   2. the remote's `profile` setting, read from the shared credentials file,
//   3. AWS_ACCESS_KEY_ID / AWS_SECRET_ACCESS_KEY / AWS_SESSION_TOKEN,
//   4. the profile AWS_PROFILE names (else "default") in the shared credentials file
//      (AWS_SHARED_CREDENTIALS_FILE, else ~/.aws/credentials).
// Secrets never appear in messages: errors name the source, not the value.
#pragma once

#include <optional>
#include <string>

#include <mlops/remote/backend.hpp>
#include <mlops/remote/sigv4.hpp>

namespace mlops::remote {

struct CredentialSettings {
    std::string access_key_id;
    std::string secret_access_key;
    std::string session_token;
    std::string profile;
};

// `remote` names the remote in errors.
Result<Credentials> resolve_credentials(const CredentialSettings& s, const std::string& remote);

// The keys of [profile] in an AWS-style INI file; nullopt when the file or the profile is missing.
util::Result<std::optional<Credentials>> read_profile(const std::string& path, const std::string& profile);

std::string shared_credentials_path();

} // namespace mlops::remote
