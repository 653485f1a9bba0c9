#include <catch2/catch.hpp>

#include <cmath>

#include <mlops/monitor/window.hpp>

using namespace mlops;

namespace {
monitor::LogRecord rec(double t, int status, double latency, nlohmann::json input = nullptr, nlohmann::json output = nullptr,
                       nlohmann::json label = nullptr) {
    monitor::LogRecord r;
    r.time = t;
    r.status = status;
    r.latency_ms = latency;
    if (!input.is_null()) r.inputs.push_back(input);
    if (!output.is_null()) r.outputs.push_back(output);
    if (!label.is_null()) r.labels.push_back(label);
    return r;
}
} // namespace

TEST_CASE("monitor.window: percentiles as numpy computes them", "[monitor]") {
    std::vector<double> v = {1, 2, 3, 4, 5, 6, 7, 8, 9, 10};
    CHECK(monitor::percentile(v, 50) == Approx(5.5));
    CHECK(monitor::percentile(v, 95) == Approx(9.55));
    CHECK(monitor::percentile(v, 99) == Approx(9.91));
    CHECK(monitor::percentile({42}, 99) == 42);
    CHECK(std::isnan(monitor::percentile({}, 50)));
}

TEST_CASE("monitor.window: traffic, errors, latency, predictions and accuracy per window", "[monitor]") {
    monitor::WindowOptions o;
    o.window_s = 60;
    monitor::WindowSet set(o);
    // Window [0, 60): 4 requests, one rejected; window [120, 180): one request.
    set.add(rec(1, 200, 10, {{"x", 1}}, "a", "a"));
    set.add(rec(2, 200, 20, {{"x", 2}}, "b", "a"));
    set.add(rec(3, 200, 30, {{"x", 3}}, "a", "a"));
    set.add(rec(59.9, 400, 1));
    set.add(rec(130, 503, 5));
    auto w = set.finish(150).value();
    REQUIRE(w.size() == 2);
    CHECK(w[0].start == 0);
    CHECK(w[0].end == 60);
    CHECK_FALSE(w[0].open);
    CHECK(w[1].open); // ends at 180, after `now`
    auto& f = w[0].figures;
    CHECK(f.at("requests") == 4);
    CHECK(f.at("rows") == 3);
    CHECK(f.at("errors") == 1);
    CHECK(f.at("error_rate") == 0.25);
    CHECK(f.at("server_errors") == 0);
    CHECK(f.at("latency_p50_ms") == Approx(15));
    CHECK(f.at("latency_max_ms") == 30);
    CHECK(f.at("prediction_share.a") == Approx(2.0 / 3));
    CHECK(f.at("accuracy") == Approx(2.0 / 3));
    CHECK(f.count("prediction_mean") == 0); // categorical outputs
    CHECK(f.count("drift_share") == 0);     // no reference
    CHECK(w[1].figures.at("server_error_rate") == 1);
}

TEST_CASE("monitor.window: numeric outputs give mean, std, mae and rmse", "[monitor]") {
    monitor::WindowOptions o;
    o.window_s = 3600;
    monitor::WindowSet set(o);
    set.add(rec(10, 200, 1, {{"x", 1}}, 1.0, 2.0));
    set.add(rec(20, 200, 1, {{"x", 1}}, 3.0, 3.0));
    auto w = set.finish(1e9).value();
    REQUIRE(w.size() == 1);
    auto& f = w[0].figures;
    CHECK(f.at("prediction_mean") == 2);
    CHECK(f.at("prediction_std") == Approx(std::sqrt(2.0)));
    CHECK(f.at("mae") == 0.5);
    CHECK(f.at("rmse") == Approx(std::sqrt(0.5)));
}

TEST_CASE("monitor.window: input drift against the reference, only with enough rows", "[monitor]") {
    drift::DatasetProfile ref;
    ref.label = "ref";
    drift::ColumnProfile x;
    x.name = "x";
    x.type = drift::ColumnType::numeric;
    for (int i = 0; i < 2000; ++i) x.add_number(double(i % 100));
    ref.columns.push_back(x);
    ref.rows = 2000;
    monitor::WindowOptions o;
    o.window_s = 100;
    o.reference = &ref;
    o.min_drift_rows = 50;
    monitor::WindowSet set(o);
    for (int i = 0; i < 200; ++i) set.add(rec(i * 0.25, 200, 1, {{"x", i % 100}}, 0));        // like the reference
    for (int i = 0; i < 200; ++i) set.add(rec(100 + i * 0.25, 200, 1, {{"x", 500 + i}}, 0)); // shifted
    for (int i = 0; i < 10; ++i) set.add(rec(200 + i, 200, 1, {{"x", "oops"}, {"y", 1}}, 0)); // too few rows, bad value
    auto w = set.finish(1e9).value();
    REQUIRE(w.size() == 3);
    CHECK(w[0].figures.at("dataset_drift") == 0);
    CHECK(w[1].figures.at("dataset_drift") == 1);
    CHECK(w[1].figures.at("drift_share") == 1);
    CHECK(w[2].figures.count("drift_share") == 0);
    CHECK(w[2].figures.at("invalid_inputs") == 10);
    CHECK(w[2].detail.at("notes").size() == 1);
    CHECK(set.unknown_columns() == std::vector<std::string>{"y"});
}

TEST_CASE("monitor.window: the label from a logged input column with --target", "[monitor]") {
    monitor::WindowOptions o;
    o.window_s = 60;
    o.target = "y";
    monitor::WindowSet set(o);
    set.add(rec(1, 200, 1, {{"x", 1}, {"y", "a"}}, "a"));
    set.add(rec(2, 200, 1, {{"x", 2}, {"y", "b"}}, "a"));
    set.add(rec(3, 200, 1, {{"x", 3}}, "a", "a")); // an explicit label wins
    auto w = set.finish(1e9).value();
    CHECK(w[0].figures.at("labelled_rows") == 3);
    CHECK(w[0].figures.at("accuracy") == Approx(2.0 / 3));
}
