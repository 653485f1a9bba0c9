// Remote URLs: "/path", "relative/path", "file:///path" (a folder) and "s3://bucket/prefix".
// S3 request URLs: path-style ("http://host/bucket/key") or virtual-hosted
// ("https://bucket.host/key"), with a custom endpoint for MinIO, Ceph, R2 or a test server.
#pragma once

#include <string>
#include <string_view>
#include <utility>
#include <vector>

#include <mlops/util/error.hpp>

namespace mlops::remote {

enum class Scheme { local, s3 };

struct RemoteUrl {
    Scheme scheme = Scheme::local;
    std::string path;   // local: the folder, as written (may be relative to the repository root)
    std::string bucket; // s3
    std::string prefix; // s3: key prefix without leading or trailing '/', may be empty
};

// Errors say what is wrong and which forms are accepted.
util::Result<RemoteUrl> parse_url(std::string_view url);
bool valid_bucket_name(std::string_view bucket);
bool valid_remote_name(std::string_view name);

// Where S3 requests go.
struct Endpoint {
    bool https = true;
    std::string host; // "host" or "host:port"
};
// "http://127.0.0.1:4568", "https://minio.example.com", "minio.example.com:9000" (https).
util::Result<Endpoint> parse_endpoint(std::string_view endpoint);
// The AWS endpoint of a region: s3.<region>.amazonaws.com.
Endpoint aws_endpoint(std::string_view region);

using Query = std::vector<std::pair<std::string, std::string>>;

// RFC 3986 percent-encoding as SigV4 wants it: unreserved characters stay, everything else is
// %XX (upper case); '/' stays when keep_slash.
std::string uri_encode(std::string_view s, bool keep_slash);

struct RequestTarget {
    std::string host;          // the Host header
    std::string canonical_uri; // encoded path ("/bucket/key" or "/key")
    std::string url;           // full URL with encoded query
};
// The request for `key` in `bucket` (key empty: the bucket itself).
RequestTarget s3_target(const Endpoint& ep, std::string_view bucket, std::string_view key, bool path_style,
                        const Query& query);
// The query string in canonical order (sorted by name, then value), each side encoded.
std::string canonical_query(const Query& query);

} // namespace mlops::remote
