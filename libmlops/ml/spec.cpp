#include <mlops/ml/spec.hpp>

#include <map>
#include <set>

#include <yaml-cpp/yaml.h>

#include <mlops/util/fs.hpp>
#include <mlops/util/paths.hpp>
#include <mlops/util/strings.hpp>

namespace mlops::ml {

const char* to_string(Task v) { return v == Task::classification ? "classification" : "regression"; }
const char* to_string(Missing v) {
    switch (v) {
    case Missing::error: return "error";
    case Missing::mean: return "mean";
    case Missing::median: return "median";
    case Missing::drop: return "drop";
    }
    return "?";
}
const char* to_string(Unknown v) { return v == Unknown::error ? "error" : "ignore"; }
const char* to_string(Scaling v) {
    return v == Scaling::standardize ? "standardize" : v == Scaling::none ? "none" : "minmax";
}
const char* to_string(ModelType v) { return v == ModelType::linear ? "linear" : v == ModelType::mlp ? "mlp" : "cnn"; }
const char* to_string(Activation v) {
    return v == Activation::relu ? "relu" : v == Activation::gelu ? "gelu" : "tanh";
}
const char* to_string(Optimizer v) { return v == Optimizer::adam ? "adam" : v == Optimizer::adamw ? "adamw" : "sgd"; }

namespace {

// The schema: every section and its keys.
const std::map<std::string, std::vector<std::string>> k_schema = {
    {"", {"task", "data", "preprocess", "model", "train"}},
    {"data",
     {"train", "test", "validation_split", "target", "features", "exclude", "categorical", "missing", "unknown"}},
    {"model", {"type", "hidden", "activation", "dropout", "input_shape", "channels", "kernel_size"}},
    {"train",
     {"optimizer", "lr", "weight_decay", "momentum", "epochs", "batch_size", "seed", "threads", "early_stopping"}},
    {"train.early_stopping", {"monitor", "patience", "min_delta"}},
};

std::string join_key(const std::string& section, const std::string& key) {
    return section.empty() ? key : section + "." + key;
}

struct Parser {
    std::string file;
    std::set<std::string> overridden;

    std::string where(const YAML::Node& n, const std::string& path) const {
        for (std::string p = path;; p = p.substr(0, p.rfind('.'))) {
            if (overridden.count(p)) return "--set " + p;
            if (p.find('.') == std::string::npos) break;
        }
        auto m = n.Mark();
        if (m.line < 0) return file;
        return fmt::format("{}:{}:{}", file, m.line + 1, m.column + 1);
    }
    util::Error error(const YAML::Node& n, const std::string& path, const std::string& what) const {
        return util::Error::usage(fmt::format("{}: {}: {}", where(n, path), path, what));
    }

    util::Status check_keys(const YAML::Node& map, const std::string& section) const {
        if (!map.IsMap())
            return util::fail(error(map, section.empty() ? "spec" : section, "expected a mapping"));
        const auto& allowed = k_schema.at(section);
        for (const auto& kv : map) {
            auto key = kv.first.as<std::string>();
            if (std::find(allowed.begin(), allowed.end(), key) != allowed.end()) continue;
            auto near = util::closest_match(key, allowed);
            std::string where_ = where(kv.first, join_key(section, key));
            return util::fail(util::Error::usage(
                fmt::format("{}: unknown key '{}'{}{}", where_, join_key(section, key),
                            section.empty() ? "" : " in " + section,
                            near.empty() ? fmt::format(" (valid: {})", fmt::join(allowed, ", "))
                                         : fmt::format(" (did you mean '{}'?)", near))));
        }
        return {};
    }

    util::Result<std::string> str(const YAML::Node& n, const std::string& path) const {
        if (!n.IsScalar()) return util::fail(error(n, path, "expected a single value"));
        return n.Scalar();
    }
    util::Result<double> number(const YAML::Node& n, const std::string& path) const {
        auto s = MLOPS_TRY(str(n, path));
        try {
            std::size_t used = 0;
            double v = std::stod(s, &used);
            if (used == s.size()) return v;
        } catch (...) {
        }
        return util::fail(error(n, path, fmt::format("'{}' is not a number", s)));
    }
    util::Result<std::int64_t> integer(const YAML::Node& n, const std::string& path, std::int64_t min) const {
        auto s = MLOPS_TRY(str(n, path));
        try {
            std::size_t used = 0;
            long long v = std::stoll(s, &used);
            if (used == s.size()) {
                if (v < min) return util::fail(error(n, path, fmt::format("must be at least {}", min)));
                return std::int64_t(v);
            }
        } catch (...) {
        }
        return util::fail(error(n, path, fmt::format("'{}' is not an integer", s)));
    }
    template <class E>
    util::Result<E> choice(const YAML::Node& n, const std::string& path, std::initializer_list<E> values) const {
        auto s = MLOPS_TRY(str(n, path));
        std::vector<std::string> names;
        for (E v : values) {
            if (s == to_string(v)) return v;
            names.emplace_back(to_string(v));
        }
        auto near = util::closest_match(s, names);
        return util::fail(error(n, path,
                                fmt::format("'{}' is not one of {}{}", s, fmt::join(names, ", "),
                                            near.empty() ? "" : fmt::format(" (did you mean '{}'?)", near))));
    }
    util::Result<std::vector<std::string>> strings(const YAML::Node& n, const std::string& path) const {
        std::vector<std::string> out;
        if (n.IsNull()) return out;
        if (n.IsScalar()) return std::vector<std::string>{n.Scalar()};
        if (!n.IsSequence()) return util::fail(error(n, path, "expected a list"));
        for (const auto& item : n) out.push_back(MLOPS_TRY(str(item, path)));
        return out;
    }
    util::Result<std::vector<std::int64_t>> ints(const YAML::Node& n, const std::string& path, std::int64_t min) const {
        std::vector<std::int64_t> out;
        if (n.IsNull()) return out;
        if (n.IsScalar()) return std::vector<std::int64_t>{MLOPS_TRY(integer(n, path, min))};
        if (!n.IsSequence()) return util::fail(error(n, path, "expected a list of integers"));
        for (const auto& item : n) out.push_back(MLOPS_TRY(integer(item, path, min)));
        return out;
    }
};

util::Status apply_override(YAML::Node& root, const std::string& text, std::set<std::string>& overridden) {
    auto eq = text.find('=');
    if (eq == std::string::npos || eq == 0)
        return util::fail(util::Error::usage(fmt::format("--set '{}': expected KEY=VALUE (e.g. train.lr=0.01)", text)));
    std::string key = text.substr(0, eq), value = text.substr(eq + 1);
    auto parts = util::split(key, '.');
    std::string section;
    for (std::size_t i = 0; i < parts.size(); ++i) {
        std::string part(parts[i]);
        auto it = k_schema.find(section);
        if (it == k_schema.end())
            return util::fail(util::Error::usage(fmt::format("--set {}: '{}' is not a section", key, section)));
        const auto& allowed = it->second;
        if (std::find(allowed.begin(), allowed.end(), part) == allowed.end()) {
            auto near = util::closest_match(part, allowed);
            return util::fail(util::Error::usage(
                fmt::format("--set {}: unknown key '{}'{}", key, join_key(section, part),
                            near.empty() ? fmt::format(" (valid: {})", fmt::join(allowed, ", "))
                                         : fmt::format(" (did you mean '{}'?)", join_key(section, near)))));
        }
        section = join_key(section, part);
    }
    if (value.empty()) return util::fail(util::Error::usage(fmt::format("--set {}: no value after '='", key)));
    YAML::Node v;
    try {
        v = YAML::Load(value);
    } catch (const YAML::Exception& e) {
        return util::fail(util::Error::usage(fmt::format("--set {}: bad value '{}': {}", key, value, e.msg)));
    }
    // Walk (creating mappings) to the parent and set the key.
    std::vector<YAML::Node> chain{root};
    for (std::size_t i = 0; i + 1 < parts.size(); ++i) {
        YAML::Node child = chain.back()[std::string(parts[i])];
        if (!child.IsDefined() || child.IsNull()) {
            chain.back()[std::string(parts[i])] = YAML::Node(YAML::NodeType::Map);
            child = chain.back()[std::string(parts[i])];
        }
        if (!child.IsMap())
            return util::fail(util::Error::usage(fmt::format("--set {}: '{}' is not a mapping in the spec", key,
                                                             fmt::join(parts.begin(), parts.begin() + i + 1, "."))));
        chain.push_back(child);
    }
    chain.back()[std::string(parts.back())] = v;
    overridden.insert(key);
    return {};
}

} // namespace

std::string ModelSpec::resolve(const std::string& path) const {
    if (path.empty() || path.front() == '/' || dir.empty() || dir == ".") return path;
    return util::join_path(dir, path);
}

util::Result<ModelSpec> parse_spec(const std::string& text, const std::string& file,
                                   const std::vector<std::string>& overrides) {
    Parser p{file, {}};
    YAML::Node root;
    try {
        root = YAML::Load(text);
    } catch (const YAML::Exception& e) {
        return util::fail(util::Error::usage(
            fmt::format("{}:{}:{}: {}", file, e.mark.line + 1, e.mark.column + 1, e.msg)));
    }
    if (!root.IsDefined() || root.IsNull()) root = YAML::Node(YAML::NodeType::Map);
    if (!root.IsMap()) return util::fail(util::Error::usage(fmt::format("{}: a model spec is a mapping (task, data, model, train)", file)));
    for (const auto& o : overrides) MLOPS_TRYV(apply_override(root, o, p.overridden));

    ModelSpec s;
    s.file = file;
    s.dir = util::parent_path(file);
    try {
        MLOPS_TRYV(p.check_keys(root, ""));
        if (auto n = root["task"]) s.task = MLOPS_TRY(p.choice(n, "task", {Task::classification, Task::regression}));
        if (auto n = root["preprocess"])
            s.preprocess = MLOPS_TRY(p.choice(n, "preprocess", {Scaling::standardize, Scaling::none, Scaling::minmax}));

        auto data = root["data"];
        if (!data) return util::fail(util::Error::usage(fmt::format("{}: data is required (data.train, data.target)", file)));
        MLOPS_TRYV(p.check_keys(data, "data"));
        auto& d = s.data;
        if (auto n = data["train"]) d.train = MLOPS_TRY(p.str(n, "data.train"));
        if (auto n = data["test"]) d.test = MLOPS_TRY(p.str(n, "data.test"));
        if (auto n = data["target"]) d.target = MLOPS_TRY(p.str(n, "data.target"));
        if (d.train.empty()) return util::fail(util::Error::usage(fmt::format("{}: data.train is required", file)));
        if (d.target.empty()) return util::fail(util::Error::usage(fmt::format("{}: data.target is required", file)));
        if (auto n = data["validation_split"]) {
            d.validation_split = MLOPS_TRY(p.number(n, "data.validation_split"));
            if (d.validation_split < 0 || d.validation_split >= 1)
                return util::fail(p.error(n, "data.validation_split", "must be in [0, 1)"));
        }
        if (auto n = data["features"]) {
            if (n.IsScalar() && n.Scalar() == "all")
                d.all_features = true;
            else {
                d.features = MLOPS_TRY(p.strings(n, "data.features"));
                d.all_features = false;
                if (d.features.empty()) return util::fail(p.error(n, "data.features", "'all' or a non-empty list"));
            }
        }
        if (auto n = data["exclude"]) d.exclude = MLOPS_TRY(p.strings(n, "data.exclude"));
        if (auto n = data["categorical"]) d.categorical = MLOPS_TRY(p.strings(n, "data.categorical"));
        if (auto n = data["missing"])
            d.missing = MLOPS_TRY(p.choice(n, "data.missing", {Missing::error, Missing::mean, Missing::median, Missing::drop}));
        if (auto n = data["unknown"]) d.unknown = MLOPS_TRY(p.choice(n, "data.unknown", {Unknown::error, Unknown::ignore}));

        if (auto model = root["model"]) {
            MLOPS_TRYV(p.check_keys(model, "model"));
            auto& m = s.model;
            if (auto n = model["type"]) m.type = MLOPS_TRY(p.choice(n, "model.type", {ModelType::linear, ModelType::mlp, ModelType::cnn}));
            if (auto n = model["hidden"]) m.hidden = MLOPS_TRY(p.ints(n, "model.hidden", 1));
            if (auto n = model["activation"])
                m.activation = MLOPS_TRY(p.choice(n, "model.activation", {Activation::relu, Activation::gelu, Activation::tanh}));
            if (auto n = model["dropout"]) {
                m.dropout = MLOPS_TRY(p.number(n, "model.dropout"));
                if (m.dropout < 0 || m.dropout >= 1) return util::fail(p.error(n, "model.dropout", "must be in [0, 1)"));
            }
            if (auto n = model["input_shape"]) {
                m.input_shape = MLOPS_TRY(p.ints(n, "model.input_shape", 1));
                if (m.input_shape.size() == 2) m.input_shape.insert(m.input_shape.begin(), 1);
                if (m.input_shape.size() != 3)
                    return util::fail(p.error(n, "model.input_shape", "expected [channels, height, width]"));
            }
            if (auto n = model["channels"]) m.channels = MLOPS_TRY(p.ints(n, "model.channels", 1));
            if (auto n = model["kernel_size"]) m.kernel_size = MLOPS_TRY(p.integer(n, "model.kernel_size", 1));
            if (m.type == ModelType::cnn && m.input_shape.empty())
                return util::fail(p.error(model, "model.input_shape", "is required for model type cnn (e.g. [1, 8, 8])"));
            if (m.type == ModelType::cnn && m.channels.empty())
                return util::fail(p.error(model, "model.channels", "needs at least one convolution"));
        }
        if (s.model.type == ModelType::linear) s.model.hidden.clear();
        if (s.model.type != ModelType::cnn) {
            s.model.channels.clear();
        }

        if (auto train = root["train"]) {
            MLOPS_TRYV(p.check_keys(train, "train"));
            auto& t = s.train;
            if (auto n = train["optimizer"])
                t.optimizer = MLOPS_TRY(p.choice(n, "train.optimizer", {Optimizer::adam, Optimizer::adamw, Optimizer::sgd}));
            if (auto n = train["lr"]) {
                t.lr = MLOPS_TRY(p.number(n, "train.lr"));
                if (!(t.lr > 0)) return util::fail(p.error(n, "train.lr", "must be positive"));
            }
            if (auto n = train["weight_decay"]) t.weight_decay = MLOPS_TRY(p.number(n, "train.weight_decay"));
            if (auto n = train["momentum"]) t.momentum = MLOPS_TRY(p.number(n, "train.momentum"));
            if (auto n = train["epochs"]) t.epochs = MLOPS_TRY(p.integer(n, "train.epochs", 1));
            if (auto n = train["batch_size"]) t.batch_size = MLOPS_TRY(p.integer(n, "train.batch_size", 1));
            if (auto n = train["seed"]) t.seed = std::uint64_t(MLOPS_TRY(p.integer(n, "train.seed", 0)));
            if (auto n = train["threads"]) t.threads = MLOPS_TRY(p.integer(n, "train.threads", 1));
            if (auto es = train["early_stopping"]) {
                if (es.IsScalar() && (es.Scalar() == "false" || es.Scalar() == "off")) {
                    t.early_stopping.enabled = false;
                } else {
                    MLOPS_TRYV(p.check_keys(es, "train.early_stopping"));
                    t.early_stopping.enabled = true;
                    if (auto n = es["monitor"]) {
                        t.early_stopping.monitor = MLOPS_TRY(p.str(n, "train.early_stopping.monitor"));
                        std::vector<std::string> ok{"val_loss", "train_loss"};
                        if (s.task == Task::classification) ok.push_back("val_accuracy");
                        if (std::find(ok.begin(), ok.end(), t.early_stopping.monitor) == ok.end()) {
                            auto near = util::closest_match(t.early_stopping.monitor, ok);
                            return util::fail(p.error(n, "train.early_stopping.monitor",
                                                      fmt::format("'{}' is not one of {}{}", t.early_stopping.monitor,
                                                                  fmt::join(ok, ", "),
                                                                  near.empty() ? "" : fmt::format(" (did you mean '{}'?)", near))));
                        }
                    }
                    if (auto n = es["patience"]) t.early_stopping.patience = MLOPS_TRY(p.integer(n, "train.early_stopping.patience", 1));
                    if (auto n = es["min_delta"]) t.early_stopping.min_delta = MLOPS_TRY(p.number(n, "train.early_stopping.min_delta"));
                }
            }
        }
    } catch (const YAML::Exception& e) {
        return util::fail(util::Error::usage(fmt::format("{}:{}:{}: {}", file, e.mark.line + 1, e.mark.column + 1, e.msg)));
    }
    return s;
}

util::Result<ModelSpec> load_spec(const std::string& file, const std::vector<std::string>& overrides) {
    auto text = util::read_file(file);
    if (!text) return util::fail(util::Error::usage(fmt::format("{}: cannot read the model spec: {}", file, text.error().message)));
    return parse_spec(*text, file, overrides);
}

nlohmann::json ModelSpec::to_json() const {
    nlohmann::json j;
    j["task"] = to_string(task);
    auto& d = j["data"];
    d["train"] = data.train;
    d["test"] = data.test.empty() ? nlohmann::json(nullptr) : nlohmann::json(data.test);
    d["validation_split"] = data.validation_split;
    d["target"] = data.target;
    d["features"] = data.all_features ? nlohmann::json("all") : nlohmann::json(data.features);
    d["exclude"] = data.exclude;
    d["categorical"] = data.categorical;
    d["missing"] = to_string(data.missing);
    d["unknown"] = to_string(data.unknown);
    j["preprocess"] = to_string(preprocess);
    auto& m = j["model"];
    m["type"] = to_string(model.type);
    m["hidden"] = model.hidden;
    m["activation"] = to_string(model.activation);
    m["dropout"] = model.dropout;
    if (model.type == ModelType::cnn) {
        m["input_shape"] = model.input_shape;
        m["channels"] = model.channels;
        m["kernel_size"] = model.kernel_size;
    }
    auto& t = j["train"];
    t["optimizer"] = to_string(train.optimizer);
    t["lr"] = train.lr;
    t["weight_decay"] = train.weight_decay;
    t["momentum"] = train.momentum;
    t["epochs"] = train.epochs;
    t["batch_size"] = train.batch_size;
    t["seed"] = train.seed;
    t["threads"] = train.threads;
    if (train.early_stopping.enabled)
        t["early_stopping"] = {{"monitor", train.early_stopping.monitor},
                               {"patience", train.early_stopping.patience},
                               {"min_delta", train.early_stopping.min_delta}};
    return j;
}

util::Result<ModelSpec> spec_from_json(const nlohmann::json& j) {
    // JSON is YAML: parse it with the same code, so both sides agree on every default.
    nlohmann::json copy = j;
    if (copy.contains("data") && copy["data"].contains("test") && copy["data"]["test"].is_null())
        copy["data"].erase("test");
    return parse_spec(copy.dump(), "manifest.json");
}

} // namespace mlops::ml
