#include <catch2/catch.hpp>

#include <mlops/ml/metrics.hpp>

using namespace mlops;

TEST_CASE("ml.metrics: binary classification against hand-computed values", "[ml]") {
    // truth 0 0 1 1; P(class 1) = .1 .4 .35 .8 -> predicted 0 0 0 1
    std::vector<int> truth{0, 0, 1, 1};
    std::vector<float> probs{0.9f, 0.1f, 0.6f, 0.4f, 0.65f, 0.35f, 0.2f, 0.8f};
    auto m = ml::classification_metrics(truth, probs, {"0", "1"});
    CHECK(m.accuracy == Approx(0.75));
    CHECK(m.confusion == std::vector<std::vector<std::size_t>>{{2, 0}, {1, 1}});
    CHECK(m.per_class[0].precision == Approx(2.0 / 3));
    CHECK(m.per_class[0].recall == Approx(1.0));
    CHECK(m.per_class[0].f1 == Approx(0.8));
    CHECK(m.per_class[1].precision == Approx(1.0));
    CHECK(m.per_class[1].recall == Approx(0.5));
    CHECK(m.per_class[1].f1 == Approx(2.0 / 3));
    CHECK(m.precision_macro == Approx(5.0 / 6));
    CHECK(m.recall_macro == Approx(0.75));
    CHECK(m.f1_macro == Approx((0.8 + 2.0 / 3) / 2));
    REQUIRE(m.roc_auc);
    CHECK(*m.roc_auc == Approx(0.75)); // scikit-learn's roc_auc_score example
    // -(ln .9 + ln .6 + ln .35 + ln .8) / 4
    CHECK(m.log_loss == Approx(0.4722879).epsilon(1e-6));
    auto j = ml::to_json(m);
    CHECK(j["per_class"]["1"]["support"] == 2);
    CHECK(j["confusion_matrix"]["matrix"][1][0] == 1);
}

TEST_CASE("ml.metrics: ROC AUC counts ties as one half and needs both classes", "[ml]") {
    CHECK(*ml::roc_auc({1, 0}, {0.5, 0.5}) == Approx(0.5));
    CHECK(*ml::roc_auc({0, 1, 0, 1}, {0.1, 0.9, 0.2, 0.8}) == Approx(1.0));
    CHECK(*ml::roc_auc({1, 0}, {0.1, 0.9}) == Approx(0.0));
    CHECK_FALSE(ml::roc_auc({1, 1}, {0.1, 0.9}));
}

TEST_CASE("ml.metrics: multi-class one-vs-rest AUC is the macro average", "[ml]") {
    std::vector<int> truth{0, 1, 2, 2};
    std::vector<float> probs{0.8f, 0.1f, 0.1f, 0.2f, 0.7f, 0.1f, 0.1f, 0.2f, 0.7f, 0.5f, 0.1f, 0.4f};
    auto m = ml::classification_metrics(truth, probs, {"a", "b", "c"});
    CHECK(m.accuracy == Approx(0.75));
    // class a: positive scores .8 vs .2,.1,.5 -> 1; b: .7 vs .1,.2,.1 -> 1; c: .7,.4 vs .1,.1 -> 1
    REQUIRE(m.roc_auc);
    CHECK(*m.roc_auc == Approx(1.0));
    CHECK(m.per_class[2].recall == Approx(0.5));
    CHECK(m.per_class[0].precision == Approx(0.5));
}

TEST_CASE("ml.metrics: regression against scikit-learn's documented examples", "[ml]") {
    auto m = ml::regression_metrics({3, -0.5, 2, 7}, {2.5, 0.0, 2, 8});
    CHECK(m.rmse == Approx(std::sqrt(0.375)));
    CHECK(m.mae == Approx(0.5));
    CHECK(m.r2 == Approx(0.9486081).epsilon(1e-6));
}

TEST_CASE("ml.metrics: --min/--max thresholds", "[ml]") {
    nlohmann::json m{{"accuracy", 0.9}, {"log_loss", 0.3}, {"roc_auc", nullptr}, {"n", 10}};
    auto a = ml::parse_threshold("accuracy=0.95", true);
    REQUIRE(a);
    auto b = ml::parse_threshold("log_loss=0.5", false);
    REQUIRE(b);
    auto misses = ml::check_thresholds(m, {*a, *b});
    REQUIRE(misses);
    REQUIRE(misses->size() == 1);
    CHECK((*misses)[0] == "accuracy 0.9 < 0.95");
    CHECK(ml::check_thresholds(m, {*ml::parse_threshold("accuracy=0.9", true)})->empty());
    auto typo = ml::check_thresholds(m, {*ml::parse_threshold("acuracy=0.9", true)});
    REQUIRE_FALSE(typo);
    CHECK(typo.error().message.find("did you mean 'accuracy'?") != std::string::npos);
    CHECK_FALSE(ml::parse_threshold("accuracy", true));
    CHECK_FALSE(ml::parse_threshold("accuracy=high", true));
}
