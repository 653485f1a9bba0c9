#include <catch2/catch.hpp>

#include <mlops/ml/spec.hpp>

using namespace mlops;

namespace {
const char* k_spec = R"(task: classification
data:
  train: data/train.csv
  test: data/test.csv
  target: target
  exclude: [id]
  categorical: [weather]
  missing: median
preprocess: minmax
model:
  type: mlp
  hidden: [16, 8]
  activation: gelu
  dropout: 0.1
train:
  optimizer: sgd
  lr: 0.05
  epochs: 7
  batch_size: 32
  seed: 3
  early_stopping: {monitor: val_accuracy, patience: 2}
)";
}

TEST_CASE("ml.spec: every key is read; defaults fill the rest", "[ml]") {
    auto s = ml::parse_spec(k_spec, "conf/model.yaml");
    REQUIRE(s);
    CHECK(s->data.train == "data/train.csv");
    CHECK(s->resolve(s->data.train) == "conf/data/train.csv");
    CHECK(s->data.exclude == std::vector<std::string>{"id"});
    CHECK(s->data.missing == ml::Missing::median);
    CHECK(s->preprocess == ml::Scaling::minmax);
    CHECK(s->model.hidden == std::vector<std::int64_t>{16, 8});
    CHECK(s->model.activation == ml::Activation::gelu);
    CHECK(s->train.optimizer == ml::Optimizer::sgd);
    CHECK(s->train.momentum == 0.9);
    CHECK(s->train.epochs == 7);
    CHECK(s->train.threads == 1);
    CHECK(s->train.early_stopping.enabled);
    CHECK(s->train.early_stopping.monitor == "val_accuracy");
    CHECK(s->train.early_stopping.patience == 2);

    auto d = ml::parse_spec("data: {train: t.csv, target: y}\n", "m.yaml");
    REQUIRE(d);
    CHECK(d->task == ml::Task::classification);
    CHECK(d->data.all_features);
    CHECK(d->data.missing == ml::Missing::error);
    CHECK(d->preprocess == ml::Scaling::standardize);
    CHECK(d->model.type == ml::ModelType::mlp);
    CHECK(d->model.hidden == std::vector<std::int64_t>{64, 32});
    CHECK(d->train.lr == 0.001);
    CHECK(d->train.batch_size == 64);
    CHECK(d->train.seed == 42);
    CHECK_FALSE(d->train.early_stopping.enabled);
}

TEST_CASE("ml.spec: a typo names the file, line and the closest key", "[ml]") {
    auto s = ml::parse_spec("data: {train: t.csv, target: y}\ntrain:\n  lrr: 0.1\n", "m.yaml");
    REQUIRE_FALSE(s);
    CHECK(s.error().message == "m.yaml:3:3: unknown key 'train.lrr' in train (did you mean 'lr'?)");
    auto v = ml::parse_spec("data: {train: t.csv, target: y}\nmodel: {type: mpl}\n", "m.yaml");
    REQUIRE_FALSE(v);
    CHECK(v.error().message.find("model.type: 'mpl' is not one of linear, mlp, cnn (did you mean 'mlp'?)") != std::string::npos);
    CHECK_FALSE(ml::parse_spec("train: {lr: 0.1}\n", "m.yaml"));                                  // no data
    CHECK_FALSE(ml::parse_spec("data: {train: t.csv, target: y}\ntrain: {epochs: 0}\n", "m.yaml")); // at least 1
    CHECK_FALSE(ml::parse_spec("data: {train: t.csv, target: y}\ntrain: {lr: fast}\n", "m.yaml"));
    CHECK_FALSE(ml::parse_spec("data: {train: t.csv, target: y}\nmodel: {type: cnn}\n", "m.yaml")); // input_shape
}

TEST_CASE("ml.spec: --set overrides values and is checked against the schema", "[ml]") {
    auto s = ml::parse_spec(k_spec, "m.yaml", {"train.lr=0.01", "model.hidden=[4]", "train.early_stopping.patience=5"});
    REQUIRE(s);
    CHECK(s->train.lr == 0.01);
    CHECK(s->model.hidden == std::vector<std::int64_t>{4});
    CHECK(s->train.early_stopping.patience == 5);
    auto typo = ml::parse_spec(k_spec, "m.yaml", {"train.lrr=0.01"});
    REQUIRE_FALSE(typo);
    CHECK(typo.error().message == "--set train.lrr: unknown key 'train.lrr' (did you mean 'train.lr'?)");
    auto noeq = ml::parse_spec(k_spec, "m.yaml", {"train.lr"});
    REQUIRE_FALSE(noeq);
    CHECK(noeq.error().message.find("expected KEY=VALUE") != std::string::npos);
    auto bad = ml::parse_spec(k_spec, "m.yaml", {"train.epochs=many"});
    REQUIRE_FALSE(bad);
    CHECK(bad.error().message == "--set train.epochs: train.epochs: 'many' is not an integer");
}

TEST_CASE("ml.spec: the effective spec survives a round trip through JSON", "[ml]") {
    auto s = ml::parse_spec(k_spec, "m.yaml");
    REQUIRE(s);
    auto back = ml::spec_from_json(s->to_json());
    REQUIRE(back);
    CHECK(back->to_json() == s->to_json());
}
