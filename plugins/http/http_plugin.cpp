// libmlops_http.so: the HTTP transport of `mlops serve` on Debian's cpp-httplib (see
// libmlops/serve/http_api.hpp for why it is a plugin). It routes every request to mlops's one
// handler and answers its own protocol errors (413, 400, 408) with a JSON body.
#include <cerrno>
#include <cstring>
#include <memory>
#include <string>

#include <httplib.h>
#include <sys/socket.h>
#include <netinet/in.h>
#include <netinet/tcp.h>

#include <mlops/serve/http_api.hpp>

namespace {

struct MlopsServer {
    httplib::Server server;
    MlopsHttpConfig cfg;
    std::string host;
    MlopsHttpHandler handler;
    MlopsHttpErrorHook on_error;
    void* user;
    int port = 0;
    int listen_fd = -1;
};

void set_error(char* err, std::size_t size, const std::string& m) {
    if (size == 0) return;
    std::size_t n = std::min(size - 1, m.size());
    std::memcpy(err, m.data(), n);
    err[n] = '\0';
}

} // namespace

struct MlopsHttpResponse {
    httplib::Response* res;
};

namespace {

void respond(MlopsHttpResponse* r, int status, const char* content_type, const char* body, std::size_t size) {
    r->res->status = status;
    r->res->set_content(std::string(body, size), content_type);
}

const char* reason(int status) {
    switch (status) {
    case 400: return "bad request";
    case 404: return "not found";
    case 408: return "request timeout";
    case 413: return "request body too large";
    case 414: return "request URI too long";
    default: return "request failed";
    }
}

int create(const MlopsHttpConfig* cfg, MlopsHttpHandler handler, MlopsHttpErrorHook on_error, void* user, void** out,
           char* err, std::size_t err_size) {
    try {
        auto s = std::make_unique<MlopsServer>();
        s->cfg = *cfg;
        s->host = cfg->host;
        s->handler = handler;
        s->on_error = on_error;
        s->user = user;
        auto* raw = s.get();
        auto route = [raw](const httplib::Request& req, httplib::Response& res) {
            std::string ct = req.get_header_value("Content-Type");
            MlopsHttpRequest r{req.method.c_str(), req.path.c_str(), ct.c_str(), req.body.data(), req.body.size()};
            MlopsHttpResponse out{&res};
            raw->handler(raw->user, &r, &out, respond);
        };
        const char* any = R"(/.*)";
        s->server.Get(any, route).Post(any, route).Put(any, route).Delete(any, route).Patch(any, route).Options(any, route);
        // Errors httplib decides before any handler runs (body over the limit, unparsable request,
        // timeout): a JSON body, and the hook so mlops counts and logs them.
        s->server.set_error_handler(httplib::Server::HandlerWithResponse([raw](const httplib::Request& req, httplib::Response& res) {
            if (!res.body.empty()) return httplib::Server::HandlerResponse::Unhandled;
            std::string body = std::string(R"({"error": ")") + reason(res.status) + "\"}";
            res.set_content(body, "application/json");
            if (raw->on_error) raw->on_error(raw->user, req.method.c_str(), req.path.c_str(), res.status);
            return httplib::Server::HandlerResponse::Handled;
        }));
        int threads = cfg->threads > 0 ? cfg->threads : 8;
        s->server.new_task_queue = [threads] { return new httplib::ThreadPool(std::size_t(threads)); };
        s->server.set_payload_max_length(cfg->max_body);
        s->server.set_read_timeout(cfg->read_timeout_ms / 1000, (cfg->read_timeout_ms % 1000) * 1000);
        s->server.set_write_timeout(cfg->write_timeout_ms / 1000, (cfg->write_timeout_ms % 1000) * 1000);
        s->server.set_keep_alive_timeout(std::max(1, cfg->keep_alive_timeout_ms / 1000));
        s->server.set_keep_alive_max_count(100000);
        s->server.set_tcp_nodelay(true);
        // httplib's default sets SO_REUSEPORT, which lets a second server bind a port in use and
        // share its connections; SO_REUSEADDR alone allows a restart while old connections linger.
        s->server.set_socket_options([raw](int sock) {
            int yes = 1;
            ::setsockopt(sock, SOL_SOCKET, SO_REUSEADDR, &yes, sizeof yes);
            raw->listen_fd = sock;
        });
        errno = 0;
        if (cfg->port == 0) {
            int p = s->server.bind_to_any_port(s->host);
            if (p < 0) throw std::runtime_error(std::strerror(errno ? errno : EADDRNOTAVAIL));
            s->port = p;
        } else {
            if (!s->server.bind_to_port(s->host, cfg->port)) {
                int e = errno ? errno : EADDRINUSE;
                set_error(err, err_size,
                          "cannot listen on " + s->host + ":" + std::to_string(cfg->port) + ": " + std::strerror(e));
                return 1;
            }
            s->port = cfg->port;
        }
        // httplib listens with a backlog of 5: a burst of new connections (a load balancer, wrk's 32)
        // overflows the accept queue, and a client whose handshake ACK was dropped resends its request
        // only after TCP's retransmission timeout (200 ms, then 400 ms...). Listening again on a
        // listening socket only raises the backlog.
        if (s->listen_fd >= 0) ::listen(s->listen_fd, SOMAXCONN);
        *out = s.release();
        return 0;
    } catch (const std::exception& e) {
        set_error(err, err_size, std::string("cannot listen on ") + cfg->host + ":" + std::to_string(cfg->port) + ": " + e.what());
        return 1;
    }
}

int port(void* server) { return static_cast<MlopsServer*>(server)->port; }

int run(void* server, char* err, std::size_t err_size) {
    auto* s = static_cast<MlopsServer*>(server);
    try {
        // listen_after_bind returns when stop() closes the socket, after the thread pool has
        // finished the connections it was serving.
        s->server.listen_after_bind();
        return 0;
    } catch (const std::exception& e) {
        set_error(err, err_size, e.what());
        return 1;
    }
}

void stop(void* server) { static_cast<MlopsServer*>(server)->server.stop(); }

void destroy(void* server) { delete static_cast<MlopsServer*>(server); }

const MlopsHttpApi k_api{k_http_api_version, create, port, run, stop, destroy};

} // namespace

extern "C" __attribute__((visibility("default"))) const void* mlops_http_api_v1() { return &k_api; }
