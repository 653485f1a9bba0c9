#include <mlops/remote/http.hpp>

#include <cerrno>
#include <dlfcn.h>
#include <cstring>
#include <mutex>
#include <unistd.h>

#include <curl/curl.h>
#include <fmt/format.h>

#include <mlops/util/fs.hpp>
#include <mlops/util/hash.hpp>

namespace mlops::remote {

namespace {

constexpr std::size_t k_body_cap = 1 << 20; // error bodies and listings are small

// libcurl is opened on first use (dlopen), not linked: with its dependencies (TLS, Kerberos,
// LDAP, HTTP/2, IDN) it is about thirty shared libraries, and loading them would cost every
// command, not only the ones that talk to a remote, several milliseconds of start-up.
struct Curl {
    decltype(&::curl_global_init) global_init;
    decltype(&::curl_easy_init) easy_init;
    decltype(&::curl_easy_reset) easy_reset;
    decltype(&::curl_easy_setopt) easy_setopt;
    decltype(&::curl_easy_getinfo) easy_getinfo;
    decltype(&::curl_easy_perform) easy_perform;
    decltype(&::curl_easy_cleanup) easy_cleanup;
    decltype(&::curl_easy_strerror) easy_strerror;
    decltype(&::curl_slist_append) slist_append;
    decltype(&::curl_slist_free_all) slist_free_all;
};

template <class F> bool resolve(void* lib, F& fn, const char* name) {
    fn = reinterpret_cast<F>(::dlsym(lib, name));
    return fn != nullptr;
}

// The loaded library, or the reason it could not be loaded.
const Curl* curl_library(std::string& why) {
    static Curl api{};
    static std::string error;
    static std::once_flag once;
    std::call_once(once, [] {
        void* lib = ::dlopen("libcurl.so.4", RTLD_NOW | RTLD_LOCAL);
        if (!lib) {
            error = fmt::format("cannot load libcurl ({}); install the libcurl4 package", ::dlerror());
            return;
        }
        bool ok = resolve(lib, api.global_init, "curl_global_init") && resolve(lib, api.easy_init, "curl_easy_init") &&
                  resolve(lib, api.easy_reset, "curl_easy_reset") && resolve(lib, api.easy_setopt, "curl_easy_setopt") &&
                  resolve(lib, api.easy_getinfo, "curl_easy_getinfo") && resolve(lib, api.easy_perform, "curl_easy_perform") &&
                  resolve(lib, api.easy_cleanup, "curl_easy_cleanup") && resolve(lib, api.easy_strerror, "curl_easy_strerror") &&
                  resolve(lib, api.slist_append, "curl_slist_append") && resolve(lib, api.slist_free_all, "curl_slist_free_all");
        if (!ok) {
            error = "libcurl.so.4 lacks a function mlops needs; install a libcurl4 of version 7.74 or later";
            return;
        }
        if (api.global_init(CURL_GLOBAL_DEFAULT) != CURLE_OK) error = "libcurl failed to initialise";
    });
    why = error;
    return error.empty() ? &api : nullptr;
}

struct Transfer {
    const HttpRequest* req = nullptr;
    HttpResponse* resp = nullptr;
    CURL* curl = nullptr;
    const Curl* api = nullptr;
    // upload
    std::uint64_t sent = 0;
    util::Sha256 hash;
    bool corrupt = false;
    std::string actual_sha256;
    // download
    bool decided = false;
    bool to_sink = false;
    util::Sha256 sink_hash;
    std::string write_error;
};

std::size_t on_read(char* buf, std::size_t size, std::size_t n, void* user) {
    auto* t = static_cast<Transfer*>(user);
    const auto& r = *t->req;
    std::uint64_t left = r.body_size - t->sent;
    std::size_t want = std::size_t(std::min<std::uint64_t>(left, size * n));
    if (want == 0) return 0;
    ssize_t got;
    do {
        got = ::pread(r.body_fd, buf, want, off_t(r.body_offset + t->sent));
    } while (got < 0 && errno == EINTR);
    if (got <= 0) {
        t->write_error = got == 0 ? "the file shrank while it was being sent" : std::strerror(errno);
        return CURL_READFUNC_ABORT;
    }
    if (!r.body_sha256.empty()) {
        t->hash.update(buf, std::size_t(got));
        if (t->sent + std::uint64_t(got) == r.body_size) {
            // The last chunk: refuse to send it if the content is not what its name says.
            t->actual_sha256 = t->hash.finish().hex();
            if (t->actual_sha256 != r.body_sha256) {
                t->corrupt = true;
                return CURL_READFUNC_ABORT;
            }
        }
    }
    t->sent += std::uint64_t(got);
    return std::size_t(got);
}

int on_seek(void* user, curl_off_t offset, int origin) {
    // curl rewinds when it must resend (a redirect or an auth retry): restart the hash too.
    auto* t = static_cast<Transfer*>(user);
    if (origin != SEEK_SET || offset != 0) return CURL_SEEKFUNC_CANTSEEK;
    t->sent = 0;
    t->hash.finish();
    return CURL_SEEKFUNC_OK;
}

std::size_t on_write(char* data, std::size_t size, std::size_t n, void* user) {
    auto* t = static_cast<Transfer*>(user);
    std::size_t len = size * n;
    if (!t->decided) {
        long status = 0;
        t->api->easy_getinfo(t->curl, CURLINFO_RESPONSE_CODE, &status);
        t->to_sink = t->req->sink_fd >= 0 && status >= 200 && status < 300;
        t->decided = true;
    }
    if (t->to_sink) {
        auto st = util::write_all(t->req->sink_fd, data, len, "download");
        if (!st) {
            t->write_error = st.error().message;
            return 0; // aborts the transfer
        }
        t->resp->received += len;
        if (t->req->hash_sink) t->sink_hash.update(data, len);
    } else if (t->resp->body.size() < k_body_cap) {
        t->resp->body.append(data, std::min(len, k_body_cap - t->resp->body.size()));
    }
    return len;
}

std::size_t on_header(char* data, std::size_t size, std::size_t n, void* user) {
    auto* t = static_cast<Transfer*>(user);
    std::string_view line(data, size * n);
    auto colon = line.find(':');
    if (colon != std::string_view::npos) {
        std::string name(line.substr(0, colon));
        for (auto& c : name) c = char(std::tolower(static_cast<unsigned char>(c)));
        std::string_view value = line.substr(colon + 1);
        while (!value.empty() && (value.front() == ' ' || value.front() == '\t')) value.remove_prefix(1);
        while (!value.empty() && (value.back() == '\r' || value.back() == '\n' || value.back() == ' ')) value.remove_suffix(1);
        t->resp->headers[name] = std::string(value);
    } else if (line.starts_with("HTTP/")) {
        t->resp->headers.clear(); // a new response (after 100 Continue)
    }
    return size * n;
}

} // namespace

HttpClient::HttpClient(HttpOptions opts) : m_opts(opts) {
}

HttpClient::~HttpClient() {
    std::string why;
    if (const Curl* c = curl_library(why))
        for (void* h : m_idle) c->easy_cleanup(static_cast<CURL*>(h));
}

void* HttpClient::borrow() {
    {
        std::lock_guard lock(m_mutex);
        if (!m_idle.empty()) {
            void* h = m_idle.back();
            m_idle.pop_back();
            return h;
        }
    }
    std::string why;
    const Curl* c = curl_library(why);
    return c ? c->easy_init() : nullptr;
}

void HttpClient::give_back(void* h) {
    std::lock_guard lock(m_mutex);
    m_idle.push_back(h);
}

Result<HttpResponse> HttpClient::perform(const HttpRequest& req, const std::string& what) {
    std::string why;
    const Curl* c = curl_library(why);
    if (!c) return fail(Fault::local, fmt::format("{}: {}", what, why));
    CURL* curl = static_cast<CURL*>(borrow());
    if (!curl) return fail(Fault::local, "cannot create an HTTP handle (libcurl)");
    HttpResponse resp;
    Transfer t;
    t.req = &req;
    t.resp = &resp;
    t.curl = curl;
    t.api = c;
    c->easy_reset(curl); // keeps the connection cache
    c->easy_setopt(curl, CURLOPT_URL, req.url.c_str());
    c->easy_setopt(curl, CURLOPT_NOSIGNAL, 1L);
    c->easy_setopt(curl, CURLOPT_CONNECTTIMEOUT_MS, m_opts.connect_timeout_ms);
    c->easy_setopt(curl, CURLOPT_LOW_SPEED_LIMIT, 1L);
    c->easy_setopt(curl, CURLOPT_LOW_SPEED_TIME, m_opts.stall_timeout_s);
    c->easy_setopt(curl, CURLOPT_TCP_KEEPALIVE, 1L);
    c->easy_setopt(curl, CURLOPT_WRITEFUNCTION, on_write);
    c->easy_setopt(curl, CURLOPT_WRITEDATA, &t);
    c->easy_setopt(curl, CURLOPT_HEADERFUNCTION, on_header);
    c->easy_setopt(curl, CURLOPT_HEADERDATA, &t);
    curl_slist* headers = nullptr;
    for (const auto& h : req.headers) headers = c->slist_append(headers, h.c_str());
    headers = c->slist_append(headers, "Expect:"); // no 100-continue round trip
    if (req.method == "HEAD") {
        c->easy_setopt(curl, CURLOPT_NOBODY, 1L);
    } else if (req.method == "PUT") {
        c->easy_setopt(curl, CURLOPT_UPLOAD, 1L);
        if (req.body_fd >= 0) {
            c->easy_setopt(curl, CURLOPT_READFUNCTION, on_read);
            c->easy_setopt(curl, CURLOPT_READDATA, &t);
            c->easy_setopt(curl, CURLOPT_SEEKFUNCTION, on_seek);
            c->easy_setopt(curl, CURLOPT_SEEKDATA, &t);
            c->easy_setopt(curl, CURLOPT_INFILESIZE_LARGE, curl_off_t(req.body_size));
        } else {
            // An in-memory body goes through POSTFIELDS with the method overridden.
            c->easy_setopt(curl, CURLOPT_UPLOAD, 0L);
            c->easy_setopt(curl, CURLOPT_POSTFIELDS, req.body.empty() ? "" : req.body.data());
            c->easy_setopt(curl, CURLOPT_POSTFIELDSIZE_LARGE, curl_off_t(req.body.size()));
            c->easy_setopt(curl, CURLOPT_CUSTOMREQUEST, "PUT");
            headers = c->slist_append(headers, "Content-Type:");
        }
    } else if (req.method == "POST") {
        c->easy_setopt(curl, CURLOPT_POST, 1L);
        c->easy_setopt(curl, CURLOPT_POSTFIELDS, req.body.empty() ? "" : req.body.data());
        c->easy_setopt(curl, CURLOPT_POSTFIELDSIZE_LARGE, curl_off_t(req.body.size()));
        headers = c->slist_append(headers, "Content-Type:");
    } else if (req.method != "GET") {
        c->easy_setopt(curl, CURLOPT_CUSTOMREQUEST, req.method.c_str());
    }
    c->easy_setopt(curl, CURLOPT_HTTPHEADER, headers);
    char errbuf[CURL_ERROR_SIZE] = {0};
    c->easy_setopt(curl, CURLOPT_ERRORBUFFER, errbuf);
    CURLcode rc = c->easy_perform(curl);
    c->slist_free_all(headers);
    c->easy_getinfo(curl, CURLINFO_RESPONSE_CODE, &resp.status);
    if (rc != CURLE_OK) {
        // A failed handle may hold a broken connection; do not reuse it.
        c->easy_cleanup(curl);
        if (t.corrupt)
            return fail(Fault::corrupt, fmt::format("{}: the local content hashes to {}, not {}; not uploaded", what,
                                                    t.actual_sha256, req.body_sha256));
        if (!t.write_error.empty()) return fail(Fault::local, fmt::format("{}: {}", what, t.write_error));
        std::string msg = errbuf[0] ? errbuf : c->easy_strerror(rc);
        // Retrying cannot fix a bad URL or a certificate that does not verify.
        bool permanent = rc == CURLE_URL_MALFORMAT || rc == CURLE_UNSUPPORTED_PROTOCOL ||
                         rc == CURLE_PEER_FAILED_VERIFICATION || rc == CURLE_SSL_CACERT_BADFILE;
        return fail(permanent ? Fault::rejected : Fault::transient, fmt::format("{}: {}", what, msg));
    }
    give_back(curl);
    if (req.hash_sink && t.to_sink) resp.sink_sha256 = t.sink_hash.finish().hex();
    return resp;
}

} // namespace mlops::remote
