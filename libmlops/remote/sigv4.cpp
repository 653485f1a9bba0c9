#include <mlops/remote/sigv4.hpp>

#include <algorithm>
#include <cctype>
#include <ctime>

#include <fmt/format.h>
#include <openssl/evp.h>
#include <openssl/hmac.h>

#include <mlops/util/hash.hpp>

namespace mlops::remote {

namespace {

std::string lower(std::string_view s) {
    std::string out(s);
    for (auto& c : out) c = char(std::tolower(static_cast<unsigned char>(c)));
    return out;
}

// Trims and collapses runs of spaces, as the canonical header form requires.
std::string canonical_value(std::string_view v) {
    std::string out;
    bool space = false;
    for (char c : v) {
        if (c == ' ' || c == '\t') {
            space = !out.empty();
            continue;
        }
        if (space) out += ' ';
        space = false;
        out += c;
    }
    return out;
}

std::string hex(std::string_view raw) {
    return util::to_hex({reinterpret_cast<const std::uint8_t*>(raw.data()), raw.size()});
}

} // namespace

std::string hmac_sha256(std::string_view key, std::string_view data) {
    unsigned char out[EVP_MAX_MD_SIZE];
    unsigned int len = 0;
    HMAC(EVP_sha256(), key.data(), int(key.size()), reinterpret_cast<const unsigned char*>(data.data()), data.size(),
         out, &len);
    return std::string(reinterpret_cast<const char*>(out), len);
}

std::string amz_date(std::chrono::system_clock::time_point t) {
    std::time_t tt = std::chrono::system_clock::to_time_t(t);
    std::tm tm{};
    ::gmtime_r(&tt, &tm);
    char buf[32];
    std::strftime(buf, sizeof buf, "%Y%m%dT%H%M%SZ", &tm);
    return buf;
}

Signature sign_v4(const SignInput& in, const Credentials& creds) {
    Signature s;
    // Canonical headers: lower-case names, sorted; repeated names joined with ','.
    std::vector<std::pair<std::string, std::string>> hs;
    for (const auto& [n, v] : in.headers) hs.emplace_back(lower(n), canonical_value(v));
    std::stable_sort(hs.begin(), hs.end(), [](const auto& a, const auto& b) { return a.first < b.first; });
    std::string canonical_headers;
    for (std::size_t i = 0; i < hs.size(); ++i) {
        if (i > 0 && hs[i].first == hs[i - 1].first) {
            canonical_headers.pop_back(); // '\n'
            canonical_headers += "," + hs[i].second + "\n";
            continue;
        }
        canonical_headers += hs[i].first + ":" + hs[i].second + "\n";
        if (!s.signed_headers.empty()) s.signed_headers += ';';
        s.signed_headers += hs[i].first;
    }
    s.canonical_request = fmt::format("{}\n{}\n{}\n{}\n{}\n{}", in.method, in.canonical_uri, canonical_query(in.query),
                                      canonical_headers, s.signed_headers, in.payload_sha256);
    std::string date = in.amz_date.substr(0, 8);
    std::string scope = fmt::format("{}/{}/{}/aws4_request", date, in.region, in.service);
    s.string_to_sign = fmt::format("AWS4-HMAC-SHA256\n{}\n{}\n{}", in.amz_date, scope, util::sha256_hex(s.canonical_request));
    std::string k = hmac_sha256("AWS4" + creds.secret_access_key, date);
    k = hmac_sha256(k, in.region);
    k = hmac_sha256(k, in.service);
    k = hmac_sha256(k, "aws4_request");
    s.signature = hex(hmac_sha256(k, s.string_to_sign));
    s.authorization = fmt::format("AWS4-HMAC-SHA256 Credential={}/{}, SignedHeaders={}, Signature={}", creds.access_key_id,
                                  scope, s.signed_headers, s.signature);
    return s;
}

} // namespace mlops::remote
