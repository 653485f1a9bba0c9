#include <catch2/catch.hpp>

#include <cmath>

#include <mlops/serve/request.hpp>

using namespace mlops;

namespace {
// age (numeric), plan (categorical: basic, pro); target "churn".
ml::Preprocessor model(ml::Missing missing = ml::Missing::error, ml::Unknown unknown = ml::Unknown::error) {
    ml::Preprocessor p;
    p.missing = missing;
    p.unknown = unknown;
    p.target = "churn";
    ml::Feature age;
    age.name = "age";
    age.fill = 40;
    ml::Feature plan;
    plan.name = "plan";
    plan.categorical = true;
    plan.categories = {"basic", "pro"};
    plan.fill_category = "basic";
    p.features = {age, plan};
    p.center = {40, 0, 0};
    p.scale = {10, 1, 1};
    return p;
}
const char* k_json = "application/json";

void check_rows(const serve::Batch& b) {
    REQUIRE(b.frame.rows == 2);
    CHECK(b.frame.columns[0].numbers[0] == 41);
    CHECK(b.frame.columns[0].numbers[1] == 35);
    CHECK(b.frame.columns[1].texts[0] == "pro");
    CHECK(b.frame.columns[1].texts[1] == "basic");
    REQUIRE(b.inputs.size() == 2);
    CHECK(b.inputs[0]["age"] == 41);
    CHECK(b.inputs[0]["plan"] == "pro");
}

std::string rejected(std::string_view ct, std::string_view body, const ml::Preprocessor& p, int status = 400) {
    auto r = serve::parse_invocation(ct, body, p);
    REQUIRE_FALSE(r);
    CHECK(r.error().status == status);
    return r.error().error;
}
} // namespace

TEST_CASE("serve.request: the four JSON formats and CSV give the same rows", "[serve]") {
    auto p = model();
    const char* bodies[] = {
        R"({"dataframe_split": {"columns": ["age", "plan"], "data": [[41, "pro"], [35, "basic"]]}})",
        R"({"dataframe_records": [{"age": 41, "plan": "pro"}, {"age": 35, "plan": "basic"}]})",
        R"({"instances": [{"age": 41, "plan": "pro"}, {"plan": "basic", "age": 35}]})",
        R"({"inputs": {"age": [41, 35], "plan": ["pro", "basic"]}})",
        R"({"instances": [[41, "pro"], [35, "basic"]]})",
    };
    for (const char* body : bodies) {
        INFO(body);
        auto b = serve::parse_invocation("application/json; charset=utf-8", body, p);
        REQUIRE(b);
        check_rows(*b);
    }
    auto c = serve::parse_invocation("text/csv", "age,plan,churn\r\n41,pro,yes\n\n35,basic,no\n", p);
    REQUIRE(c);
    check_rows(*c);
    CHECK(c->inputs[0]["churn"] == "yes"); // the target travels along (for the log)
    auto one = serve::parse_invocation(k_json, R"({"inputs": {"age": 41, "plan": "pro"}})", p);
    REQUIRE(one);
    CHECK(one->frame.rows == 1);
}

TEST_CASE("serve.request: bad requests name the field", "[serve]") {
    auto p = model();
    CHECK(rejected("text/plain", "x", p, 415).find("text/plain") != std::string::npos);
    CHECK(rejected("", "x", p, 415).find("none") != std::string::npos);
    CHECK(rejected(k_json, "{\"inputs\": [", p).starts_with("malformed JSON"));
    CHECK(rejected(k_json, R"({"rows": []})", p).find("none of dataframe_split") != std::string::npos);
    CHECK(rejected(k_json, R"({"inputs": [], "instances": []})", p).find("instances and inputs") != std::string::npos);
    CHECK(rejected(k_json, R"({"inputs": []})", p) == "the request has no rows");
    CHECK(rejected(k_json, R"({"inputs": [{"age": 41}]})", p) == "row 1: missing column plan");
    CHECK(rejected(k_json, R"({"inputs": [{"age": 41, "plan": "pro", "zip": 1}]})", p).starts_with("row 1: unknown column 'zip'"));
    CHECK(rejected(k_json, R"({"inputs": [{"age": "41", "plan": "pro"}]})", p) ==
          "row 1, column 'age': expected a number, got a string \"41\"");
    CHECK(rejected(k_json, R"({"inputs": [{"age": 1, "plan": "pro"}, {"age": 2, "plan": "gold"}]})", p) ==
          "row 2, column 'plan': unknown category 'gold' (known: basic, pro)");
    CHECK(rejected(k_json, R"({"inputs": [{"age": NaN, "plan": "pro"}]})", p).starts_with("row 1, column 'age': missing value"));
    CHECK(rejected(k_json, R"({"inputs": [{"age": null, "plan": "pro"}]})", p).starts_with("row 1, column 'age': missing value"));
    CHECK(rejected(k_json, R"({"inputs": [{"age": -Infinity, "plan": "pro"}]})", p) ==
          "row 1, column 'age': -Infinity is not a finite number");
    CHECK(rejected(k_json, R"({"inputs": [{"age": true, "plan": "pro"}]})", p).find("a boolean") != std::string::npos);
    CHECK(rejected("text/csv", "age,plan\n41\n", p) == "CSV line 2: 1 fields, the header has 2");
    CHECK(rejected("text/csv", "age,plan\nold,pro\n", p) == "row 1, column 'age': expected a number, got a string \"old\"");
    // Rows that were read come back with the rejection (for the log).
    auto r = serve::parse_invocation(k_json, R"({"inputs": [{"age": 1, "plan": "gold"}]})", p);
    REQUIRE_FALSE(r);
    CHECK(r.error().inputs[0]["plan"] == "gold");
}

TEST_CASE("serve.request: missing values and unknown categories follow the model's policy", "[serve]") {
    auto p = model(ml::Missing::mean, ml::Unknown::ignore);
    auto b = serve::parse_invocation(k_json, R"({"inputs": [{"age": NaN, "plan": "gold"}, {"age": null, "plan": null}]})", p);
    REQUIRE(b);
    CHECK(std::isnan(b->frame.columns[0].numbers[0]));
    CHECK(b->frame.columns[1].texts[0] == "gold");
    CHECK(b->frame.columns[1].texts[1].empty());
    auto x = p.transform(b->frame);
    REQUIRE(x);
    CHECK(x->at(0, 0) == 0.0f);                           // the mean (40) standardized
    CHECK((x->at(0, 1) == 0.0f && x->at(0, 2) == 0.0f)); // unknown: all zeros
    CHECK(x->at(1, 1) == 1.0f);                           // missing: the most frequent category
}

TEST_CASE("serve.request: NaN and Infinity are replaced outside strings only", "[serve]") {
    CHECK(serve::replace_non_finite(R"({"a": NaN, "b": "NaN \" Infinity", "c": [-Infinity, Infinity]})") ==
          R"({"a": null, "b": "NaN \" Infinity", "c": [-1.7976931348623157e308, 1.7976931348623157e308]})");
}
