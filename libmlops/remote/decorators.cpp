#include <mlops/remote/decorators.hpp>

#include <algorithm>
#include <cerrno>
#include <fcntl.h>
#include <functional>
#include <sys/stat.h>
#include <thread>
#include <unistd.h>

#include <fmt/format.h>

#include <mlops/util/fs.hpp>
#include <mlops/util/progress.hpp>
#include <mlops/util/strings.hpp>

namespace mlops::remote {

// ---- retry ----

bool should_retry(const Error& e) { return e.fault == Fault::transient; }

std::chrono::milliseconds backoff_delay(const RetryPolicy& p, unsigned attempt, std::mt19937_64& rng) {
    if (attempt == 0) attempt = 1;
    std::uint64_t ceiling = std::uint64_t(p.base.count());
    for (unsigned i = 1; i < attempt && ceiling < std::uint64_t(p.cap.count()); ++i) ceiling *= 2;
    ceiling = std::min<std::uint64_t>(ceiling, std::uint64_t(p.cap.count()));
    std::uniform_int_distribution<std::uint64_t> dist(0, ceiling);
    return std::chrono::milliseconds(dist(rng));
}

RetryingBackend::RetryingBackend(std::unique_ptr<Backend> inner, RetryPolicy policy, Sleeper sleep, LogSink log)
    : m_inner(std::move(inner)), m_policy(policy), m_sleep(std::move(sleep)), m_log(std::move(log)) {
    if (!m_sleep) m_sleep = [](std::chrono::milliseconds d) { std::this_thread::sleep_for(d); };
    if (m_policy.max_attempts == 0) m_policy.max_attempts = 1;
}

template <class F> auto RetryingBackend::with_retry(const std::string& what, F&& op) -> decltype(op()) {
    static thread_local std::mt19937_64 rng{std::random_device{}()};
    for (unsigned attempt = 1;; ++attempt) {
        auto r = op();
        if (r || !should_retry(r.error())) return r;
        if (attempt >= m_policy.max_attempts) {
            auto e = std::move(r).error();
            if (attempt > 1) e.message += fmt::format(" (gave up after {} attempts)", attempt);
            return fail(std::move(e));
        }
        auto delay = backoff_delay(m_policy, attempt, rng);
        ++m_retries;
        if (m_log) m_log(fmt::format("retrying {} in {} ms after: {}", what, delay.count(), r.error().message));
        m_sleep(delay);
    }
}

Result<bool> RetryingBackend::exists(const std::string& key) {
    return with_retry("HEAD " + key, [&] { return m_inner->exists(key); });
}

Result<GetInfo> RetryingBackend::get(const std::string& key, const std::string& dest) {
    return with_retry("GET " + key, [&]() -> Result<GetInfo> {
        ::unlink(dest.c_str()); // a partial download from the attempt before
        auto st = m_inner->get(key, dest);
        if (!st) ::unlink(dest.c_str());
        return st;
    });
}

Status RetryingBackend::put(const std::string& key, const std::string& src, const PutInfo& info) {
    return with_retry("PUT " + key, [&] { return m_inner->put(key, src, info); });
}

Status RetryingBackend::list(const std::string& prefix, const std::function<Status(const ObjectInfo&)>& each) {
    // Collected first, so a listing retried halfway does not show a key twice.
    std::vector<ObjectInfo> all;
    MLOPS_TRYV(with_retry("LIST " + prefix, [&]() -> Status {
        all.clear();
        return m_inner->list(prefix, [&](const ObjectInfo& o) -> Status {
            all.push_back(o);
            return {};
        });
    }));
    for (const auto& o : all) MLOPS_TRYV(each(o));
    return {};
}

Status RetryingBackend::list_from(const std::string& start_after, const std::function<Result<bool>(const ObjectInfo&)>& each) {
    // Keys come in ascending order: a retry resumes after the last key delivered.
    std::string from = start_after;
    return with_retry("LIST from " + start_after, [&]() -> Status {
        return m_inner->list_from(from, [&](const ObjectInfo& o) -> Result<bool> {
            bool go = MLOPS_TRY(each(o));
            from = o.key;
            return go;
        });
    });
}

Status RetryingBackend::remove(const std::string& key) {
    return with_retry("DELETE " + key, [&] { return m_inner->remove(key); });
}

// ---- logging ----

namespace {
using Clock = std::chrono::steady_clock;
std::string ms_since(Clock::time_point t) {
    return fmt::format("{} ms", std::chrono::duration_cast<std::chrono::milliseconds>(Clock::now() - t).count());
}
std::uint64_t file_size(const std::string& p) {
    struct stat st;
    return ::stat(p.c_str(), &st) == 0 ? std::uint64_t(st.st_size) : 0;
}
template <class R> std::string outcome(const R& r) { return r ? "ok" : "failed: " + r.error().message; }
} // namespace

LoggingBackend::LoggingBackend(std::unique_ptr<Backend> inner, LogSink log) : m_inner(std::move(inner)), m_log(std::move(log)) {}

Result<bool> LoggingBackend::exists(const std::string& key) {
    auto t = Clock::now();
    auto r = m_inner->exists(key);
    m_log(fmt::format("exists {}: {} ({})", key, r ? (*r ? "yes" : "no") : outcome(r), ms_since(t)));
    return r;
}

Result<GetInfo> LoggingBackend::get(const std::string& key, const std::string& dest) {
    auto t = Clock::now();
    auto r = m_inner->get(key, dest);
    m_log(fmt::format("get {}: {} ({}, {})", key, outcome(r), util::human_bytes(r ? file_size(dest) : 0), ms_since(t)));
    return r;
}

Status LoggingBackend::list_from(const std::string& start_after_ref, const std::function<Result<bool>(const ObjectInfo&)>& each) {
    std::string start_after = start_after_ref; // the caller may move it while we list
    auto t = Clock::now();
    std::uint64_t n = 0;
    auto r = m_inner->list_from(start_after, [&](const ObjectInfo& o) {
        ++n;
        return each(o);
    });
    m_log(fmt::format("list from '{}': {} ({} keys, {})", start_after, outcome(r), n, ms_since(t)));
    return r;
}

Status LoggingBackend::put(const std::string& key, const std::string& src, const PutInfo& info) {
    auto t = Clock::now();
    auto r = m_inner->put(key, src, info);
    m_log(fmt::format("put {}: {} ({}, {})", key, outcome(r), util::human_bytes(info.size), ms_since(t)));
    return r;
}

Status LoggingBackend::list(const std::string& prefix, const std::function<Status(const ObjectInfo&)>& each) {
    auto t = Clock::now();
    std::uint64_t n = 0;
    auto r = m_inner->list(prefix, [&](const ObjectInfo& o) {
        ++n;
        return each(o);
    });
    m_log(fmt::format("list '{}': {} ({} keys, {})", prefix, outcome(r), n, ms_since(t)));
    return r;
}

Status LoggingBackend::remove(const std::string& key) {
    auto t = Clock::now();
    auto r = m_inner->remove(key);
    m_log(fmt::format("remove {}: {} ({})", key, outcome(r), ms_since(t)));
    return r;
}

Status LoggingBackend::flush() {
    auto t = Clock::now();
    auto r = m_inner->flush();
    m_log(fmt::format("flush: {} ({})", outcome(r), ms_since(t)));
    return r;
}

// ---- fault injection ----

util::Result<FaultPlan> parse_fault_plan(std::string_view spec) {
    FaultPlan p;
    auto number = [](std::string_view item, std::string_view v) -> util::Result<unsigned> {
        char* end = nullptr;
        std::string s(v);
        long n = std::strtol(s.c_str(), &end, 10);
        if (s.empty() || *end || n < 0)
            return util::fail(util::Error::usage(fmt::format("fault plan: '{}' needs a whole number", item)));
        return unsigned(n);
    };
    for (auto raw : util::split(spec, ',')) {
        auto item = util::trim(raw);
        if (item.empty()) continue;
        auto eq = item.find('=');
        auto name = item.substr(0, eq);
        auto value = eq == std::string_view::npos ? std::string_view{} : item.substr(eq + 1);
        if (name == "fail") p.fail_first = MLOPS_TRY(number(item, value));
        else if (name == "every") p.fail_every = MLOPS_TRY(number(item, value));
        else if (name == "always") p.fail_always = true;
        else if (name == "delay") p.delay_ms = MLOPS_TRY(number(item, value));
        else if (name == "drop") p.drop_mid_body = true;
        else if (name == "corrupt_count") p.corrupt_count = MLOPS_TRY(number(item, value));
        else if (name == "corrupt") {
            if (value == "flip") p.corrupt = Corruption::flip;
            else if (value == "truncate") p.corrupt = Corruption::truncate;
            else return util::fail(util::Error::usage(fmt::format("fault plan: corrupt=flip or corrupt=truncate, not '{}'", value)));
        } else if (name == "ops") {
            for (auto op : util::split(value, '+')) {
                if (op != "exists" && op != "get" && op != "put" && op != "list" && op != "remove")
                    return util::fail(util::Error::usage(fmt::format("fault plan: unknown operation '{}'", op)));
                p.ops.emplace_back(op);
            }
        } else {
            return util::fail(util::Error::usage(fmt::format("fault plan: unknown item '{}'", item)));
        }
    }
    return p;
}

FaultyBackend::FaultyBackend(std::unique_ptr<Backend> inner, FaultPlan plan) : m_inner(std::move(inner)), m_plan(std::move(plan)) {}

Status FaultyBackend::maybe_fail(const char* op, const std::string& key) {
    if (!m_plan.ops.empty() && std::find(m_plan.ops.begin(), m_plan.ops.end(), op) == m_plan.ops.end()) return {};
    if (m_plan.delay_ms) std::this_thread::sleep_for(std::chrono::milliseconds(m_plan.delay_ms));
    std::uint64_t n = ++m_calls; // 1-based among matching operations
    bool hit = m_plan.fail_always || n <= m_plan.fail_first ||
               (m_plan.fail_every > 0 && (n - m_plan.fail_first) % m_plan.fail_every == 0);
    if (!hit) return {};
    ++m_injected;
    return fail(Fault::transient, fmt::format("{} {}: injected fault (connection reset)", op, key));
}

Result<bool> FaultyBackend::exists(const std::string& key) {
    MLOPS_TRYV(maybe_fail("exists", key));
    return m_inner->exists(key);
}

namespace {
// Replaces `dest` by a damaged copy of itself. Never in place: the inner backend may have handed
// over a hardlink to its own object (a folder remote), which a fault in transit cannot touch.
void damage(const std::string& dest, const std::function<void(std::string&)>& how) {
    auto content = util::read_file(dest);
    if (!content) return;
    how(*content);
    (void)util::write_file_atomic(dest, *content, util::Durability::none);
}
} // namespace

Result<GetInfo> FaultyBackend::get(const std::string& key, const std::string& dest) {
    auto injected = maybe_fail("get", key);
    if (!injected) {
        if (!m_plan.drop_mid_body) return fail(std::move(injected).error());
        // The connection dropped halfway: a partial file and a transient error.
        if (m_inner->get(key, dest)) damage(dest, [](std::string& c) { c.resize(c.size() / 2); });
        return fail(std::move(injected).error());
    }
    auto info = MLOPS_TRY(m_inner->get(key, dest));
    if (m_plan.corrupt == Corruption::none) return info;
    std::uint64_t k = ++m_corrupted;
    if (m_plan.corrupt_count && k > m_plan.corrupt_count) return info;
    info.sha256.clear(); // what the inner backend hashed is not what the file now holds
    if (m_plan.corrupt == Corruption::truncate) {
        damage(dest, [](std::string& c) { c.resize(c.empty() ? 0 : c.size() - 1); });
    } else {
        damage(dest, [](std::string& c) {
            if (c.empty()) c = "x";
            else c[c.size() / 2] = char(c[c.size() / 2] ^ 0x01);
        });
    }
    return info;
}

Status FaultyBackend::put(const std::string& key, const std::string& src, const PutInfo& info) {
    MLOPS_TRYV(maybe_fail("put", key));
    return m_inner->put(key, src, info);
}

Status FaultyBackend::list(const std::string& prefix, const std::function<Status(const ObjectInfo&)>& each) {
    MLOPS_TRYV(maybe_fail("list", prefix));
    return m_inner->list(prefix, each);
}

Status FaultyBackend::list_from(const std::string& start_after, const std::function<Result<bool>(const ObjectInfo&)>& each) {
    MLOPS_TRYV(maybe_fail("list", start_after));
    return m_inner->list_from(start_after, each);
}

Status FaultyBackend::remove(const std::string& key) {
    MLOPS_TRYV(maybe_fail("remove", key));
    return m_inner->remove(key);
}

} // namespace mlops::remote
