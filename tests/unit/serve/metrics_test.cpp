#include <catch2/catch.hpp>

#include <mlops/serve/metrics.hpp>

using namespace mlops;

TEST_CASE("serve.metrics: counters, cumulative histogram buckets, gauges", "[serve]") {
    serve::Metrics m;
    m.set_model("churn", 3, "abc");
    for (double secs : {0.0002, 0.003, 0.003, 20.0}) {
        m.started();
        m.finished("/invocations", 200, secs);
    }
    m.started();
    m.finished("/invocations", 400, 0.0001);
    m.started();
    m.finished("/nope", 404, 0.0001);
    m.rejected_early("/invocations", 413);
    m.started(); // one still in flight
    m.predicted(7);
    m.reload(true);
    auto t = m.render();
    INFO(t);
    CHECK(t.find("mlops_http_requests_total{path=\"/invocations\",code=\"200\"} 4\n") != std::string::npos);
    CHECK(t.find("mlops_http_requests_total{path=\"/invocations\",code=\"400\"} 1\n") != std::string::npos);
    CHECK(t.find("mlops_http_requests_total{path=\"/invocations\",code=\"413\"} 1\n") != std::string::npos);
    CHECK(t.find("mlops_http_requests_total{path=\"other\",code=\"404\"} 1\n") != std::string::npos);
    CHECK(t.find("mlops_http_request_duration_seconds_bucket{path=\"/invocations\",le=\"0.0005\"} 2\n") != std::string::npos);
    CHECK(t.find("mlops_http_request_duration_seconds_bucket{path=\"/invocations\",le=\"0.005\"} 4\n") != std::string::npos);
    CHECK(t.find("mlops_http_request_duration_seconds_bucket{path=\"/invocations\",le=\"10\"} 4\n") != std::string::npos);
    CHECK(t.find("mlops_http_request_duration_seconds_bucket{path=\"/invocations\",le=\"+Inf\"} 5\n") != std::string::npos);
    CHECK(t.find("mlops_http_request_duration_seconds_count{path=\"/invocations\"} 5\n") != std::string::npos);
    CHECK(t.find("mlops_http_request_duration_seconds_sum{path=\"/invocations\"} 20.0063") != std::string::npos);
    CHECK(t.find("mlops_http_requests_in_flight 1\n") != std::string::npos);
    CHECK(t.find("mlops_predictions_total 7\n") != std::string::npos);
    CHECK(t.find("mlops_model_reloads_total{result=\"ok\"} 1\n") != std::string::npos);
    CHECK(t.find("mlops_model_info{name=\"churn\",version=\"3\",oid=\"abc\"} 1\n") != std::string::npos);
    CHECK(t.find("# TYPE mlops_http_request_duration_seconds histogram\n") != std::string::npos);
}

TEST_CASE("serve.metrics: label values are escaped", "[serve]") {
    CHECK(serve::label_value("a\"b\\c\nd") == "a\\\"b\\\\c\\nd");
}
