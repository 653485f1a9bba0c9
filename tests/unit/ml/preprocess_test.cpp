#include <catch2/catch.hpp>

#include <cmath>

#include <mlops/ml/preprocess.hpp>

#include "scratch.hpp"

using namespace mlops;

namespace {
ml::ModelSpec spec_of(const std::string& yaml) {
    auto s = ml::parse_spec(yaml, "m.yaml");
    REQUIRE(s);
    return *s;
}
ml::Frame frame_of(const test::Scratch& s, const std::string& text, const ml::ModelSpec& spec) {
    s.write("d.csv", text);
    ml::CsvOptions o;
    o.text_columns = spec.data.categorical;
    o.text_columns.push_back(spec.data.target);
    auto f = ml::read_csv(s / "d.csv", o);
    REQUIRE(f);
    return *f;
}
} // namespace

TEST_CASE("ml.preprocess: standardize, impute the mean, one-hot categories", "[ml]") {
    test::Scratch s;
    auto spec = spec_of("data: {train: d.csv, target: y, categorical: [c], exclude: [id], missing: mean}\n");
    auto f = frame_of(s, "id,x,c,y\n7,1,a,no\n8,2,b,yes\n9,3,a,no\n10,,,yes\n", spec);
    auto p = ml::Preprocessor::fit(f, spec);
    REQUIRE(p);
    CHECK(p->input_names() == std::vector<std::string>{"x", "c=a", "c=b"});
    CHECK(p->features[0].fill == Approx(2.0));
    CHECK(p->features[1].fill_category == "a");
    CHECK(p->center[0] == Approx(2.0));
    CHECK(p->scale[0] == Approx(std::sqrt(2.0 / 3)));
    std::vector<std::size_t> kept;
    auto m = p->transform(f, &kept);
    REQUIRE(m);
    CHECK(m->rows == 4);
    CHECK(m->cols == 3);
    CHECK(m->at(0, 0) == Approx(-1 / std::sqrt(2.0 / 3)));
    CHECK(m->at(1, 2) == 1.0f);
    CHECK(m->at(3, 0) == Approx(0.0)); // mean-imputed
    CHECK(m->at(3, 1) == 1.0f);        // most frequent category
    auto enc = ml::TargetEncoder::fit(*f.find("y"), ml::Task::classification, "d.csv");
    REQUIRE(enc);
    CHECK(enc->classes == std::vector<std::string>{"no", "yes"});
    auto y = enc->encode(*f.find("y"), f, kept);
    REQUIRE(y);
    CHECK(*y == std::vector<float>{0, 1, 0, 1});
    // The manifest form gives back the same transform.
    auto back = ml::Preprocessor::from_json(p->to_json());
    REQUIRE(back);
    CHECK(back->transform(f)->data == m->data);
}

TEST_CASE("ml.preprocess: minmax, median and drop", "[ml]") {
    test::Scratch s;
    auto spec = spec_of("data: {train: d.csv, target: y, missing: drop}\npreprocess: minmax\n");
    auto f = frame_of(s, "x,y\n0,1\n10,2\n,1\n4,2\n", spec);
    auto p = ml::Preprocessor::fit(f, spec);
    REQUIRE(p);
    std::vector<std::size_t> kept;
    auto m = p->transform(f, &kept);
    REQUIRE(m);
    CHECK(kept == std::vector<std::size_t>{0, 1, 3});
    CHECK(m->data == std::vector<float>{0.0f, 1.0f, 0.4f});
    auto med = spec_of("data: {train: d.csv, target: y, missing: median}\npreprocess: none\n");
    auto pm = ml::Preprocessor::fit(f, med);
    REQUIRE(pm);
    CHECK(pm->features[0].fill == Approx(4.0));
    CHECK(pm->transform(f)->data == std::vector<float>{0, 10, 4, 4});
}

TEST_CASE("ml.preprocess: errors name the file, line and column", "[ml]") {
    test::Scratch s;
    auto spec = spec_of("data: {train: d.csv, target: y, categorical: [c]}\n");
    auto f = frame_of(s, "x,c,y\n1,a,0\n,b,1\n", spec);
    auto p = ml::Preprocessor::fit(f, spec);
    REQUIRE_FALSE(p);
    CHECK(p.error().message.find("d.csv: line 3, column 'x': missing value") != std::string::npos);

    auto nocol = spec_of("data: {train: d.csv, target: label}\n");
    auto q = ml::Preprocessor::fit(f, nocol);
    REQUIRE_FALSE(q);
    CHECK(q.error().message.find("no target column label") != std::string::npos);
    auto nofeat = spec_of("data: {train: d.csv, target: y, features: [x, z, w]}\n");
    CHECK(ml::Preprocessor::fit(f, nofeat).error().message.find("no feature columns z, w") != std::string::npos);

    auto ok = spec_of("data: {train: d.csv, target: y, categorical: [c], missing: mean}\n");
    auto good = ml::Preprocessor::fit(f, ok);
    REQUIRE(good);
    CHECK(good->check_columns({"x", "y"}, "new.csv").error().message ==
          "new.csv: columns do not match the model's signature: missing c");
    auto g = frame_of(s, "x,c,y\n1,purple,0\n", ok);
    auto t = good->transform(g);
    REQUIRE_FALSE(t);
    CHECK(t.error().message.find("line 2, column 'c': category 'purple' was not seen in training") != std::string::npos);
    good->unknown = ml::Unknown::ignore;
    auto ignored = good->transform(g);
    REQUIRE(ignored);
    CHECK(ignored->at(0, 1) == 0.0f);
    CHECK(ignored->at(0, 2) == 0.0f);
}

TEST_CASE("ml.preprocess: numeric class labels sort as numbers; regression targets are standardized", "[ml]") {
    test::Scratch s;
    auto spec = spec_of("data: {train: d.csv, target: y}\n");
    auto f = frame_of(s, "x,y\n1,10\n2,9\n3,2\n", spec);
    auto enc = ml::TargetEncoder::fit(*f.find("y"), ml::Task::classification, "d.csv");
    REQUIRE(enc);
    CHECK(enc->classes == std::vector<std::string>{"2", "9", "10"});
    s.write("r.csv", "x,y\n1,1\n2,3\n");
    auto r = ml::read_csv(s / "r.csv", {});
    REQUIRE(r);
    auto reg = ml::TargetEncoder::fit(*r->find("y"), ml::Task::regression, "r.csv");
    REQUIRE(reg);
    CHECK(reg->mean == Approx(2.0));
    CHECK(reg->std == Approx(1.0));
    CHECK(*reg->encode(*r->find("y"), *r, {0, 1}) == std::vector<float>{-1, 1});
}
