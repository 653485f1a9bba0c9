#include <catch2/catch.hpp>

#include <nlohmann/json.hpp>

#include <mlops/serve/predlog.hpp>
#include <mlops/util/fs.hpp>

#include "scratch.hpp"

using namespace mlops;

namespace {
serve::LogEntry entry() {
    serve::LogEntry e;
    e.time = std::chrono::system_clock::time_point(std::chrono::milliseconds(1795946400123)); // 2026-11-29T10:00:00.123Z
    e.model = "churn";
    e.version = 3;
    e.oid = "0123";
    e.inputs = {{"age", 41}, {"plan", "pro"}};
    e.output = "yes";
    e.latency_ms = 1.25;
    return e;
}
} // namespace

TEST_CASE("serve.predlog: the line mlops monitor reads, key order and all", "[serve]") {
    CHECK(serve::log_line(entry()) ==
          R"({"timestamp":"2026-11-29T10:00:00.123Z","model":"churn","version":3,"oid":"0123","inputs":{"age":41,"plan":"pro"},"output":"yes","latency_ms":1.25,"status":200})");
    auto e = entry();
    e.model.clear();
    e.version = 0;
    e.inputs = nullptr;
    e.output.reset();
    e.status = 400;
    e.error = "malformed JSON";
    CHECK(serve::log_line(e) ==
          R"({"timestamp":"2026-11-29T10:00:00.123Z","model":null,"version":null,"oid":"0123","latency_ms":1.25,"status":400,"error":"malformed JSON"})");
    CHECK(serve::rfc3339_ms(std::chrono::system_clock::time_point(std::chrono::milliseconds(5))) == "1970-01-01T00:00:00.005Z");
}

TEST_CASE("serve.predlog: appends, rotates by size, keeps N files", "[serve]") {
    test::Scratch s;
    std::string line = serve::log_line(entry()) + "\n";
    s.write("p.log", "old\n");
    auto log = serve::PredictionLog::open({s / "p.log", line.size() * 2 + 4, 2, 1.0});
    REQUIRE(log);
    for (int i = 0; i < 7; ++i) REQUIRE((*log)->write(entry()));
    // 4 + 2 lines fit the first file; then 2 lines per file; two rotated files kept.
    CHECK(s.read("p.log") == line);
    CHECK(s.read("p.log.1") == line + line);
    CHECK(s.read("p.log.2") == line + line);
    CHECK_FALSE(util::stat_path(s / "p.log.3").value());
    CHECK((*log)->sampled());
    auto none = serve::PredictionLog::open({s / "q.log", 100, 1, 0.0});
    REQUIRE(none);
    CHECK_FALSE((*none)->sampled());
    CHECK_FALSE(serve::PredictionLog::open({s / "r.log", 100, 1, 1.5}));
}
