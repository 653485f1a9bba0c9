#include <catch2/catch.hpp>

#include <cmath>

#include <mlops/drift/report.hpp>

using namespace mlops;

namespace {
drift::Report sample() {
    drift::Report r;
    r.reference = "ref.csv";
    r.current = "cur.csv";
    for (auto [name, drifted, severity] : {std::tuple{"b", false, 0.5}, {"a", true, 3.0}, {"c", true, 9.0}}) {
        drift::ColumnResult c;
        c.name = name;
        c.type = "numeric";
        c.method = "ks";
        c.p_value_test = true;
        c.score = drifted ? 0.001 : 0.4;
        c.threshold = 0.05;
        c.drifted = drifted;
        c.severity = severity;
        r.columns.push_back(c);
    }
    return r;
}
} // namespace

TEST_CASE("drift.report: columns sorted by drift, the share and the verdict", "[drift]") {
    auto r = sample();
    drift::finish(r);
    CHECK(r.columns[0].name == "c");
    CHECK(r.columns[1].name == "a");
    CHECK(r.columns[2].name == "b");
    CHECK(r.drifted_columns == 2);
    CHECK(r.dataset_drift);
    CHECK(r.drift_detected);
    r.drift_share_threshold = 0.9;
    drift::finish(r);
    CHECK(!r.drift_detected);
}

TEST_CASE("drift.report: JSON and Markdown carry the same figures", "[drift]") {
    auto r = sample();
    r.columns[0].score = INFINITY; // JSON has no infinity
    drift::finish(r);
    auto j = drift::to_json(r);
    CHECK(j["dataset_drift"]["drifted_columns"] == 2);
    CHECK(j["columns"].size() == 3);
    CHECK(j["prediction"].is_null());
    bool has_null = false;
    for (const auto& c : j["columns"]) has_null |= c["score"].is_null();
    CHECK(has_null);
    auto md = drift::to_markdown(r);
    CHECK(md.find("### Drift report: **drift detected**") != std::string::npos);
    CHECK(md.find("| c | numeric | ks | 0.001 | 0.05 | **drift** | 0 / 0 |") != std::string::npos);
    CHECK(drift::format_number(NAN) == "-");
    CHECK(drift::format_number(1e-7) == "1.000e-07");
}
