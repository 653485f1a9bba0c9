#include <mlops/serve/request.hpp>

#include <algorithm>
#include <cctype>
#include <charconv>
#include <cmath>
#include <limits>
#include <unordered_map>
#include <unordered_set>

#include <fmt/format.h>

namespace mlops::serve {

namespace {

using nlohmann::json;

std::unexpected<Rejection> reject(std::string m, json inputs = nullptr, int status = 400) {
    return std::unexpected(Rejection{status, std::move(m), std::move(inputs)});
}

std::string_view media_type(std::string_view ct) {
    auto semi = ct.find(';');
    if (semi != std::string_view::npos) ct = ct.substr(0, semi);
    while (!ct.empty() && ct.back() == ' ') ct.remove_suffix(1);
    while (!ct.empty() && ct.front() == ' ') ct.remove_prefix(1);
    return ct;
}

bool iequals(std::string_view a, std::string_view b) {
    return a.size() == b.size() && std::equal(a.begin(), a.end(), b.begin(), [](char x, char y) {
               return std::tolower((unsigned char)x) == std::tolower((unsigned char)y);
           });
}

std::string type_name(const json& v) {
    if (v.is_string()) return "a string";
    if (v.is_boolean()) return "a boolean";
    if (v.is_array()) return "an array";
    if (v.is_object()) return "an object";
    return "a number";
}

std::string short_text(const json& v) {
    std::string s = v.dump();
    return s.size() > 40 ? s.substr(0, 37) + "..." : s;
}

// The rows of a JSON body as an array of objects.
std::expected<json, Rejection> json_records(json& doc, const ml::Preprocessor& pre) {
    if (!doc.is_object()) return reject("the JSON body must be an object with one of dataframe_split, dataframe_records, instances, inputs");
    static const char* k_keys[] = {"dataframe_split", "dataframe_records", "instances", "inputs"};
    std::vector<std::string> found;
    for (const char* k : k_keys)
        if (doc.contains(k)) found.push_back(k);
    if (found.size() != 1)
        return reject(found.empty() ? "the JSON body has none of dataframe_split, dataframe_records, instances, inputs"
                                    : fmt::format("the JSON body has {} (send one)", fmt::join(found, " and ")));
    const std::string& key = found[0];
    json& v = doc.at(key); // rows are moved out of it, not copied
    json rows = json::array();
    if (key == "dataframe_split") {
        if (!v.is_object() || !v.contains("columns") || !v.contains("data") || !v.at("columns").is_array() || !v.at("data").is_array())
            return reject("dataframe_split: expected {\"columns\": [...], \"data\": [[...], ...]}");
        const json& cols = v.at("columns");
        for (const auto& c : cols)
            if (!c.is_string()) return reject(fmt::format("dataframe_split.columns: {} is not a column name", short_text(c)));
        std::size_t i = 0;
        for (const auto& r : v.at("data")) {
            ++i;
            if (!r.is_array() || r.size() != cols.size())
                return reject(fmt::format("dataframe_split.data row {}: expected an array of {} values", i, cols.size()));
            json o = json::object();
            for (std::size_t c = 0; c < cols.size(); ++c) o[cols[c].get<std::string>()] = r[c];
            rows.push_back(std::move(o));
        }
        return rows;
    }
    if ((key == "inputs" || key == "instances") && v.is_object()) {
        // Columnar: {"age": [41, 35], "plan": ["pro", "basic"]}; a single record when no value is an array.
        bool columnar = !v.empty() && std::all_of(v.begin(), v.end(), [](const json& x) { return x.is_array(); });
        if (!columnar) return json::array({std::move(v)});
        std::size_t n = v.begin()->size();
        for (const auto& [name, values] : v.items())
            if (values.size() != n) return reject(fmt::format("{}: column '{}' has {} values, '{}' has {}", key, name, values.size(), v.begin().key(), n));
        for (std::size_t r = 0; r < n; ++r) {
            json o = json::object();
            for (const auto& [name, values] : v.items()) o[name] = values[r];
            rows.push_back(std::move(o));
        }
        return rows;
    }
    if (!v.is_array()) return reject(fmt::format("{}: expected an array of rows", key));
    std::size_t i = 0;
    for (auto& r : v) {
        ++i;
        if (r.is_object()) {
            rows.push_back(std::move(r));
        } else if (r.is_array() && key != "dataframe_records") {
            // A row as a list of values in the order of the model's features.
            if (r.size() != pre.features.size())
                return reject(fmt::format("{} row {}: {} values, the model has {} features", key, i, r.size(), pre.features.size()));
            json o = json::object();
            for (std::size_t c = 0; c < r.size(); ++c) o[pre.features[c].name] = r[c];
            rows.push_back(std::move(o));
        } else {
            return reject(fmt::format("{} row {}: expected an object (column -> value)", key, i));
        }
    }
    return rows;
}

// The rows of a CSV body (header line first) as an array of objects: numbers for the numeric
// features (and any other cell that reads as one), null for missing cells, strings otherwise.
std::expected<json, Rejection> csv_records(std::string_view body, const ml::Preprocessor& pre) {
    std::unordered_set<std::string> text_cols;
    for (const auto& f : pre.features)
        if (f.categorical) text_cols.insert(f.name);
    json rows = json::array();
    std::vector<std::string> header;
    std::size_t line_no = 0;
    while (!body.empty()) {
        auto nl = body.find('\n');
        std::string_view line = body.substr(0, nl);
        body = nl == std::string_view::npos ? std::string_view() : body.substr(nl + 1);
        ++line_no;
        if (!line.empty() && line.back() == '\r') line.remove_suffix(1);
        if (line.find_first_not_of(" \t") == std::string_view::npos) continue;
        auto fields = ml::split_csv_line(line);
        if (header.empty()) {
            header = std::move(fields);
            continue;
        }
        if (fields.size() != header.size())
            return reject(fmt::format("CSV line {}: {} fields, the header has {}", line_no, fields.size(), header.size()), rows);
        json o = json::object();
        for (std::size_t c = 0; c < header.size(); ++c) {
            const std::string& s = fields[c];
            if (ml::is_missing_token(s)) {
                o[header[c]] = nullptr;
                continue;
            }
            double d = 0;
            auto [p, ec] = std::from_chars(s.data(), s.data() + s.size(), d);
            if (!text_cols.count(header[c]) && ec == std::errc() && p == s.data() + s.size())
                o[header[c]] = d;
            else
                o[header[c]] = s;
        }
        rows.push_back(std::move(o));
    }
    if (header.empty()) return reject("the CSV body is empty (expected a header line and rows)");
    return rows;
}

// JSON has no infinity and nlohmann refuses numbers that overflow, so Infinity stands in as the
// largest double, which validation reports as not finite.
constexpr const char* k_infinity_text = "1.7976931348623157e308";
constexpr const char* k_infinity_text_negative = "-1.7976931348623157e308";
bool not_finite(double d) { return std::isinf(d) || std::abs(d) == std::numeric_limits<double>::max(); }

std::string list_text(const std::vector<std::string>& names, std::size_t max = 8) {
    if (names.size() <= max) return fmt::format("{}", fmt::join(names, ", "));
    return fmt::format("{}, ... ({} in all)", fmt::join(names.begin(), names.begin() + long(max), ", "), names.size());
}

} // namespace

std::string replace_non_finite(std::string_view body) {
    std::string out;
    out.reserve(body.size());
    bool in_string = false;
    for (std::size_t i = 0; i < body.size(); ++i) {
        char c = body[i];
        if (in_string) {
            out += c;
            if (c == '\\' && i + 1 < body.size()) out += body[++i];
            else if (c == '"') in_string = false;
            continue;
        }
        if (c == '"') in_string = true;
        auto rest = body.substr(i);
        if (rest.starts_with("NaN")) {
            out += "null";
            i += 2;
        } else if (rest.starts_with("-Infinity")) {
            out += k_infinity_text_negative;
            i += 8;
        } else if (rest.starts_with("Infinity")) {
            out += k_infinity_text;
            i += 7;
        } else {
            out += c;
        }
    }
    return out;
}

std::expected<Batch, Rejection> parse_invocation(std::string_view content_type, std::string_view body,
                                                 const ml::Preprocessor& pre) {
    auto media = media_type(content_type);
    json rows;
    if (iequals(media, "application/json")) {
        json doc = json::parse(body, nullptr, false);
        if (doc.is_discarded() && (body.find("NaN") != std::string_view::npos || body.find("Infinity") != std::string_view::npos))
            doc = json::parse(replace_non_finite(body), nullptr, false);
        if (doc.is_discarded()) {
            // The parser's own message says where (byte offset) the syntax broke.
            try {
                (void)json::parse(body);
            } catch (const json::parse_error& e) {
                return reject(fmt::format("malformed JSON: {}", e.what()));
            }
            return reject("malformed JSON");
        }
        auto r = json_records(doc, pre);
        if (!r) return std::unexpected(std::move(r).error());
        rows = std::move(*r);
    } else if (iequals(media, "text/csv")) {
        auto r = csv_records(body, pre);
        if (!r) return std::unexpected(std::move(r).error());
        rows = std::move(*r);
    } else {
        return reject(fmt::format("unsupported content type '{}' (send application/json or text/csv)",
                                  media.empty() ? std::string("none") : std::string(media)),
                      nullptr, 415);
    }
    if (rows.empty()) return reject("the request has no rows", rows);

    // Columns: every feature, nothing unknown but the target. Looked up by binary search over the
    // names (one allocation per request, not a hash map of copied strings).
    std::vector<std::pair<std::string_view, std::size_t>> feature_index;
    feature_index.reserve(pre.features.size());
    for (std::size_t i = 0; i < pre.features.size(); ++i) feature_index.emplace_back(pre.features[i].name, i);
    std::sort(feature_index.begin(), feature_index.end());
    auto find_feature = [&](std::string_view name) -> const std::size_t* {
        auto it = std::lower_bound(feature_index.begin(), feature_index.end(), std::make_pair(name, std::size_t(0)),
                                   [](const auto& a, const auto& b) { return a.first < b.first; });
        return it != feature_index.end() && it->first == name ? &it->second : nullptr;
    };
    auto feature_names = [&] {
        std::vector<std::string> names;
        for (const auto& f : pre.features) names.push_back(f.name);
        return names;
    };

    Batch b;
    b.frame.path = "request";
    b.frame.first_line = 1;
    b.frame.rows = rows.size();
    b.frame.columns.resize(pre.features.size());
    std::vector<std::unordered_map<std::string, bool>> categories(pre.features.size());
    for (std::size_t i = 0; i < pre.features.size(); ++i) {
        auto& col = b.frame.columns[i];
        col.name = pre.features[i].name;
        col.is_text = pre.features[i].categorical;
        if (col.is_text) {
            col.texts.resize(rows.size());
            for (const auto& c : pre.features[i].categories) categories[i][c] = true;
        } else {
            col.numbers.resize(rows.size());
        }
    }
    for (std::size_t r = 0; r < rows.size(); ++r) {
        const json& row = rows[r];
        std::size_t seen = 0;
        for (auto it = row.begin(); it != row.end(); ++it) {
            const std::size_t* fi = find_feature(it.key());
            if (!fi) {
                if (it.key() == pre.target) continue;
                return reject(fmt::format("row {}: unknown column '{}' (the model's inputs: {})", r + 1, it.key(), list_text(feature_names())), rows);
            }
            ++seen;
            const auto& feat = pre.features[*fi];
            auto& col = b.frame.columns[*fi];
            const json& v = it.value();
            bool missing = v.is_null();
            if (feat.categorical) {
                if (v.is_string())
                    col.texts[r] = v.get<std::string>();
                else if (v.is_number())
                    col.texts[r] = v.dump();
                else if (!missing)
                    return reject(fmt::format("row {}, column '{}': expected a category (string), got {} {}", r + 1, feat.name, type_name(v), short_text(v)), rows);
                missing = missing || col.texts[r].empty();
                if (!missing && pre.unknown == ml::Unknown::error && !categories[*fi].count(col.texts[r]))
                    return reject(fmt::format("row {}, column '{}': unknown category '{}' (known: {})", r + 1, feat.name, col.texts[r],
                                              list_text(feat.categories)),
                                  rows);
            } else {
                if (v.is_number() && !v.is_boolean()) {
                    double d = v.get<double>();
                    if (not_finite(d))
                        return reject(fmt::format("row {}, column '{}': {} is not a finite number", r + 1, feat.name, d > 0 ? "Infinity" : "-Infinity"), rows);
                    col.numbers[r] = d;
                } else if (missing) {
                    col.numbers[r] = std::numeric_limits<double>::quiet_NaN();
                } else {
                    return reject(fmt::format("row {}, column '{}': expected a number, got {} {}", r + 1, feat.name, type_name(v), short_text(v)), rows);
                }
            }
            if (missing && pre.missing == ml::Missing::error)
                return reject(fmt::format("row {}, column '{}': missing value (null or NaN; the model's data.missing is error)", r + 1, feat.name), rows);
        }
        if (seen != pre.features.size()) {
            std::vector<std::string> absent;
            for (const auto& f : pre.features)
                if (!row.contains(f.name)) absent.push_back(f.name);
            return reject(fmt::format("row {}: missing column{} {}", r + 1, absent.size() > 1 ? "s" : "", list_text(absent)), rows);
        }
    }
    b.inputs = std::move(rows);
    return b;
}

} // namespace mlops::serve
