#include <catch2/catch.hpp>

#include <mlops/drift/html.hpp>

using namespace mlops;

TEST_CASE("drift.html: a self-contained, escaped, deterministic page", "[drift]") {
    drift::Report r;
    r.reference = "a<b>.csv";
    r.current = "cur.csv";
    drift::ColumnResult c;
    c.name = "size & \"weight\"";
    c.type = "numeric";
    c.method = "wasserstein";
    c.score = 0.3;
    c.threshold = 0.1;
    c.drifted = true;
    c.histogram.bins = true;
    c.histogram.edges = {0, 1, 2};
    c.histogram.labels = {"0 - 1", "1 - 2"};
    c.histogram.reference = {3, 1};
    c.histogram.current = {1, 3};
    r.columns.push_back(c);
    drift::finish(r);
    auto html = drift::to_html(r);
    CHECK(html == drift::to_html(r));
    CHECK(html.find("a&lt;b&gt;.csv") != std::string::npos);
    CHECK(html.find("size &amp; &quot;weight&quot;") != std::string::npos);
    CHECK(html.find("<svg") != std::string::npos);
    CHECK(html.find("<script") == std::string::npos);
    CHECK(html.find("http://") == html.find("http://www.w3.org/2000/svg"));
    CHECK(html.find("Drift detected") != std::string::npos);
}
