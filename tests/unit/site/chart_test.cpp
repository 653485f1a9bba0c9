#include <catch2/catch.hpp>

#include "occurrences.hpp"

#include <cmath>

#include <fmt/format.h>

#include <mlops/site/chart.hpp>

using namespace mlops;

TEST_CASE("site: a line chart has a marker with hover text per point and a shape per series", "[site]") {
    std::vector<site::Series> s(2);
    s[0].name = "train";
    s[1].name = "eval";
    for (int i = 0; i < 5; ++i) {
        s[0].points.push_back({double(i), 0.5 + i * 0.1, fmt::format("run r{}", i)});
        s[1].points.push_back({double(i), 0.4 + i * 0.1, fmt::format("run e{}", i)});
    }
    site::ChartOptions o;
    o.title = "accuracy";
    auto svg = site::line_chart(s, o);
    CHECK(test::occurrences(svg, "class=\"marker\"") == 10 + 2); // and one per legend entry
    CHECK(svg.find("<title>train = 0.9 \u2014 run r4</title>") != std::string::npos);
    CHECK(svg.find("data-points=\"10\"") != std::string::npos);
    // Different series, different shapes: the legend's markers differ.
    CHECK(site::marker_path(0, 7, 7, 4.5) != site::marker_path(1, 7, 7, 4.5));
    CHECK(site::line_chart(s, o) == svg);
}

TEST_CASE("site: a long series is drawn with bounded size", "[site]") {
    std::vector<site::Series> s(1);
    s[0].name = "loss";
    for (int i = 0; i < 20000; ++i) s[0].points.push_back({double(i), std::sin(i * 0.01), "r"});
    auto svg = site::line_chart(s, {});
    CHECK(test::occurrences(svg, "class=\"marker\"") == site::k_max_markers + 1);
    CHECK(test::occurrences(svg, " L") < site::k_max_vertices + 50 + site::k_max_markers * 4);
    CHECK(svg.size() < 200'000);
    CHECK(svg.find("markers on the latest 400 of 20000 points") != std::string::npos);
}

TEST_CASE("site: numbers print short and the same everywhere", "[site]") {
    CHECK(site::format_number(3) == "3");
    CHECK(site::format_number(0.123456789) == "0.123457");
    CHECK(site::format_number(-2.5e-7) == "-2.5e-07");
    CHECK(site::line_chart({}, {}).find("No values.") != std::string::npos);
}
