// The S3 backend: ListObjectsV2, HEAD, GET, PUT, DELETE and multipart uploads, signed with SigV4,
// over libcurl. Works with AWS and S3-compatible servers (MinIO, Ceph, R2, s3rver).
#pragma once

#include <atomic>
#include <cstdint>
#include <memory>
#include <mutex>
#include <string>

#include <mlops/remote/backend.hpp>
#include <mlops/remote/http.hpp>
#include <mlops/remote/sigv4.hpp>
#include <mlops/remote/url.hpp>

namespace mlops::remote {

struct S3Options {
    std::string bucket;
    std::string prefix; // without trailing '/'
    Endpoint endpoint;
    bool custom_endpoint = false; // named in location(): another server is another remote
    bool path_style = false;
    std::string region = "us-east-1";
    Credentials credentials;
    std::uint64_t multipart_threshold = 64ull << 20;
    std::uint64_t part_size = 16ull << 20; // at least 8 MiB
    unsigned jobs = 8;                     // parallel parts of one multipart upload
    HttpOptions http;
    // When set, every signed request is appended here as one JSON line (no secrets), so a test
    // can have another signer sign the same requests.
    std::string sign_log;
};

class S3Backend : public Backend {
  public:
    explicit S3Backend(S3Options opts);
    std::string location() const override;
    Result<bool> exists(const std::string& key) override;
    Result<GetInfo> get(const std::string& key, const std::string& dest) override;
    Status put(const std::string& key, const std::string& src, const PutInfo& info) override;
    Status list(const std::string& prefix, const std::function<Status(const ObjectInfo&)>& each) override;
    Status list_from(const std::string& start_after, const std::function<Result<bool>(const ObjectInfo&)>& each) override;
    Status remove(const std::string& key) override;

    // Requests sent so far (for tests and the bench).
    std::uint64_t requests() const { return m_requests.load(); }

  private:
    struct Call {
        std::string method;
        std::string key; // empty: the bucket
        Query query;
        std::string payload_sha256;
        HttpRequest http; // body and sink; url and headers are filled in
    };
    Result<HttpResponse> send(Call& call, const std::string& what);
    Status check(const HttpResponse& r, const std::string& what, bool object_request) const;
    // One ListObjectsV2 walk; `each` returns false to stop.
    Status list_pages(const std::string& prefix, const std::string& start_after,
                      const std::function<Result<bool>(const ObjectInfo&)>& each);
    std::string full_key(const std::string& key) const;
    Status put_single(const std::string& key, const std::string& src, const PutInfo& info);
    Status put_multipart(const std::string& key, const std::string& src, const PutInfo& info);
    void log_signature(const Call& call, const std::vector<std::pair<std::string, std::string>>& headers,
                       const Signature& sig, const std::string& date);

    S3Options m_opts;
    HttpClient m_http;
    std::atomic<std::uint64_t> m_requests{0};
    std::mutex m_log_mutex;
};

// Maps an S3 error response to a Fault and a message that names the problem (bucket missing,
// credentials refused, throttled...). Exposed for tests.
Error s3_error(long status, std::string_view body, const std::string& what, const std::string& bucket, bool object_request);

// Extracts the text of every <tag>...</tag> in `xml` (no nesting of the same tag), unescaped.
std::vector<std::string> xml_values(std::string_view xml, std::string_view tag);

} // namespace mlops::remote
