#include <catch2/catch.hpp>

#include <map>

#include <mlops/remote/decorators.hpp>
#include <mlops/remote/s3_backend.hpp>

using namespace mlops;
using remote::Error;
using remote::Fault;

namespace {
// A backend whose operations fail as scripted.
class Scripted : public remote::Backend {
  public:
    std::vector<Fault> faults; // consumed one per call; empty: success
    int calls = 0;
    std::string location() const override { return "scripted"; }
    remote::Result<bool> exists(const std::string&) override {
        MLOPS_TRYV(next());
        return true;
    }
    remote::Result<remote::GetInfo> get(const std::string&, const std::string&) override {
        MLOPS_TRYV(next());
        return remote::GetInfo{};
    }
    remote::Status put(const std::string&, const std::string&, const remote::PutInfo&) override { return next(); }
    remote::Status list(const std::string&, const std::function<remote::Status(const remote::ObjectInfo&)>& each) override {
        MLOPS_TRYV(each({"ab/first", 1}));
        MLOPS_TRYV(next());
        return each({"ab/second", 2});
    }
    remote::Status remove(const std::string&) override { return next(); }

  private:
    remote::Status next() {
        ++calls;
        if (faults.empty()) return {};
        Fault f = faults.front();
        faults.erase(faults.begin());
        return remote::fail(f, "scripted failure");
    }
};
} // namespace

TEST_CASE("only transient faults are retried", "[remote][retry]") {
    CHECK(remote::should_retry(Error(Fault::transient, "x")));
    for (Fault f : {Fault::local, Fault::not_found, Fault::no_bucket, Fault::denied, Fault::rejected, Fault::corrupt}) {
        INFO(remote::fault_name(f));
        CHECK_FALSE(remote::should_retry(Error(f, "x")));
    }
}

TEST_CASE("S3 error responses map to faults", "[remote][retry][s3]") {
    auto xml = [](const char* code) { return std::string("<Error><Code>") + code + "</Code><Message>m</Message></Error>"; };
    CHECK(remote::s3_error(403, xml("InvalidAccessKeyId"), "GET k", "b", true).fault == Fault::denied);
    CHECK(remote::s3_error(403, xml("SignatureDoesNotMatch"), "GET k", "b", true).message.find("check the credentials") != std::string::npos);
    CHECK(remote::s3_error(403, "", "HEAD k", "b", true).fault == Fault::denied);
    CHECK(remote::s3_error(404, xml("NoSuchBucket"), "GET k", "b", true).fault == Fault::no_bucket);
    CHECK(remote::s3_error(404, xml("NoSuchBucket"), "GET k", "b", true).message.find("bucket 'b' does not exist") != std::string::npos);
    CHECK(remote::s3_error(404, xml("NoSuchKey"), "GET k", "b", true).fault == Fault::not_found);
    CHECK(remote::s3_error(404, "", "LIST", "b", false).fault == Fault::no_bucket);
    for (long status : {500L, 502L, 503L, 504L, 429L, 408L}) CHECK(remote::s3_error(status, "", "x", "b", true).fault == Fault::transient);
    CHECK(remote::s3_error(503, xml("SlowDown"), "x", "b", true).fault == Fault::transient);
    CHECK(remote::s3_error(400, xml("RequestTimeout"), "x", "b", true).fault == Fault::transient);
    CHECK(remote::s3_error(400, xml("ExpiredToken"), "x", "b", true).fault == Fault::denied);
    CHECK(remote::s3_error(400, xml("InvalidArgument"), "x", "b", true).fault == Fault::rejected);
    CHECK(remote::s3_error(403, xml("RequestTimeTooSkewed"), "x", "b", true).message.find("clock") != std::string::npos);
    CHECK(remote::s3_error(500, xml("InternalError"), "PUT k", "b", true).http_status == 500);
}

TEST_CASE("backoff is exponential with full jitter, capped", "[remote][retry]") {
    remote::RetryPolicy p{5, std::chrono::milliseconds(100), std::chrono::milliseconds(1000)};
    std::mt19937_64 rng(42);
    for (unsigned attempt = 1; attempt <= 8; ++attempt) {
        long ceiling = std::min(1000L, 100L << (attempt - 1));
        long max_seen = 0;
        for (int i = 0; i < 2000; ++i) {
            auto d = remote::backoff_delay(p, attempt, rng).count();
            REQUIRE(d >= 0);
            REQUIRE(d <= ceiling);
            max_seen = std::max(max_seen, long(d));
        }
        CHECK(max_seen > ceiling / 2); // the whole range is used, not a fixed delay
    }
}

TEST_CASE("RetryingBackend retries transient faults, then gives up naming the attempts", "[remote][retry]") {
    auto inner = std::make_unique<Scripted>();
    auto* raw = inner.get();
    std::vector<std::chrono::milliseconds> sleeps;
    remote::RetryingBackend r(std::move(inner), {4, std::chrono::milliseconds(10), std::chrono::milliseconds(50)},
                              [&](std::chrono::milliseconds d) { sleeps.push_back(d); });
    raw->faults = {Fault::transient, Fault::transient};
    CHECK(r.put("k", "/dev/null", {}));
    CHECK(raw->calls == 3);
    CHECK(sleeps.size() == 2);

    raw->calls = 0;
    raw->faults = {Fault::transient, Fault::transient, Fault::transient, Fault::transient, Fault::transient};
    auto st = r.put("k", "/dev/null", {});
    REQUIRE_FALSE(st);
    CHECK(raw->calls == 4);
    CHECK(st.error().fault == Fault::transient);
    CHECK(st.error().message.find("gave up after 4 attempts") != std::string::npos);
    CHECK(st.error().kind == util::ErrorKind::remote);

    raw->calls = 0;
    raw->faults = {Fault::denied};
    auto denied = r.exists("k");
    REQUIRE_FALSE(denied);
    CHECK(raw->calls == 1);
    CHECK(denied.error().fault == Fault::denied);
}

TEST_CASE("RetryingBackend does not report a key twice when a listing is retried", "[remote][retry]") {
    auto inner = std::make_unique<Scripted>();
    inner->faults = {Fault::transient};
    remote::RetryingBackend r(std::move(inner), {3, std::chrono::milliseconds(1), std::chrono::milliseconds(1)},
                              [](std::chrono::milliseconds) {});
    std::map<std::string, int> seen;
    REQUIRE(r.list("", [&](const remote::ObjectInfo& o) -> remote::Status {
        seen[o.key]++;
        return {};
    }));
    CHECK(seen == std::map<std::string, int>{{"ab/first", 1}, {"ab/second", 1}});
}

TEST_CASE("fault plans parse and name bad items", "[remote][faults]") {
    auto p = remote::parse_fault_plan("fail=3,every=5,ops=get+put,drop,delay=7,corrupt=flip,corrupt_count=2");
    REQUIRE(p);
    CHECK(p->fail_first == 3);
    CHECK(p->fail_every == 5);
    CHECK(p->ops == std::vector<std::string>{"get", "put"});
    CHECK(p->drop_mid_body);
    CHECK(p->delay_ms == 7);
    CHECK(p->corrupt == remote::Corruption::flip);
    CHECK(p->corrupt_count == 2);
    CHECK(remote::parse_fault_plan("always")->fail_always);
    CHECK_FALSE(remote::parse_fault_plan("fail=x"));
    CHECK_FALSE(remote::parse_fault_plan("ops=upload"));
    CHECK(remote::parse_fault_plan("bogus").error().message.find("bogus") != std::string::npos);
}

TEST_CASE("exists_many lists prefixes only when that takes fewer requests", "[remote]") {
    using remote::ExistsStrategy;
    CHECK(remote::choose_exists_strategy(10, 10, 10, false) == ExistsStrategy::per_key);
    CHECK(remote::choose_exists_strategy(40, 3, 3, false) == ExistsStrategy::list_prefixes);
    CHECK(remote::choose_exists_strategy(150, 120, 120, false) == ExistsStrategy::list_prefixes);
    // Every prefix, each with one page: one listing per prefix.
    CHECK(remote::choose_exists_strategy(10001, 256, 256, false) == ExistsStrategy::list_prefixes);
    // Every prefix, each with several pages: one full listing in parallel ranges.
    CHECK(remote::choose_exists_strategy(1000000, 256, 1024, false) == ExistsStrategy::list_ranges);
    CHECK(remote::choose_exists_strategy(10001, 256, 256, true) == ExistsStrategy::per_key); // a local folder
    CHECK(remote::choose_exists_strategy(0, 0, 0, false) == ExistsStrategy::per_key);
}

TEST_CASE("xml_values extracts and unescapes", "[remote][s3]") {
    auto v = remote::xml_values("<A><Key>a&amp;b</Key><Key>c&lt;d&#47;</Key></A>", "Key");
    CHECK(v == std::vector<std::string>{"a&b", "c<d/"});
    CHECK(remote::xml_values("<x/>", "Key").empty());
}
