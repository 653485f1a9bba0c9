#include <mlops/remote/url.hpp>

#include <algorithm>
#include <cctype>

#include <fmt/format.h>

namespace mlops::remote {

using util::Error;
using util::fail;

namespace {
constexpr const char* k_forms = "use /path, file:///path or s3://bucket/prefix";

bool is_lower_alnum(char c) { return (c >= 'a' && c <= 'z') || (c >= '0' && c <= '9'); }
} // namespace

bool valid_bucket_name(std::string_view b) {
    // S3's rules: 3-63 characters of lower-case letters, digits, '.' and '-', starting and ending
    // with a letter or digit.
    if (b.size() < 3 || b.size() > 63) return false;
    if (!is_lower_alnum(b.front()) || !is_lower_alnum(b.back())) return false;
    if (b.find("..") != std::string_view::npos) return false;
    return std::all_of(b.begin(), b.end(), [](char c) { return is_lower_alnum(c) || c == '.' || c == '-'; });
}

bool valid_remote_name(std::string_view name) {
    if (name.empty() || name.size() > 64 || name.front() == '-') return false;
    return std::all_of(name.begin(), name.end(), [](char c) {
        return std::isalnum(static_cast<unsigned char>(c)) || c == '-' || c == '_';
    });
}

util::Result<RemoteUrl> parse_url(std::string_view url) {
    RemoteUrl r;
    if (url.empty()) return fail(Error::usage(fmt::format("empty remote URL ({})", k_forms)));
    if (std::any_of(url.begin(), url.end(), [](char c) { return c == '\n' || c == '\r' || c == '\0'; }))
        return fail(Error::usage(fmt::format("malformed remote URL '{}': control characters", url)));
    auto colon = url.find("://");
    if (colon == std::string_view::npos) {
        // A plain path; "host:path" (scp style) is not supported and would be ambiguous.
        auto c = url.find(':');
        auto slash = url.find('/');
        if (c != std::string_view::npos && (slash == std::string_view::npos || c < slash))
            return fail(Error::usage(fmt::format("malformed remote URL '{}' ({})", url, k_forms)));
        r.scheme = Scheme::local;
        r.path = std::string(url);
        return r;
    }
    std::string scheme(url.substr(0, colon));
    std::transform(scheme.begin(), scheme.end(), scheme.begin(), [](unsigned char c) { return char(std::tolower(c)); });
    std::string_view rest = url.substr(colon + 3);
    if (scheme == "file") {
        // file:///abs or file://localhost/abs
        if (rest.starts_with("localhost/")) rest.remove_prefix(9);
        if (rest.empty() || rest.front() != '/')
            return fail(Error::usage(fmt::format("malformed remote URL '{}': file URLs take an absolute path, "
                                                 "file:///path", url)));
        r.scheme = Scheme::local;
        r.path = std::string(rest);
        return r;
    }
    if (scheme == "s3") {
        auto slash = rest.find('/');
        std::string_view bucket = rest.substr(0, slash);
        std::string_view prefix = slash == std::string_view::npos ? std::string_view{} : rest.substr(slash + 1);
        if (bucket.empty())
            return fail(Error::usage(fmt::format("malformed remote URL '{}': no bucket (s3://bucket/prefix)", url)));
        if (!valid_bucket_name(bucket))
            return fail(Error::usage(fmt::format("malformed remote URL '{}': '{}' is not a valid bucket name "
                                                 "(3-63 lower-case letters, digits, '.' or '-')", url, bucket)));
        while (!prefix.empty() && prefix.back() == '/') prefix.remove_suffix(1);
        if (prefix.find("//") != std::string_view::npos || prefix.starts_with("/"))
            return fail(Error::usage(fmt::format("malformed remote URL '{}': empty path component in the prefix", url)));
        r.scheme = Scheme::s3;
        r.bucket = std::string(bucket);
        r.prefix = std::string(prefix);
        return r;
    }
    return fail(Error::usage(fmt::format("unsupported remote URL scheme '{}' in '{}' ({})", scheme, url, k_forms)));
}

util::Result<Endpoint> parse_endpoint(std::string_view ep) {
    Endpoint e;
    std::string_view rest = ep;
    if (rest.starts_with("http://")) {
        e.https = false;
        rest.remove_prefix(7);
    } else if (rest.starts_with("https://")) {
        rest.remove_prefix(8);
    } else if (rest.find("://") != std::string_view::npos) {
        return fail(Error::usage(fmt::format("endpoint '{}': only http:// and https:// are supported", ep)));
    }
    while (!rest.empty() && rest.back() == '/') rest.remove_suffix(1);
    if (rest.empty() || rest.find('/') != std::string_view::npos ||
        std::any_of(rest.begin(), rest.end(), [](char c) { return std::isspace(static_cast<unsigned char>(c)); }))
        return fail(Error::usage(fmt::format("endpoint '{}' is malformed: expected http(s)://host[:port]", ep)));
    e.host = std::string(rest);
    return e;
}

Endpoint aws_endpoint(std::string_view region) { return Endpoint{true, fmt::format("s3.{}.amazonaws.com", region)}; }

std::string uri_encode(std::string_view s, bool keep_slash) {
    static const char* hex = "0123456789ABCDEF";
    std::string out;
    out.reserve(s.size());
    for (unsigned char c : s) {
        if (std::isalnum(c) || c == '-' || c == '_' || c == '.' || c == '~' || (keep_slash && c == '/')) {
            out += char(c);
        } else {
            out += '%';
            out += hex[c >> 4];
            out += hex[c & 15];
        }
    }
    return out;
}

std::string canonical_query(const Query& query) {
    std::vector<std::pair<std::string, std::string>> enc;
    enc.reserve(query.size());
    for (const auto& [k, v] : query) enc.emplace_back(uri_encode(k, false), uri_encode(v, false));
    std::sort(enc.begin(), enc.end());
    std::string out;
    for (const auto& [k, v] : enc) {
        if (!out.empty()) out += '&';
        out += k;
        out += '=';
        out += v;
    }
    return out;
}

RequestTarget s3_target(const Endpoint& ep, std::string_view bucket, std::string_view key, bool path_style,
                        const Query& query) {
    RequestTarget t;
    std::string path;
    if (path_style) {
        t.host = ep.host;
        path = "/" + std::string(bucket);
        if (!key.empty()) path += "/" + std::string(key);
    } else {
        t.host = std::string(bucket) + "." + ep.host;
        path = "/" + std::string(key);
    }
    t.canonical_uri = uri_encode(path, true);
    std::string q = canonical_query(query);
    t.url = std::string(ep.https ? "https://" : "http://") + t.host + t.canonical_uri + (q.empty() ? "" : "?" + q);
    return t;
}

} // namespace mlops::remote
