// A small HTTP client on libcurl: one call per request, connections kept alive in a pool of easy
// handles shared by threads. Transport failures come back as remote::Error with Fault::transient;
// HTTP statuses are the caller's to judge.
#pragma once

#include <cstdint>
#include <map>
#include <mutex>
#include <string>
#include <string_view>
#include <vector>

#include <mlops/remote/backend.hpp>

namespace mlops::remote {

struct HttpRequest {
    std::string method = "GET"; // GET, HEAD, PUT, POST, DELETE
    std::string url;
    std::vector<std::string> headers; // "Name: value"
    // The body: in memory, or a range of an open file.
    std::string_view body;
    int body_fd = -1;
    std::uint64_t body_offset = 0;
    std::uint64_t body_size = 0;
    // For a file body: the SHA-256 the bytes must have. The upload is aborted before its last byte
    // leaves when they do not match (Fault::corrupt), so the server never completes it.
    std::string body_sha256;
    // Where a 2xx response body goes (an open file); otherwise into HttpResponse::body.
    int sink_fd = -1;
    bool hash_sink = false; // hash what goes to sink_fd (HttpResponse::sink_sha256)
};

struct HttpResponse {
    long status = 0;
    std::string body;                           // error bodies and small results (capped)
    std::map<std::string, std::string> headers; // lower-case names
    std::uint64_t received = 0;                 // bytes written to sink_fd
    std::string sink_sha256;                    // with hash_sink
};

struct HttpOptions {
    long connect_timeout_ms = 10000;
    long stall_timeout_s = 60; // abort when fewer than 1 byte/s arrive for this long
};

class HttpClient {
  public:
    explicit HttpClient(HttpOptions opts);
    ~HttpClient();
    HttpClient(const HttpClient&) = delete;
    HttpClient& operator=(const HttpClient&) = delete;

    // `what` names the request in errors ("GET ab/cdef...").
    Result<HttpResponse> perform(const HttpRequest& req, const std::string& what);

  private:
    void* borrow();
    void give_back(void* handle);
    HttpOptions m_opts;
    std::mutex m_mutex;
    std::vector<void*> m_idle;
};

} // namespace mlops::remote
