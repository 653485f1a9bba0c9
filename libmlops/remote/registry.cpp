#include <mlops/remote/registry.hpp>

#include <cstdlib>

#include <fmt/format.h>

#include <mlops/remote/credentials.hpp>
#include <mlops/remote/local_backend.hpp>
#include <mlops/remote/s3_backend.hpp>
#include <mlops/util/parallel.hpp>
#include <mlops/util/paths.hpp>

namespace mlops::remote {

namespace {

std::string env(const char* name) {
    const char* v = std::getenv(name);
    return v ? std::string(v) : std::string();
}

Result<std::unique_ptr<Backend>> make_local(const RemoteConfig& rc, const OpenOptions& opts, unsigned) {
    LinkOnGet link = !rc.settings.contains("hardlinks") || parse_bool(rc.get("hardlinks")) ? LinkOnGet::yes : LinkOnGet::no;
    return std::unique_ptr<Backend>(std::make_unique<LocalBackend>(
        local_root(rc, opts.repo_root), opts.access == Access::write ? CreateRoot::yes : CreateRoot::no, link));
}

Result<std::unique_ptr<Backend>> make_s3(const RemoteConfig& rc, const OpenOptions&, unsigned jobs) {
    S3Options o;
    o.bucket = rc.url.bucket;
    o.prefix = rc.url.prefix;
    o.region = rc.get("region", env("AWS_REGION").empty() ? env("AWS_DEFAULT_REGION") : env("AWS_REGION"));
    if (o.region.empty()) o.region = "us-east-1";
    std::string endpoint = rc.get("endpoint", env("AWS_ENDPOINT_URL_S3").empty() ? env("AWS_ENDPOINT_URL") : env("AWS_ENDPOINT_URL_S3"));
    if (endpoint.empty()) {
        o.endpoint = aws_endpoint(o.region);
    } else {
        o.endpoint = MLOPS_TRY(parse_endpoint(endpoint));
        o.custom_endpoint = true;
    }
    // Custom endpoints (MinIO, Ceph, test servers) mostly want path-style; AWS wants virtual hosts.
    // Bucket names with dots break TLS wildcard certificates under virtual hosting.
    bool path_default = !endpoint.empty() || (o.endpoint.https && o.bucket.find('.') != std::string::npos);
    o.path_style = rc.settings.contains("path_style") ? parse_bool(rc.get("path_style")) : path_default;
    o.credentials = MLOPS_TRY(resolve_credentials(
        {rc.get("access_key_id"), rc.get("secret_access_key"), rc.get("session_token"), rc.get("profile")}, rc.name));
    if (rc.settings.contains("multipart_threshold")) o.multipart_threshold = MLOPS_TRY(parse_size(rc.get("multipart_threshold")));
    if (rc.settings.contains("part_size")) o.part_size = MLOPS_TRY(parse_size(rc.get("part_size")));
    o.jobs = jobs;
    if (rc.settings.contains("connect_timeout")) o.http.connect_timeout_ms = std::stol(rc.get("connect_timeout")) * 1000;
    if (rc.settings.contains("timeout")) o.http.stall_timeout_s = std::stol(rc.get("timeout"));
    o.sign_log = env("MLOPS_S3_SIGN_LOG");
    return std::unique_ptr<Backend>(std::make_unique<S3Backend>(std::move(o)));
}

constexpr SchemeEntry k_schemes[] = {
    {Scheme::local, "folder", 0, make_local},
    {Scheme::s3, "s3", 8, make_s3},
};

} // namespace

std::span<const SchemeEntry> schemes() { return k_schemes; }

std::string local_root(const RemoteConfig& rc, const std::string& repo_root) {
    const std::string& p = rc.url.path;
    if (!p.empty() && p.front() == '/') return util::normalize_path(p);
    return util::normalize_path(repo_root + "/" + p);
}

Result<OpenedRemote> open_remote(const RemoteConfig& rc, const OpenOptions& opts) {
    const SchemeEntry* entry = nullptr;
    for (const auto& s : k_schemes)
        if (s.scheme == rc.url.scheme) entry = &s;
    if (!entry) return fail(util::Error::usage(fmt::format("remote '{}': no backend for this URL", rc.name)));
    unsigned jobs = opts.jobs;
    if (jobs == 0 && rc.settings.contains("jobs")) jobs = unsigned(std::stoul(rc.get("jobs")));
    if (jobs == 0) jobs = entry->default_jobs ? entry->default_jobs : util::io_jobs();

    auto raw = entry->make(rc, opts, jobs);
    if (!raw) {
        auto e = std::move(raw).error();
        e.message = fmt::format("remote '{}': {}", rc.name, e.message);
        return fail(std::move(e));
    }
    std::unique_ptr<Backend> b = std::move(*raw);
    OpenedRemote out;
    out.name = rc.name;
    out.location = b->location();
    out.jobs = jobs;
    if (auto spec = env("MLOPS_REMOTE_FAULTS"); !spec.empty()) {
        auto plan = parse_fault_plan(spec);
        if (!plan) return fail(util::Error::usage(fmt::format("MLOPS_REMOTE_FAULTS: {}", plan.error().message)));
        b = std::make_unique<FaultyBackend>(std::move(b), *plan);
    }
    if (opts.log) b = std::make_unique<LoggingBackend>(std::move(b), opts.log);
    RetryPolicy policy;
    if (rc.settings.contains("retries")) policy.max_attempts = unsigned(std::stoul(rc.get("retries")));
    if (auto ms = env("MLOPS_REMOTE_RETRY_BASE_MS"); !ms.empty()) policy.base = std::chrono::milliseconds(std::stol(ms));
    b = std::make_unique<RetryingBackend>(std::move(b), policy, Sleeper{}, opts.retry_log);
    out.backend = std::move(b);
    return out;
}

} // namespace mlops::remote
