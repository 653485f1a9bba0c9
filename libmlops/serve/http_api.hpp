// The narrow interface between mlops and libmlops_http.so, the HTTP server of `mlops serve`.
// Debian's cpp-httplib is a shared library built with OpenSSL, zlib and brotli; linking it into the
// mlops executable would add those five libraries to the start-up of every command, so only the
// plugin links it and `serve` loads it with util::Plugin. Plain C structs and function pointers:
// the plugin parses HTTP and calls one handler per request; everything else (routing, validation,
// the model, metrics, the log) stays in mlops. Bump k_http_api_version on any change.
#pragma once

#include <cstddef>

extern "C" {

constexpr int k_http_api_version = 1;
constexpr const char* k_http_plugin_file = "libmlops_http.so";
constexpr const char* k_http_plugin_entry = "mlops_http_api_v1";

struct MlopsHttpConfig {
    const char* host;
    int port;
    int threads;              // worker threads (each serves one connection at a time)
    std::size_t max_body;     // larger bodies get 413 before the handler runs
    int read_timeout_ms;      // a client that sends nothing for this long is dropped (408)
    int write_timeout_ms;
    int keep_alive_timeout_ms;
};

struct MlopsHttpRequest {
    const char* method;
    const char* path;
    const char* content_type; // "" when absent
    const char* body;
    std::size_t body_size;
};

// What a handler fills in; `respond` copies the body.
struct MlopsHttpResponse;
using MlopsHttpRespond = void (*)(MlopsHttpResponse* r, int status, const char* content_type, const char* body,
                                  std::size_t body_size);
// Called on a worker thread for every request, also for the plugin's own errors (413, 408, 404 are
// produced by the plugin: then req->path is the request's and body empty; `status` tells the code).
using MlopsHttpHandler = void (*)(void* user, const MlopsHttpRequest* req, MlopsHttpResponse* out,
                                  MlopsHttpRespond respond);
// Called after the plugin answered with an error status of its own (413 body too large, 400
// unparsable request): the caller counts and logs it.
using MlopsHttpErrorHook = void (*)(void* user, const char* method, const char* path, int status);

// Return 0 on success; otherwise non-zero with a one-line message in err (err_size bytes).
struct MlopsHttpApi {
    int version;
    // Binds host:port (a port in use fails here, before anything is served).
    int (*create)(const MlopsHttpConfig* cfg, MlopsHttpHandler handler, MlopsHttpErrorHook on_error, void* user,
                  void** server, char* err, std::size_t err_size);
    // The bound port (useful with port 0).
    int (*port)(void* server);
    // Serves until stop(); then finishes the requests in flight and returns.
    int (*run)(void* server, char* err, std::size_t err_size);
    // Thread-safe; run() returns once the requests in flight are answered.
    void (*stop)(void* server);
    void (*destroy)(void* server);
};

} // extern "C"
