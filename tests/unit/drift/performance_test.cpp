#include <catch2/catch.hpp>

#include <mlops/drift/performance.hpp>

#include "scratch.hpp"

using namespace mlops;

TEST_CASE("drift.performance: accuracy and RMSE from prediction and label columns", "[drift]") {
    test::Scratch s;
    s.write("c.csv", "pred,label,y,yhat\na,a,1,1.5\nb,a,2,2\nb,b,NA,3\n,b,4,4\n");
    ml::CsvOptions o;
    o.text_columns = {"pred", "label"};
    auto f = ml::read_csv(s / "c.csv", o);
    REQUIRE(f);
    drift::PerformanceTracker cls, reg;
    cls.add(*f, "pred", "label");
    reg.add(*f, "yhat", "y");
    CHECK(cls.rows() == 3); // the row without a prediction is skipped
    CHECK(cls.accuracy() == Approx(2.0 / 3));
    CHECK(reg.rows() == 3);
    CHECK(reg.rmse() == Approx(std::sqrt(0.25 / 3)));
    auto r = drift::compare_performance("classification", "column pred", 0.9, 0.8, -1);
    CHECK(r.drifted); // dropped by 0.1 > 0.05
    CHECK(!drift::compare_performance("classification", "column pred", 0.9, 0.87, -1).drifted);
    auto g = drift::compare_performance("regression", "column yhat", 2.0, 2.3, -1);
    CHECK(g.threshold == Approx(0.2));
    CHECK(g.drifted);
}

TEST_CASE("drift.performance: which targets look like classes", "[drift]") {
    drift::ColumnProfile t;
    t.type = drift::ColumnType::numeric;
    for (double v : {0.0, 1.0, 1.0, 2.0}) t.add_number(v);
    CHECK(drift::looks_like_classes(t));
    t.add_number(0.5);
    CHECK(!drift::looks_like_classes(t));
}
