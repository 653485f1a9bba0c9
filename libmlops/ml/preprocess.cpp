#include <mlops/ml/preprocess.hpp>

#include <algorithm>
#include <charconv>
#include <cmath>
#include <map>
#include <set>
#include <unordered_map>

namespace mlops::ml {

std::string format_number(double v) {
    if (std::isnan(v)) return "nan";
    char buf[64];
    auto [p, ec] = std::to_chars(buf, buf + sizeof buf, v);
    return std::string(buf, p);
}

namespace {

util::Error missing_column(const Frame& f, const std::vector<std::string>& names, const char* what) {
    std::vector<std::string> have;
    for (const auto& c : f.columns) have.push_back(c.name);
    return util::Error::usage(fmt::format("{}: no {} column{} {} (the header has: {})", f.path, what,
                                          names.size() > 1 ? "s" : "", fmt::join(names, ", "),
                                          fmt::join(have, ", ")));
}

util::Error missing_value(const Frame& f, std::size_t row, const std::string& col) {
    return util::Error::usage(fmt::format(
        "{}: line {}, column '{}': missing value (data.missing is error; set mean, median or drop)", f.path,
        f.line_of(row), col));
}

bool parse_double(const std::string& s, double& v) {
    auto [p, ec] = std::from_chars(s.data(), s.data() + s.size(), v);
    return ec == std::errc() && p == s.data() + s.size();
}

} // namespace

std::vector<std::string> Preprocessor::input_names() const {
    std::vector<std::string> out;
    for (const auto& f : features) {
        if (!f.categorical)
            out.push_back(f.name);
        else
            for (const auto& c : f.categories) out.push_back(f.name + "=" + c);
    }
    return out;
}

std::vector<std::string> Preprocessor::text_columns() const {
    std::vector<std::string> out;
    for (const auto& f : features)
        if (f.categorical) out.push_back(f.name);
    return out;
}

util::Result<Preprocessor> Preprocessor::fit(const Frame& train, const ModelSpec& spec) {
    Preprocessor p;
    p.scaling = spec.preprocess;
    p.missing = spec.data.missing;
    p.unknown = spec.data.unknown;
    p.target = spec.data.target;
    const auto& d = spec.data;
    if (!train.find(d.target)) return util::fail(missing_column(train, {d.target}, "target"));
    std::vector<std::string> names;
    if (d.all_features) {
        for (const auto& c : train.columns)
            if (c.name != d.target) names.push_back(c.name);
    } else {
        names = d.features;
        std::vector<std::string> absent;
        for (const auto& n : names)
            if (!train.find(n)) absent.push_back(n);
        if (!absent.empty()) return util::fail(missing_column(train, absent, "feature"));
        if (std::find(names.begin(), names.end(), d.target) != names.end())
            return util::fail(util::Error::usage(fmt::format("{}: data.features lists the target '{}'", spec.file, d.target)));
    }
    for (const auto& e : d.exclude) {
        if (!train.find(e)) return util::fail(missing_column(train, {e}, "excluded"));
        names.erase(std::remove(names.begin(), names.end(), e), names.end());
    }
    for (const auto& c : d.categorical)
        if (std::find(names.begin(), names.end(), c) == names.end())
            return util::fail(util::Error::usage(
                fmt::format("{}: data.categorical names '{}', which is not a feature", spec.file, c)));
    if (names.empty()) return util::fail(util::Error::usage(fmt::format("{}: no feature columns left", spec.file)));

    for (const auto& name : names) {
        const Column& col = *train.find(name);
        Feature feat;
        feat.name = name;
        feat.categorical = col.is_text;
        if (feat.categorical) {
            std::map<std::string, std::size_t> counts;
            for (std::size_t r = 0; r < train.rows; ++r) {
                if (col.texts[r].empty()) {
                    if (p.missing == Missing::error) return util::fail(missing_value(train, r, name));
                    continue;
                }
                ++counts[col.texts[r]];
            }
            std::size_t best = 0;
            for (const auto& [cat, n] : counts) {
                feat.categories.push_back(cat);
                if (n > best) {
                    best = n;
                    feat.fill_category = cat;
                }
            }
            for (std::size_t i = 0; i < feat.categories.size(); ++i) {
                p.center.push_back(0.0);
                p.scale.push_back(1.0);
            }
        } else {
            std::vector<double> values;
            values.reserve(train.rows);
            for (std::size_t r = 0; r < train.rows; ++r) {
                double v = col.numbers[r];
                if (std::isnan(v)) {
                    if (p.missing == Missing::error) return util::fail(missing_value(train, r, name));
                    continue;
                }
                values.push_back(v);
            }
            if (values.empty())
                return util::fail(util::Error::usage(fmt::format("{}: column '{}' has no values", train.path, name)));
            double sum = 0;
            for (double v : values) sum += v;
            double mean = sum / double(values.size());
            double var = 0;
            for (double v : values) var += (v - mean) * (v - mean);
            double sd = std::sqrt(var / double(values.size()));
            auto [mn, mx] = std::minmax_element(values.begin(), values.end());
            double lo = *mn, hi = *mx;
            if (p.missing == Missing::median) {
                std::vector<double> sorted = values;
                std::sort(sorted.begin(), sorted.end());
                std::size_t n = sorted.size();
                feat.fill = n % 2 ? sorted[n / 2] : (sorted[n / 2 - 1] + sorted[n / 2]) / 2;
            } else {
                feat.fill = mean;
            }
            switch (p.scaling) {
            case Scaling::standardize:
                p.center.push_back(mean);
                p.scale.push_back(sd > 0 ? sd : 1.0);
                break;
            case Scaling::minmax:
                p.center.push_back(lo);
                p.scale.push_back(hi > lo ? hi - lo : 1.0);
                break;
            case Scaling::none:
                p.center.push_back(0.0);
                p.scale.push_back(1.0);
                break;
            }
        }
        p.features.push_back(std::move(feat));
    }
    return p;
}

util::Status Preprocessor::check_columns(const std::vector<std::string>& header, const std::string& path) const {
    std::vector<std::string> absent;
    for (const auto& f : features)
        if (std::find(header.begin(), header.end(), f.name) == header.end()) absent.push_back(f.name);
    if (absent.empty()) return {};
    return util::fail(util::Error::usage(fmt::format("{}: columns do not match the model's signature: missing {}",
                                                     path, fmt::join(absent, ", "))));
}

util::Result<Matrix> Preprocessor::transform(const Frame& f, std::vector<std::size_t>* kept) const {
    std::vector<const Column*> cols;
    std::vector<std::string> absent;
    for (const auto& feat : features) {
        const Column* c = f.find(feat.name);
        if (!c) absent.push_back(feat.name);
        cols.push_back(c);
    }
    if (!absent.empty())
        return util::fail(util::Error::usage(fmt::format("{}: columns do not match the model's signature: missing {}",
                                                         f.path, fmt::join(absent, ", "))));
    for (std::size_t i = 0; i < features.size(); ++i)
        if (features[i].categorical != cols[i]->is_text)
            return util::fail(util::Error::internal(fmt::format("{}: column '{}' read with the wrong type", f.path, features[i].name)));
    // Category lookup tables.
    std::vector<std::unordered_map<std::string, std::size_t>> index(features.size());
    for (std::size_t i = 0; i < features.size(); ++i)
        for (std::size_t k = 0; k < features[i].categories.size(); ++k) index[i][features[i].categories[k]] = k;

    Matrix m;
    m.cols = width();
    m.data.reserve(f.rows * m.cols);
    if (kept) kept->clear();
    std::vector<float> row(m.cols);
    for (std::size_t r = 0; r < f.rows; ++r) {
        bool drop = false;
        std::size_t out = 0;
        for (std::size_t i = 0; i < features.size() && !drop; ++i) {
            const Feature& feat = features[i];
            const Column& col = *cols[i];
            if (feat.categorical) {
                const std::string* v = &col.texts[r];
                if (v->empty()) {
                    if (missing == Missing::error) return util::fail(missing_value(f, r, feat.name));
                    if (missing == Missing::drop) {
                        drop = true;
                        break;
                    }
                    v = &feat.fill_category;
                }
                std::fill(row.begin() + long(out), row.begin() + long(out + feat.categories.size()), 0.0f);
                auto it = index[i].find(*v);
                if (it != index[i].end())
                    row[out + it->second] = 1.0f;
                else if (unknown == Unknown::error)
                    return util::fail(util::Error::usage(fmt::format(
                        "{}: line {}, column '{}': category '{}' was not seen in training (data.unknown: ignore "
                        "encodes it as all zeros)",
                        f.path, f.line_of(r), feat.name, *v)));
                out += feat.categories.size();
            } else {
                double v = col.numbers[r];
                if (std::isnan(v)) {
                    if (missing == Missing::error) return util::fail(missing_value(f, r, feat.name));
                    if (missing == Missing::drop) {
                        drop = true;
                        break;
                    }
                    v = feat.fill;
                }
                row[out] = float((v - center[out]) / scale[out]);
                ++out;
            }
        }
        if (drop) continue;
        m.data.insert(m.data.end(), row.begin(), row.end());
        if (kept) kept->push_back(r);
        ++m.rows;
    }
    return m;
}

nlohmann::json Preprocessor::to_json() const {
    nlohmann::json feats = nlohmann::json::array();
    for (const auto& f : features) {
        nlohmann::json j{{"name", f.name}, {"type", f.categorical ? "categorical" : "numeric"}};
        if (f.categorical) {
            j["categories"] = f.categories;
            j["fill"] = f.fill_category;
        } else {
            j["fill"] = f.fill;
        }
        feats.push_back(std::move(j));
    }
    return {{"scaling", to_string(scaling)}, {"missing", to_string(missing)}, {"unknown", to_string(unknown)},
            {"target", target},          {"features", feats},               {"center", center},
            {"scale", scale},            {"inputs", input_names()}};
}

util::Result<Preprocessor> Preprocessor::from_json(const nlohmann::json& j) {
    try {
        Preprocessor p;
        auto s = j.at("scaling").get<std::string>();
        p.scaling = s == "standardize" ? Scaling::standardize : s == "minmax" ? Scaling::minmax : Scaling::none;
        auto m = j.at("missing").get<std::string>();
        p.missing = m == "mean" ? Missing::mean : m == "median" ? Missing::median : m == "drop" ? Missing::drop : Missing::error;
        p.unknown = j.at("unknown").get<std::string>() == "ignore" ? Unknown::ignore : Unknown::error;
        p.target = j.at("target").get<std::string>();
        for (const auto& f : j.at("features")) {
            Feature feat;
            feat.name = f.at("name").get<std::string>();
            feat.categorical = f.at("type").get<std::string>() == "categorical";
            if (feat.categorical) {
                feat.categories = f.at("categories").get<std::vector<std::string>>();
                feat.fill_category = f.at("fill").get<std::string>();
            } else {
                feat.fill = f.at("fill").get<double>();
            }
            p.features.push_back(std::move(feat));
        }
        p.center = j.at("center").get<std::vector<double>>();
        p.scale = j.at("scale").get<std::vector<double>>();
        return p;
    } catch (const nlohmann::json::exception& e) {
        return util::fail(util::Error::integrity(fmt::format("manifest.json: bad preprocessing section: {}", e.what())));
    }
}

util::Result<TargetEncoder> TargetEncoder::fit(const Column& target, Task task, const std::string& path) {
    TargetEncoder t;
    t.task = task;
    t.target_name = target.name;
    if (task == Task::classification) {
        std::set<std::string> labels;
        for (const auto& v : target.texts)
            if (!v.empty()) labels.insert(v);
        t.classes.assign(labels.begin(), labels.end());
        bool numeric = true;
        for (const auto& c : t.classes) {
            double d;
            numeric = numeric && parse_double(c, d);
        }
        if (numeric)
            std::stable_sort(t.classes.begin(), t.classes.end(), [](const std::string& a, const std::string& b) {
                double x = 0, y = 0;
                parse_double(a, x);
                parse_double(b, y);
                return x < y;
            });
        if (t.classes.size() < 2)
            return util::fail(util::Error::usage(fmt::format(
                "{}: target column '{}' has {} class{}; classification needs at least 2", path, target.name,
                t.classes.size(), t.classes.size() == 1 ? "" : "es")));
    } else {
        double sum = 0;
        std::size_t n = 0;
        for (double v : target.numbers)
            if (!std::isnan(v)) {
                sum += v;
                ++n;
            }
        if (n == 0) return util::fail(util::Error::usage(fmt::format("{}: target column '{}' has no values", path, target.name)));
        t.mean = sum / double(n);
        double var = 0;
        for (double v : target.numbers)
            if (!std::isnan(v)) var += (v - t.mean) * (v - t.mean);
        t.std = std::sqrt(var / double(n));
        if (!(t.std > 0)) t.std = 1.0;
    }
    return t;
}

util::Result<std::vector<float>> TargetEncoder::encode(const Column& target, const Frame& f,
                                                       const std::vector<std::size_t>& rows) const {
    std::vector<float> out;
    out.reserve(rows.size());
    std::unordered_map<std::string, std::size_t> index;
    for (std::size_t k = 0; k < classes.size(); ++k) index[classes[k]] = k;
    for (std::size_t r : rows) {
        if (target.missing(r))
            return util::fail(util::Error::usage(
                fmt::format("{}: line {}, column '{}': missing target value", f.path, f.line_of(r), target.name)));
        if (task == Task::classification) {
            auto it = index.find(target.texts[r]);
            if (it == index.end())
                return util::fail(util::Error::usage(fmt::format("{}: line {}, column '{}': class '{}' was not seen in training",
                                                                 f.path, f.line_of(r), target.name, target.texts[r])));
            out.push_back(float(it->second));
        } else {
            out.push_back(float((target.numbers[r] - mean) / std));
        }
    }
    return out;
}

nlohmann::json TargetEncoder::to_json() const {
    if (task == Task::classification) return {{"column", target_name}, {"classes", classes}};
    return {{"column", target_name}, {"mean", mean}, {"std", std}};
}

util::Result<TargetEncoder> TargetEncoder::from_json(const nlohmann::json& j) {
    try {
        TargetEncoder t;
        t.target_name = j.at("column").get<std::string>();
        if (j.contains("classes")) {
            t.task = Task::classification;
            t.classes = j.at("classes").get<std::vector<std::string>>();
        } else {
            t.task = Task::regression;
            t.mean = j.at("mean").get<double>();
            t.std = j.at("std").get<double>();
        }
        return t;
    } catch (const nlohmann::json::exception& e) {
        return util::fail(util::Error::integrity(fmt::format("manifest.json: bad target section: {}", e.what())));
    }
}

} // namespace mlops::ml
