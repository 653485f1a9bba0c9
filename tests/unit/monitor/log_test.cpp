#include <catch2/catch.hpp>

#include <mlops/monitor/log.hpp>

using namespace mlops;

TEST_CASE("monitor.log: RFC 3339 times, with zones and fractions", "[monitor]") {
    CHECK(monitor::parse_time("1970-01-01T00:00:00Z") == 0.0);
    CHECK(monitor::parse_time("2026-11-29T10:00:00Z") == 1795946400.0);
    CHECK(monitor::parse_time("2026-11-29T11:00:00+01:00") == 1795946400.0);
    CHECK(monitor::parse_time("2026-11-29 10:00:00") == 1795946400.0);
    CHECK(monitor::parse_time("2026-11-29T10:00:00.250Z") == Approx(1795946400.25));
    CHECK(monitor::parse_time("2026-11-29") == 1795910400.0);
    CHECK_FALSE(monitor::parse_time("2026-13-01T00:00:00Z"));
    CHECK_FALSE(monitor::parse_time("2026-02-30"));
    CHECK_FALSE(monitor::parse_time("yesterday"));
    CHECK_FALSE(monitor::parse_time("2026-11-29T10:00:00Zjunk"));
    CHECK(monitor::format_time(1795946400.0) == "2026-11-29T10:00:00Z");
    CHECK(monitor::format_time(1795946400.125) == "2026-11-29T10:00:00.125Z");
}

TEST_CASE("monitor.log: durations", "[monitor]") {
    CHECK(monitor::parse_duration("30s", "--window").value() == 30);
    CHECK(monitor::parse_duration("5m", "--window").value() == 300);
    CHECK(monitor::parse_duration("1h30m", "--window").value() == 5400);
    CHECK(monitor::parse_duration("90", "--window").value() == 90);
    CHECK(monitor::parse_duration("1d", "--window").value() == 86400);
    auto bad = monitor::parse_duration("1x", "--window");
    REQUIRE_FALSE(bad);
    CHECK(bad.error().message.find("--window '1x'") != std::string::npos);
    CHECK_FALSE(monitor::parse_duration("0s", "w"));
    CHECK_FALSE(monitor::parse_duration("", "w"));
    CHECK_FALSE(monitor::parse_duration("1h30", "w"));
    CHECK(monitor::format_duration(3600) == "1h");
    CHECK(monitor::format_duration(5400) == "1h30m");
    CHECK(monitor::format_duration(86400) == "1d");
    CHECK(monitor::format_duration(45) == "45s");
    CHECK(monitor::format_duration(0) == "0s");
}

TEST_CASE("monitor.log: records as serve writes them, batches and labels", "[monitor]") {
    auto r = monitor::parse_record(
        R"({"timestamp":"2026-11-29T10:00:00.123Z","model":"churn","version":3,"oid":"ab","inputs":{"age":41,"plan":"pro"},"output":"yes","latency_ms":1.25,"status":200})");
    REQUIRE(r);
    CHECK(r->time == Approx(1795946400.123));
    CHECK(r->status == 200);
    CHECK(r->latency_ms == 1.25);
    REQUIRE(r->inputs.size() == 1);
    CHECK(r->inputs[0]["age"] == 41);
    REQUIRE(r->outputs.size() == 1);
    CHECK(r->outputs[0] == "yes");
    CHECK(r->model == "churn");
    CHECK(r->version == 3);

    auto b = monitor::parse_record(R"({"timestamp":1795946400,"inputs":[{"x":1},{"x":2}],"output":[0,1],"labels":[0,0],"status":"ok"})");
    REQUIRE(b);
    CHECK(b->inputs.size() == 2);
    CHECK(b->outputs.size() == 2);
    CHECK(b->labels.size() == 2);
    CHECK(b->status == 200);

    auto rejected = monitor::parse_record(R"({"timestamp":"2026-11-29T10:00:00Z","status":400,"error":"missing column age","latency_ms":0.1})");
    REQUIRE(rejected);
    CHECK(rejected->status == 400);
    CHECK(rejected->inputs.empty());
}

TEST_CASE("monitor.log: bad lines say why", "[monitor]") {
    auto why = [](std::string_view line) {
        auto r = monitor::parse_record(line);
        REQUIRE_FALSE(r);
        return r.error().message;
    };
    CHECK(why("{not json") == "not JSON");
    CHECK(why("[1,2]") == "not a JSON object");
    CHECK(why(R"({"status":200})") == "no timestamp");
    CHECK(why(R"({"timestamp":"soon"})").find("not an RFC 3339 time") != std::string::npos);
    CHECK(why(R"({"timestamp":0,"latency_ms":-1})").find("latency_ms") != std::string::npos);
    CHECK(why(R"({"timestamp":0,"status":"maybe"})").find("status 'maybe'") != std::string::npos);
    CHECK(why(R"({"timestamp":0,"inputs":[{"x":1},{"x":2}],"output":[1]})") == "2 input rows but 1 outputs");
    CHECK(why(R"({"timestamp":0,"inputs":[1,2]})").find("inputs") != std::string::npos);
}
