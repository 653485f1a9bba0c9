#include <mlops/remote/s3_backend.hpp>

#include <cerrno>
#include <fcntl.h>
#include <sys/stat.h>
#include <unistd.h>

#include <fmt/format.h>

#include <mlops/remote/parallel.hpp>
#include <mlops/util/fs.hpp>
#include <mlops/util/hash.hpp>
#include <mlops/util/strings.hpp>

namespace mlops::remote {

namespace {

constexpr std::uint64_t k_min_part = 8ull << 20;
constexpr std::uint64_t k_max_parts = 10000;
const std::string k_empty_sha256 = "e3b0c44298fc1c149afbf4c8996fb92427ae41e4649b934ca495991b7852b855";

std::string xml_unescape(std::string_view s) {
    std::string out;
    out.reserve(s.size());
    for (std::size_t i = 0; i < s.size(); ++i) {
        if (s[i] != '&') {
            out += s[i];
            continue;
        }
        auto semi = s.find(';', i);
        if (semi == std::string_view::npos) {
            out += s[i];
            continue;
        }
        std::string_view ent = s.substr(i + 1, semi - i - 1);
        if (ent == "amp") out += '&';
        else if (ent == "lt") out += '<';
        else if (ent == "gt") out += '>';
        else if (ent == "quot") out += '"';
        else if (ent == "apos") out += '\'';
        else if (ent.size() > 1 && ent[0] == '#') {
            long c = ent[1] == 'x' ? std::strtol(std::string(ent.substr(2)).c_str(), nullptr, 16)
                                   : std::strtol(std::string(ent.substr(1)).c_str(), nullptr, 10);
            if (c > 0 && c < 128) out += char(c);
        } else {
            out.append(s.substr(i, semi - i + 1));
        }
        i = semi;
    }
    return out;
}

std::string json_escape(std::string_view s) {
    std::string out;
    for (char c : s) {
        if (c == '"' || c == '\\') {
            out += '\\';
            out += c;
        } else if (static_cast<unsigned char>(c) < 0x20) {
            out += fmt::format("\\u{:04x}", int(c));
        } else {
            out += c;
        }
    }
    return out;
}

std::string first_value(std::string_view xml, std::string_view tag) {
    auto v = xml_values(xml, tag);
    return v.empty() ? std::string() : v.front();
}

} // namespace

std::vector<std::string> xml_values(std::string_view xml, std::string_view tag) {
    std::vector<std::string> out;
    std::string open = "<" + std::string(tag) + ">";
    std::string close = "</" + std::string(tag) + ">";
    std::size_t pos = 0;
    for (;;) {
        auto a = xml.find(open, pos);
        if (a == std::string_view::npos) break;
        a += open.size();
        auto b = xml.find(close, a);
        if (b == std::string_view::npos) break;
        out.push_back(xml_unescape(xml.substr(a, b - a)));
        pos = b + close.size();
    }
    return out;
}

Error s3_error(long status, std::string_view body, const std::string& what, const std::string& bucket,
               bool object_request) {
    std::string code = first_value(body, "Code");
    std::string message = first_value(body, "Message");
    std::string detail = fmt::format("HTTP {}{}{}", status, code.empty() ? "" : " " + code,
                                     message.empty() ? "" : ": " + message);
    if (code == "NoSuchBucket" || (status == 404 && !object_request))
        return Error(Fault::no_bucket, fmt::format("{}: bucket '{}' does not exist ({})", what, bucket, detail), int(status));
    if (status == 404) return Error(Fault::not_found, fmt::format("{}: not found ({})", what, detail), int(status));
    if (code == "RequestTimeTooSkewed")
        return Error(Fault::denied, fmt::format("{}: {}; check this machine's clock", what, detail), int(status));
    if (status == 401 || status == 403 || code == "ExpiredToken" || code == "InvalidToken")
        return Error(Fault::denied, fmt::format("{}: access denied ({}); check the credentials", what, detail), int(status));
    if (status == 408 || status == 429 || status == 500 || status == 502 || status == 503 || status == 504 ||
        code == "RequestTimeout" || code == "SlowDown" || code == "Throttling" || code == "ThrottlingException" ||
        code == "InternalError" || code == "ServiceUnavailable")
        return Error(Fault::transient, fmt::format("{}: {}", what, detail), int(status));
    return Error(Fault::rejected, fmt::format("{}: {}", what, detail), int(status));
}

S3Backend::S3Backend(S3Options opts) : m_opts(std::move(opts)), m_http(m_opts.http) {
    if (m_opts.part_size < k_min_part) m_opts.part_size = k_min_part;
    if (m_opts.multipart_threshold < m_opts.part_size) m_opts.multipart_threshold = m_opts.part_size;
    if (m_opts.jobs == 0) m_opts.jobs = 1;
}

std::string S3Backend::location() const {
    std::string url = m_opts.prefix.empty() ? fmt::format("s3://{}", m_opts.bucket) : fmt::format("s3://{}/{}", m_opts.bucket, m_opts.prefix);
    if (m_opts.custom_endpoint)
        url += fmt::format(" at {}://{}", m_opts.endpoint.https ? "https" : "http", m_opts.endpoint.host);
    return url;
}

std::string S3Backend::full_key(const std::string& key) const {
    if (m_opts.prefix.empty()) return key;
    return m_opts.prefix + "/" + key;
}

void S3Backend::log_signature(const Call& call, const std::vector<std::pair<std::string, std::string>>& headers,
                              const Signature& sig, const std::string& date) {
    std::string q, h;
    for (const auto& [k, v] : call.query)
        q += fmt::format("{}[\"{}\",\"{}\"]", q.empty() ? "" : ",", json_escape(k), json_escape(v));
    for (const auto& [k, v] : headers)
        h += fmt::format("{}[\"{}\",\"{}\"]", h.empty() ? "" : ",", json_escape(k), json_escape(v));
    auto target = s3_target(m_opts.endpoint, m_opts.bucket, call.key.empty() ? "" : full_key(call.key), m_opts.path_style, {});
    std::string line = fmt::format(
        "{{\"method\":\"{}\",\"host\":\"{}\",\"https\":{},\"path\":\"{}\",\"query\":[{}],\"headers\":[{}],"
        "\"payload_sha256\":\"{}\",\"amz_date\":\"{}\",\"region\":\"{}\",\"access_key_id\":\"{}\","
        "\"signed_headers\":\"{}\",\"signature\":\"{}\"}}\n",
        call.method, json_escape(target.host), m_opts.endpoint.https ? "true" : "false",
        json_escape(call.key.empty() ? (m_opts.path_style ? "/" + m_opts.bucket : "/")
                                     : (m_opts.path_style ? "/" + m_opts.bucket + "/" : "/") + full_key(call.key)),
        q, h, call.payload_sha256, date, json_escape(m_opts.region), json_escape(m_opts.credentials.access_key_id),
        sig.signed_headers, sig.signature);
    std::lock_guard lock(m_log_mutex);
    int fd = ::open(m_opts.sign_log.c_str(), O_WRONLY | O_CREAT | O_APPEND | O_CLOEXEC, 0600);
    if (fd < 0) return;
    (void)util::write_all(fd, line.data(), line.size(), m_opts.sign_log);
    ::close(fd);
}

Result<HttpResponse> S3Backend::send(Call& call, const std::string& what) {
    auto target = s3_target(m_opts.endpoint, m_opts.bucket, call.key.empty() ? "" : full_key(call.key), m_opts.path_style,
                            call.query);
    std::string date = amz_date(std::chrono::system_clock::now());
    std::vector<std::pair<std::string, std::string>> headers = {
        {"host", target.host}, {"x-amz-content-sha256", call.payload_sha256}, {"x-amz-date", date}};
    if (!m_opts.credentials.session_token.empty())
        headers.emplace_back("x-amz-security-token", m_opts.credentials.session_token);
    SignInput in{call.method, target.canonical_uri, call.query, headers, call.payload_sha256, date, m_opts.region, "s3"};
    Signature sig = sign_v4(in, m_opts.credentials);
    call.http.method = call.method;
    call.http.url = target.url;
    call.http.headers.clear();
    for (const auto& [k, v] : headers) call.http.headers.push_back(k + ": " + v);
    call.http.headers.push_back("Authorization: " + sig.authorization);
    ++m_requests;
    if (!m_opts.sign_log.empty()) log_signature(call, headers, sig, date);
    return m_http.perform(call.http, what);
}

Status S3Backend::check(const HttpResponse& r, const std::string& what, bool object_request) const {
    if (r.status >= 200 && r.status < 300) return {};
    return fail(s3_error(r.status, r.body, what, m_opts.bucket, object_request));
}

Result<bool> S3Backend::exists(const std::string& key) {
    Call c{"HEAD", key, {}, k_empty_sha256, {}};
    auto r = MLOPS_TRY(send(c, "HEAD " + key));
    if (r.status == 404) return false;
    MLOPS_TRYV(check(r, "HEAD " + key, true));
    return true;
}

Result<GetInfo> S3Backend::get(const std::string& key, const std::string& dest) {
    int fd = ::open(dest.c_str(), O_WRONLY | O_CREAT | O_EXCL | O_CLOEXEC, 0644);
    if (fd < 0) return fail(util::Error::from_errno(fmt::format("cannot create {}", dest), errno));
    util::UniqueFd owned(fd);
    Call c{"GET", key, {}, k_empty_sha256, {}};
    c.http.sink_fd = fd;
    c.http.hash_sink = true;
    auto r = MLOPS_TRY(send(c, "GET " + key));
    MLOPS_TRYV(check(r, "GET " + key, true));
    if (auto it = r.headers.find("content-length"); it != r.headers.end() && std::to_string(r.received) != it->second)
        return fail(Fault::transient, fmt::format("GET {}: got {} bytes of {}", key, r.received, it->second));
    return GetInfo{r.received, r.sink_sha256};
}

Status S3Backend::put(const std::string& key, const std::string& src, const PutInfo& info) {
    struct stat st;
    if (::stat(src.c_str(), &st) != 0) return fail(util::Error::from_errno(fmt::format("cannot stat {}", src), errno));
    if (std::uint64_t(st.st_size) > m_opts.multipart_threshold) return put_multipart(key, src, info);
    return put_single(key, src, info);
}

Status S3Backend::put_single(const std::string& key, const std::string& src, const PutInfo& info) {
    auto in = MLOPS_TRY(util::UniqueFd::open_read(src));
    struct stat st;
    if (::fstat(in.get(), &st) != 0) return fail(util::Error::from_errno(fmt::format("cannot stat {}", src), errno));
    std::string sha = info.sha256.empty() ? MLOPS_TRY(util::sha256_file(src)) : info.sha256;
    Call c{"PUT", key, {}, sha, {}};
    c.http.body_fd = in.get();
    c.http.body_size = std::uint64_t(st.st_size);
    c.http.body_sha256 = sha;
    auto r = MLOPS_TRY(send(c, "PUT " + key));
    return check(r, "PUT " + key, true);
}

Status S3Backend::put_multipart(const std::string& key, const std::string& src, const PutInfo& info) {
    auto in = MLOPS_TRY(util::UniqueFd::open_read(src));
    struct stat st;
    if (::fstat(in.get(), &st) != 0) return fail(util::Error::from_errno(fmt::format("cannot stat {}", src), errno));
    std::uint64_t size = std::uint64_t(st.st_size);
    // Parts are hashed one by one for their signatures; the whole content is checked against its
    // name first, so a corrupt local object is never completed on the remote.
    if (!info.sha256.empty()) {
        auto actual = MLOPS_TRY(util::sha256_file(src));
        if (actual != info.sha256)
            return fail(Fault::corrupt, fmt::format("PUT {}: the local content hashes to {}, not {}; not uploaded", key,
                                                    actual, info.sha256));
    }
    std::uint64_t part = m_opts.part_size;
    while ((size + part - 1) / part > k_max_parts) part *= 2;
    std::size_t parts = std::size_t((size + part - 1) / part);

    Call create{"POST", key, {{"uploads", ""}}, k_empty_sha256, {}};
    auto created = MLOPS_TRY(send(create, "POST " + key + "?uploads"));
    MLOPS_TRYV(check(created, "POST " + key + "?uploads", true));
    std::string upload_id = first_value(created.body, "UploadId");
    if (upload_id.empty())
        return fail(Fault::rejected, fmt::format("POST {}?uploads: the server returned no UploadId", key));

    std::vector<std::string> etags(parts);
    auto upload = run_parallel(parts, std::min<unsigned>(m_opts.jobs, unsigned(parts)), [&](std::size_t i) -> Status {
        std::uint64_t off = std::uint64_t(i) * part;
        std::size_t len = std::size_t(std::min(part, size - off));
        std::string buf(len, '\0');
        std::size_t got = 0;
        while (got < len) {
            ssize_t n = ::pread(in.get(), buf.data() + got, len - got, off_t(off + got));
            if (n < 0 && errno == EINTR) continue;
            if (n <= 0) return fail(util::Error::from_errno(fmt::format("cannot read {}", src), n == 0 ? EIO : errno));
            got += std::size_t(n);
        }
        std::string what = fmt::format("PUT {} (part {} of {})", key, i + 1, parts);
        Call c{"PUT", key, {{"partNumber", std::to_string(i + 1)}, {"uploadId", upload_id}}, util::sha256_hex(buf), {}};
        c.http.body = buf;
        auto r = MLOPS_TRY(send(c, what));
        MLOPS_TRYV(check(r, what, true));
        auto it = r.headers.find("etag");
        if (it == r.headers.end()) return fail(Fault::rejected, what + ": the server returned no ETag");
        etags[i] = it->second;
        return {};
    });
    auto abort = [&] {
        Call c{"DELETE", key, {{"uploadId", upload_id}}, k_empty_sha256, {}};
        (void)send(c, "DELETE " + key + "?uploadId");
    };
    if (!upload) {
        abort();
        return upload;
    }
    std::string xml = "<CompleteMultipartUpload>";
    for (std::size_t i = 0; i < parts; ++i)
        xml += fmt::format("<Part><PartNumber>{}</PartNumber><ETag>{}</ETag></Part>", i + 1, util::markup_escape(etags[i]));
    xml += "</CompleteMultipartUpload>";
    std::string what = "POST " + key + "?uploadId (complete)";
    Call done{"POST", key, {{"uploadId", upload_id}}, util::sha256_hex(xml), {}};
    done.http.body = xml;
    auto r = send(done, what);
    if (!r) {
        abort();
        return fail(std::move(r).error());
    }
    // S3 may report a failed completion with 200 and an <Error> body.
    if (r->status >= 200 && r->status < 300 && r->body.find("<Error>") != std::string::npos) {
        abort();
        return fail(s3_error(500, r->body, what, m_opts.bucket, true));
    }
    auto completed = check(*r, what, true);
    if (!completed) abort();
    return completed;
}

Status S3Backend::list(const std::string& prefix, const std::function<Status(const ObjectInfo&)>& each) {
    return list_pages(prefix, "", [&](const ObjectInfo& o) -> Result<bool> {
        MLOPS_TRYV(each(o));
        return true;
    });
}

Status S3Backend::list_from(const std::string& start_after, const std::function<Result<bool>(const ObjectInfo&)>& each) {
    return list_pages("", start_after, each);
}

Status S3Backend::list_pages(const std::string& prefix, const std::string& start_after,
                             const std::function<Result<bool>(const ObjectInfo&)>& each) {
    std::string root = m_opts.prefix.empty() ? "" : m_opts.prefix + "/";
    std::string token;
    for (;;) {
        Query q = {{"list-type", "2"}, {"prefix", root + prefix}};
        if (!token.empty()) q.emplace_back("continuation-token", token);
        else if (!start_after.empty()) q.emplace_back("start-after", root + start_after);
        Call c{"GET", "", q, k_empty_sha256, {}};
        std::string what = fmt::format("LIST {}", prefix.empty() ? "/" : prefix);
        auto r = MLOPS_TRY(send(c, what));
        MLOPS_TRYV(check(r, what, false));
        for (const auto& block : xml_values(r.body, "Contents")) {
            std::string key = first_value(block, "Key");
            if (!key.starts_with(root)) continue;
            ObjectInfo info{key.substr(root.size()), 0};
            std::string size = first_value(block, "Size");
            info.size = size.empty() ? 0 : std::strtoull(size.c_str(), nullptr, 10);
            if (!MLOPS_TRY(each(info))) return {};
        }
        if (first_value(r.body, "IsTruncated") != "true") return {};
        token = first_value(r.body, "NextContinuationToken");
        if (token.empty()) return fail(Fault::rejected, what + ": truncated listing without a continuation token");
    }
}

Status S3Backend::remove(const std::string& key) {
    Call c{"DELETE", key, {}, k_empty_sha256, {}};
    auto r = MLOPS_TRY(send(c, "DELETE " + key));
    if (r.status == 404 && first_value(r.body, "Code") != "NoSuchBucket") return {};
    return check(r, "DELETE " + key, true);
}

} // namespace mlops::remote
