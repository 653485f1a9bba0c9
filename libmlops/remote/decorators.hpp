// Wrappers around any backend (restic, ccache): retries with exponential backoff and full jitter,
// a log line per operation for -v, and deterministic fault injection for tests.
#pragma once

#include <atomic>
#include <chrono>
#include <functional>
#include <memory>
#include <random>
#include <string>

#include <mlops/remote/backend.hpp>

namespace mlops::remote {

// ---- retry ----

struct RetryPolicy {
    unsigned max_attempts = 5; // first try included
    std::chrono::milliseconds base{200};
    std::chrono::milliseconds cap{10000};
};

// Only transient faults (connection errors, timeouts, 500/502/503/504, throttling) are retried; a
// 403, a missing bucket or key, corrupt content or a local error cannot succeed by trying again.
bool should_retry(const Error& e);
// Full jitter: uniform in [0, min(cap, base * 2^(attempt-1))]; attempt counts from 1.
std::chrono::milliseconds backoff_delay(const RetryPolicy& p, unsigned attempt, std::mt19937_64& rng);

using Sleeper = std::function<void(std::chrono::milliseconds)>;
using LogSink = std::function<void(const std::string&)>;

class RetryingBackend : public Backend {
  public:
    RetryingBackend(std::unique_ptr<Backend> inner, RetryPolicy policy, Sleeper sleep = {}, LogSink log = {});
    std::string location() const override { return m_inner->location(); }
    Result<bool> exists(const std::string& key) override;
    Result<GetInfo> get(const std::string& key, const std::string& dest) override;
    Status put(const std::string& key, const std::string& src, const PutInfo& info) override;
    Status list(const std::string& prefix, const std::function<Status(const ObjectInfo&)>& each) override;
    Status list_from(const std::string& start_after, const std::function<Result<bool>(const ObjectInfo&)>& each) override;
    Status remove(const std::string& key) override;
    Status flush() override { return m_inner->flush(); }
    bool cheap_exists() const override { return m_inner->cheap_exists(); }
    std::uint64_t retries() const { return m_retries.load(); }

  private:
    template <class F> auto with_retry(const std::string& what, F&& op) -> decltype(op());
    std::unique_ptr<Backend> m_inner;
    RetryPolicy m_policy;
    Sleeper m_sleep;
    LogSink m_log;
    std::atomic<std::uint64_t> m_retries{0};
};

// ---- logging ----

class LoggingBackend : public Backend {
  public:
    LoggingBackend(std::unique_ptr<Backend> inner, LogSink log);
    std::string location() const override { return m_inner->location(); }
    Result<bool> exists(const std::string& key) override;
    Result<GetInfo> get(const std::string& key, const std::string& dest) override;
    Status put(const std::string& key, const std::string& src, const PutInfo& info) override;
    Status list(const std::string& prefix, const std::function<Status(const ObjectInfo&)>& each) override;
    Status list_from(const std::string& start_after, const std::function<Result<bool>(const ObjectInfo&)>& each) override;
    Status remove(const std::string& key) override;
    Status flush() override;
    bool cheap_exists() const override { return m_inner->cheap_exists(); }

  private:
    std::unique_ptr<Backend> m_inner;
    LogSink m_log;
};

// ---- fault injection (tests) ----

enum class Corruption { none, truncate, flip };

struct FaultPlan {
    unsigned fail_first = 0; // the first N matching operations fail with a transient error
    unsigned fail_every = 0; // then every Nth matching operation fails (0: never)
    bool fail_always = false; // every matching operation fails (a server that is down)
    // Which operations the failures hit: any of "exists", "get", "put", "list", "remove"; empty: all.
    std::vector<std::string> ops;
    // Downloads: a transient failure after half the body has been written (a dropped connection).
    bool drop_mid_body = false;
    unsigned delay_ms = 0; // every matching operation first sleeps this long (a slow network)
    Corruption corrupt = Corruption::none; // what successful downloads suffer
    unsigned corrupt_count = 0;            // how many downloads (0: all)
};
// "fail=3,every=5,ops=get+put,drop,delay=20,corrupt=flip,corrupt_count=1,always"; errors name the bad item.
util::Result<FaultPlan> parse_fault_plan(std::string_view spec);

class FaultyBackend : public Backend {
  public:
    FaultyBackend(std::unique_ptr<Backend> inner, FaultPlan plan);
    std::string location() const override { return m_inner->location(); }
    Result<bool> exists(const std::string& key) override;
    Result<GetInfo> get(const std::string& key, const std::string& dest) override;
    Status put(const std::string& key, const std::string& src, const PutInfo& info) override;
    Status list(const std::string& prefix, const std::function<Status(const ObjectInfo&)>& each) override;
    Status list_from(const std::string& start_after, const std::function<Result<bool>(const ObjectInfo&)>& each) override;
    Status remove(const std::string& key) override;
    Status flush() override { return m_inner->flush(); }
    bool cheap_exists() const override { return m_inner->cheap_exists(); }
    std::uint64_t injected() const { return m_injected.load(); }

  private:
    Status maybe_fail(const char* op, const std::string& key);
    std::unique_ptr<Backend> m_inner;
    FaultPlan m_plan;
    std::atomic<std::uint64_t> m_calls{0};
    std::atomic<std::uint64_t> m_injected{0};
    std::atomic<std::uint64_t> m_corrupted{0};
};

} // namespace mlops::remote
