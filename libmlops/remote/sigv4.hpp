// AWS Signature Version 4 (header-based), computed with OpenSSL's HMAC-SHA256. Pure functions of
// their inputs, so AWS's published examples are unit tests and the AWS SDK's signer can be compared
// with what mlops sends.
#pragma once

#include <chrono>
#include <string>
#include <utility>
#include <vector>

#include <mlops/remote/url.hpp>

namespace mlops::remote {

struct Credentials {
    std::string access_key_id;
    std::string secret_access_key; // never printed
    std::string session_token;     // never printed; empty unless temporary credentials
    std::string source;            // where they came from, for messages ("environment", "profile 'x'")
};

struct SignInput {
    std::string method;
    std::string canonical_uri; // already URI-encoded
    Query query;               // raw names and values; encoded while signing
    // Every header to sign, host included; names in any case.
    std::vector<std::pair<std::string, std::string>> headers;
    std::string payload_sha256; // hex, or "UNSIGNED-PAYLOAD"
    std::string amz_date;       // YYYYMMDD'T'HHMMSS'Z'
    std::string region;
    std::string service = "s3";
};

struct Signature {
    std::string canonical_request;
    std::string string_to_sign;
    std::string signed_headers; // "host;x-amz-content-sha256;x-amz-date"
    std::string signature;      // hex
    std::string authorization;  // the Authorization header value
};

Signature sign_v4(const SignInput& in, const Credentials& creds);

// "20130524T000000Z" for a point in time (UTC).
std::string amz_date(std::chrono::system_clock::time_point t);
std::string hmac_sha256(std::string_view key, std::string_view data); // raw bytes

} // namespace mlops::remote
