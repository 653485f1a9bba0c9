#include <mlops/drift/analysis.hpp>

#include <algorithm>
#include <charconv>
#include <cmath>
#include <limits>

#include <fmt/format.h>

#include <mlops/drift/multivariate.hpp>
#include <mlops/drift/stats.hpp>
#include <mlops/util/parallel.hpp>

namespace mlops::drift {

namespace {

constexpr MethodInfo k_methods[] = {
    {Method::ks, "ks", "Kolmogorov-Smirnov p-value", true, 0.05, true},
    {Method::chisquare, "chisquare", "chi-square p-value", true, 0.05, false},
    {Method::z, "z", "Z-test p-value", true, 0.05, false},
    {Method::wasserstein, "wasserstein", "Wasserstein distance (normed)", false, 0.1, true},
    {Method::jensenshannon, "jensenshannon", "Jensen-Shannon distance", false, 0.1, false},
    {Method::psi, "psi", "PSI", false, 0.1, false},
    {Method::kl_div, "kl_div", "Kullback-Leibler divergence", false, 0.1, false},
    {Method::hellinger, "hellinger", "Hellinger distance", false, 0.1, false},
    {Method::anderson, "anderson", "Anderson-Darling p-value", true, 0.1, true},
    {Method::cramer_von_mises, "cramer_von_mises", "Cramer-von Mises p-value", true, 0.1, true},
};

constexpr double k_nan = std::numeric_limits<double>::quiet_NaN();
constexpr std::size_t k_histogram_bins = 30;
constexpr std::size_t k_max_bars = 20;

// A column's values on both sides, as (value, reference count, current count) per distinct value
// in ascending order (numbers numerically, text by bytes). A numeric column comes either counted
// (tally_on_grid: key_values and counts, the sorted numbers only if a test asks for them) or
// sorted (the counts only if a test or chart asks for them).
struct Prepared {
    bool numeric = false;
    std::vector<double> ref_sorted, cur_sorted;
    std::vector<std::string> keys;           // categorical
    std::vector<double> key_values;          // numeric
    std::vector<double> ref_counts, cur_counts;
    std::size_t ref_unique = 0, cur_unique = 0, distinct = 0;
    double ref_n = 0, cur_n = 0;             // non-missing values
};

// Distinct values of a sorted array.
std::size_t count_distinct(const std::vector<double>& v) {
    std::size_t n = 0;
    for (std::size_t i = 0; i < v.size(); ++i)
        if (i == 0 || v[i] != v[i - 1]) ++n;
    return n;
}

// The per-value counts of a numeric column, built only when a test or chart needs them (a
// continuous column of a million rows has a million values).
void ensure_keys(Prepared& p) {
    if (!p.numeric || !p.key_values.empty()) return;
    for_each_distinct(p.ref_sorted, p.cur_sorted, [&](double v, std::size_t ca, std::size_t cb, std::size_t, std::size_t) {
        p.key_values.push_back(v);
        p.ref_counts.push_back(double(ca));
        p.cur_counts.push_back(double(cb));
    });
}

// A counted column's sorted numbers, for the tests that walk them (ks, anderson, cramer_von_mises).
void ensure_sorted(Prepared& p) {
    if (!p.numeric || !p.ref_sorted.empty() || !p.cur_sorted.empty()) return;
    p.ref_sorted.reserve(std::size_t(p.ref_n));
    p.cur_sorted.reserve(std::size_t(p.cur_n));
    for (std::size_t i = 0; i < p.key_values.size(); ++i) {
        p.ref_sorted.insert(p.ref_sorted.end(), std::size_t(p.ref_counts[i]), p.key_values[i]);
        p.cur_sorted.insert(p.cur_sorted.end(), std::size_t(p.cur_counts[i]), p.key_values[i]);
    }
}

bool counted(const Prepared& p) { return p.ref_sorted.empty() && p.cur_sorted.empty(); }

std::size_t nonzero(const std::vector<double>& v) {
    return std::size_t(std::count_if(v.begin(), v.end(), [](double c) { return c != 0; }));
}

// With `own_ref`/`own_cur` (the same columns, owned by the caller), their values are consumed.
Prepared prepare(const ColumnProfile& ref, const ColumnProfile& cur, ColumnProfile* own_ref = nullptr, ColumnProfile* own_cur = nullptr) {
    Prepared p;
    p.numeric = ref.type == ColumnType::numeric;
    if (p.numeric && ref.present() > 0 && cur.present() > 0) {
        // Columns counted as they were read, or counted now; a counted column beside one that
        // was not is sorted with it (its values expanded from the counts).
        auto t = ref.counted || cur.counted ? pooled_counts(ref, cur) : tally_on_grid(ref.values, cur.values);
        if (t) {
            if (own_ref) ml::Numbers().swap(own_ref->values);
            if (own_cur) ml::Numbers().swap(own_cur->values);
            p.key_values = std::move(t->values);
            p.ref_counts = std::move(t->ref_counts);
            p.cur_counts = std::move(t->cur_counts);
            p.ref_unique = nonzero(p.ref_counts);
            p.cur_unique = nonzero(p.cur_counts);
            p.distinct = p.key_values.size();
            p.ref_n = double(ref.present());
            p.cur_n = double(cur.present());
            return p;
        }
    }
    if (p.numeric) {
        p.ref_sorted = own_ref ? own_ref->take_sorted() : ref.sorted_values();
        p.cur_sorted = own_cur ? own_cur->take_sorted() : cur.sorted_values();
        p.ref_unique = count_distinct(p.ref_sorted);
        p.cur_unique = count_distinct(p.cur_sorted);
        // Distinct over both: a merge walk without storing the values.
        for_each_distinct(p.ref_sorted, p.cur_sorted, [&](double, std::size_t, std::size_t, std::size_t, std::size_t) { ++p.distinct; });
        p.ref_n = double(p.ref_sorted.size());
        p.cur_n = double(p.cur_sorted.size());
    } else {
        for (const auto& [k, n] : ref.counts) p.keys.push_back(k);
        for (const auto& [k, n] : cur.counts)
            if (!ref.counts.count(k)) p.keys.push_back(k);
        std::sort(p.keys.begin(), p.keys.end());
        for (const auto& k : p.keys) {
            auto ra = ref.counts.find(k);
            auto ca = cur.counts.find(k);
            p.ref_counts.push_back(ra == ref.counts.end() ? 0.0 : double(ra->second));
            p.cur_counts.push_back(ca == cur.counts.end() ? 0.0 : double(ca->second));
        }
        p.ref_unique = ref.counts.size();
        p.cur_unique = cur.counts.size();
        p.distinct = p.keys.size();
        p.ref_n = double(ref.present());
        p.cur_n = double(cur.present());
    }
    return p;
}

std::size_t distinct(const Prepared& p) { return p.distinct; }

std::string number_label(double v) { return fmt::format("{:.6g}", v); }

// The smallest and the largest value of both sides (both have values).
double lowest(const Prepared& p) {
    return counted(p) ? p.key_values.front() : std::min(p.ref_sorted.front(), p.cur_sorted.front());
}
double highest(const Prepared& p) {
    return counted(p) ? p.key_values.back() : std::max(p.ref_sorted.back(), p.cur_sorted.back());
}

// numpy.histogram_bin_edges(concat(a, b), bins).
std::vector<double> bin_edges(const Prepared& p, std::size_t bins) {
    double first = lowest(p);
    double last = highest(p);
    if (first == last) {
        first -= 0.5;
        last += 0.5;
    }
    std::vector<double> e(bins + 1);
    double step = (last - first) / double(bins);
    for (std::size_t i = 0; i <= bins; ++i) e[i] = double(i) * step + first;
    e[bins] = last;
    return e;
}

// numpy.histogram(one side's values, edges)[0]: [e_j, e_j+1) and the last bin closed.
std::vector<double> bin_counts(const Prepared& p, bool reference, const std::vector<double>& e) {
    std::vector<double> cum(e.size());
    if (counted(p)) {
        // How many values lie below each edge (at or below the last), walking the distinct values once.
        const auto& counts = reference ? p.ref_counts : p.cur_counts;
        std::size_t k = 0;
        double below = 0;
        for (std::size_t i = 0; i < e.size(); ++i) {
            bool last = i + 1 == e.size();
            for (; k < p.key_values.size() && (last ? p.key_values[k] <= e[i] : p.key_values[k] < e[i]); ++k) below += counts[k];
            cum[i] = below;
        }
    } else {
        const auto& sorted = reference ? p.ref_sorted : p.cur_sorted;
        for (std::size_t i = 0; i + 1 < e.size(); ++i)
            cum[i] = double(std::lower_bound(sorted.begin(), sorted.end(), e[i]) - sorted.begin());
        cum.back() = double(std::upper_bound(sorted.begin(), sorted.end(), e.back()) - sorted.begin());
    }
    std::vector<double> c(e.size() - 1);
    for (std::size_t i = 0; i + 1 < e.size(); ++i) c[i] = cum[i + 1] - cum[i];
    return c;
}

void fill_zeroes(std::vector<double>& v) {
    double mn = std::numeric_limits<double>::infinity();
    for (double x : v)
        if (x != 0) mn = std::min(mn, x);
    if (std::isinf(mn)) return;
    double fill = mn <= 0.0001 ? mn / 1e6 : 0.0001;
    for (double& x : v)
        if (x == 0) x = fill;
}

Binned binned(Prepared& p, bool fill) {
    Binned b;
    if (p.numeric && p.ref_unique > 20) {
        auto e = bin_edges(p, k_histogram_bins);
        b.reference = bin_counts(p, true, e);
        b.current = bin_counts(p, false, e);
    } else {
        ensure_keys(p);
        b.reference = p.ref_counts;
        b.current = p.cur_counts;
    }
    for (auto& x : b.reference) x /= p.ref_n;
    for (auto& x : b.current) x /= p.cur_n;
    if (fill) {
        fill_zeroes(b.reference);
        fill_zeroes(b.current);
    }
    return b;
}

// numpy.std of the reference values.
double reference_std(const Prepared& p) {
    Accumulator s, d;
    if (counted(p)) {
        for (std::size_t i = 0; i < p.key_values.size(); ++i) s.add(p.ref_counts[i] * p.key_values[i]);
        double mean = s.value() / p.ref_n;
        for (std::size_t i = 0; i < p.key_values.size(); ++i)
            d.add(p.ref_counts[i] * ((p.key_values[i] - mean) * (p.key_values[i] - mean)));
        return std::sqrt(d.value() / p.ref_n);
    }
    for (double x : p.ref_sorted) s.add(x);
    double mean = s.value() / p.ref_n;
    for (double x : p.ref_sorted) d.add((x - mean) * (x - mean));
    return std::sqrt(d.value() / p.ref_n);
}

Histogram histogram(Prepared& p) {
    Histogram h;
    if (p.numeric && distinct(p) > k_max_bars) {
        h.bins = true;
        h.edges = bin_edges(p, k_histogram_bins);
        h.reference = bin_counts(p, true, h.edges);
        h.current = bin_counts(p, false, h.edges);
        for (std::size_t i = 0; i + 1 < h.edges.size(); ++i)
            h.labels.push_back(number_label(h.edges[i]) + " - " + number_label(h.edges[i + 1]));
        return h;
    }
    ensure_keys(p);
    std::vector<std::size_t> order(distinct(p));
    for (std::size_t i = 0; i < order.size(); ++i) order[i] = i;
    if (!p.numeric) // most frequent first; numbers stay in ascending order
        std::stable_sort(order.begin(), order.end(), [&](std::size_t a, std::size_t b) {
            return p.ref_counts[a] + p.cur_counts[a] > p.ref_counts[b] + p.cur_counts[b];
        });
    double other_ref = 0, other_cur = 0;
    for (std::size_t k = 0; k < order.size(); ++k) {
        std::size_t i = order[k];
        if (k >= k_max_bars) {
            other_ref += p.ref_counts[i];
            other_cur += p.cur_counts[i];
            continue;
        }
        h.labels.push_back(p.numeric ? number_label(p.key_values[i]) : p.keys[i]);
        h.reference.push_back(p.ref_counts[i]);
        h.current.push_back(p.cur_counts[i]);
    }
    if (order.size() > k_max_bars) {
        h.labels.push_back(fmt::format("({} others)", order.size() - k_max_bars));
        h.reference.push_back(other_ref);
        h.current.push_back(other_cur);
    }
    return h;
}

bool applies(const MethodInfo& m, const Prepared& p) {
    if (m.numbers_only && !p.numeric) return false;
    if (m.method == Method::z && distinct(p) > 2) return false;
    if (m.method == Method::cramer_von_mises && (p.ref_n < 2 || p.cur_n < 2)) return false;
    return true;
}

std::string why_not(const MethodInfo& m, const Prepared& p) {
    if (m.numbers_only && !p.numeric) return fmt::format("{} needs a numeric column", m.name);
    if (m.method == Method::z) return fmt::format("z needs at most 2 distinct values, the column has {}", distinct(p));
    return fmt::format("{} needs at least 2 values on each side", m.name);
}

// A distance of the binned shares (the statistic is the distance).
TestValue on_bins(Prepared& p, bool fill, double (*distance)(std::span<const double>, std::span<const double>)) {
    auto b = binned(p, fill);
    double d = distance(b.reference, b.current);
    return {d, d};
}

// The test itself: p-value (and statistic) or distance.
TestValue run(Method m, Prepared& p) {
    switch (m) {
    case Method::ks: ensure_sorted(p); return ks_2samp(p.ref_sorted, p.cur_sorted);
    case Method::anderson: ensure_sorted(p); return anderson_ksamp(p.ref_sorted, p.cur_sorted);
    case Method::cramer_von_mises: ensure_sorted(p); return cramervonmises_2samp(p.ref_sorted, p.cur_sorted);
    case Method::wasserstein: {
        double norm = std::max(reference_std(p), 0.001);
        double d = (counted(p) ? wasserstein_distance(p.key_values, p.ref_counts, p.cur_counts)
                               : wasserstein_distance(p.ref_sorted, p.cur_sorted)) /
                   norm;
        return {d, d};
    }
    case Method::chisquare: {
        ensure_keys(p);
        double k_norm = p.cur_n / p.ref_n;
        std::vector<double> expected(p.ref_counts.size());
        for (std::size_t i = 0; i < expected.size(); ++i) expected[i] = p.ref_counts[i] * k_norm;
        return chisquare(p.cur_counts, expected);
    }
    case Method::z: {
        if (distinct(p) == 1) return {0.0, 1.0};
        ensure_keys(p);
        return proportions_z_test(p.ref_counts[0], p.ref_n, p.cur_counts[0], p.cur_n);
    }
    case Method::jensenshannon: return on_bins(p, true, jensenshannon);
    case Method::psi: return on_bins(p, true, psi);
    case Method::kl_div: return on_bins(p, true, kl_divergence);
    case Method::hellinger: return on_bins(p, false, hellinger);
    }
    return {};
}

util::Result<double> parse_double(std::string_view s, const std::string& what) {
    double v;
    auto [ptr, ec] = std::from_chars(s.data(), s.data() + s.size(), v);
    if (ec != std::errc() || ptr != s.data() + s.size() || !std::isfinite(v) || v < 0)
        return util::fail(util::Error::usage(fmt::format("{}: '{}' is not a non-negative number", what, s)));
    return v;
}

} // namespace

std::span<const MethodInfo> methods() { return k_methods; }

const MethodInfo& info(Method m) {
    for (const auto& i : k_methods)
        if (i.method == m) return i;
    return k_methods[0];
}

util::Result<Method> parse_method(std::string_view name) {
    std::vector<std::string> names;
    for (const auto& i : k_methods) {
        if (name == i.name) return i.method;
        names.push_back(i.name);
    }
    return util::fail(util::Error::usage(
        fmt::format("--method: unknown test '{}' (one of {})", name, fmt::join(names, ", "))));
}

util::Status add_method_option(Options& o, const std::string& value) {
    auto eq = value.rfind('=');
    if (eq == std::string::npos) {
        o.method = MLOPS_TRY(parse_method(value));
        return {};
    }
    if (eq == 0) return util::fail(util::Error::usage(fmt::format("--method '{}': no column name before '='", value)));
    o.column_methods[value.substr(0, eq)] = MLOPS_TRY(parse_method(value.substr(eq + 1)));
    return {};
}

util::Status add_threshold_option(Options& o, const std::string& value) {
    auto eq = value.rfind('=');
    if (eq == std::string::npos) {
        o.threshold = MLOPS_TRY(parse_double(value, "--threshold"));
        return {};
    }
    if (eq == 0) return util::fail(util::Error::usage(fmt::format("--threshold '{}': no column name before '='", value)));
    o.column_thresholds[value.substr(0, eq)] =
        MLOPS_TRY(parse_double(value.substr(eq + 1), "--threshold " + value.substr(0, eq)));
    return {};
}

util::Status check_column_options(const Options& o, const std::vector<std::string>& columns) {
    auto known = [&](const std::string& c) { return std::find(columns.begin(), columns.end(), c) != columns.end(); };
    for (const auto& [c, m] : o.column_methods)
        if (!known(c)) return util::fail(util::Error::usage(fmt::format("--method {}={}: no column '{}' in both files", c, info(m).name, c)));
    for (const auto& [c, t] : o.column_thresholds)
        if (!known(c)) return util::fail(util::Error::usage(fmt::format("--threshold {}={}: no column '{}' in both files", c, t, c)));
    return {};
}

Method default_method(bool numeric, std::size_t reference_rows, std::size_t n) {
    if (reference_rows <= 1000) {
        if (numeric && n > 5) return Method::ks;
        return n > 2 ? Method::chisquare : Method::z;
    }
    if (numeric && n > 5) return Method::wasserstein;
    return Method::jensenshannon;
}

Binned binned_shares(const ColumnProfile& ref, const ColumnProfile& cur, bool fill) {
    auto p = prepare(ref, cur);
    return binned(p, fill);
}

namespace {
util::Result<ColumnResult> compare_column_impl(const ColumnProfile& ref, const ColumnProfile& cur, const Options& o, ColumnProfile* own_ref,
                                               ColumnProfile* own_cur);
} // namespace

util::Result<ColumnResult> compare_column(const ColumnProfile& ref, const ColumnProfile& cur, const Options& o) {
    return compare_column_impl(ref, cur, o, nullptr, nullptr);
}

namespace {
// With `own_ref`/`own_cur` (the same columns, owned by the caller), their values are consumed.
util::Result<ColumnResult> compare_column_impl(const ColumnProfile& ref, const ColumnProfile& cur, const Options& o, ColumnProfile* own_ref,
                                               ColumnProfile* own_cur) {
    ColumnResult r;
    r.name = ref.name;
    r.role = ref.name == o.target ? Role::target : ref.name == o.prediction ? Role::prediction : Role::feature;
    r.reference_rows = ref.rows;
    r.current_rows = cur.rows;
    r.reference_missing = ref.missing;
    r.current_missing = cur.missing;
    r.score = k_nan;
    r.statistic = k_nan;
    r.method = "none";
    auto p = prepare(ref, cur, own_ref, own_cur);
    r.type = p.ref_n + p.cur_n == 0 ? "empty" : p.numeric ? "numeric" : "categorical";
    r.reference_unique = p.ref_unique;
    r.current_unique = p.cur_unique;

    auto col_method = o.column_methods.find(r.name);
    if (p.ref_n == 0 || p.cur_n == 0) {
        if (p.ref_n == 0 && p.cur_n == 0) {
            r.note = "every value is missing in both files";
        } else {
            r.note = fmt::format("every value is missing in the {} file", p.ref_n == 0 ? "reference" : "current");
            r.drifted = true;
            r.severity = 1e3;
        }
        return r;
    }
    r.histogram = histogram(p);
    if (distinct(p) == 1) {
        r.note = fmt::format("constant: every value is {} in both files",
                             p.numeric ? number_label(lowest(p)) : "'" + p.keys[0] + "'");
        return r;
    }
    Method m = default_method(p.numeric, ref.rows, distinct(p));
    if (col_method != o.column_methods.end()) {
        if (!applies(info(col_method->second), p))
            return util::fail(util::Error::usage(fmt::format("--method {}={}: {} ({} column '{}')", r.name,
                                                             info(col_method->second).name, why_not(info(col_method->second), p),
                                                             r.type, r.name)));
        m = col_method->second;
    } else if (o.method) {
        if (applies(info(*o.method), p))
            m = *o.method;
        else
            r.note = fmt::format("default test: {}", why_not(info(*o.method), p));
    }
    const auto& mi = info(m);
    r.method = mi.name;
    r.p_value_test = mi.p_value;
    r.threshold = mi.threshold;
    if (auto t = o.column_thresholds.find(r.name); t != o.column_thresholds.end())
        r.threshold = t->second;
    else if (o.threshold && !(o.method && m != *o.method && col_method == o.column_methods.end()))
        r.threshold = *o.threshold;
    auto v = run(m, p);
    r.score = mi.p_value ? v.p_value : v.statistic;
    r.statistic = v.statistic;
    if (mi.p_value) {
        r.drifted = r.score < r.threshold;
        double lp = std::log10(std::max(r.score, 1e-300)), lt = std::log10(std::max(r.threshold, 1e-300));
        r.severity = lt < 0 ? lp / lt : (r.drifted ? 1.0 : 0.0);
    } else {
        r.drifted = r.score >= r.threshold;
        r.severity = r.threshold > 0 ? r.score / r.threshold : (r.score > 0 ? 1e3 : 0.0);
    }
    if (!std::isfinite(r.severity)) r.severity = 1e3;
    return r;
}

// `own_ref`/`own_cur`: the same profiles, owned by the caller, whose values may be consumed.
util::Result<Report> analyze_profiles(const DatasetProfile& ref, const DatasetProfile& cur, const Options& o, DatasetProfile* own_ref,
                                      DatasetProfile* own_cur) {
    Report rep;
    rep.reference = ref.label;
    rep.current = cur.label;
    rep.reference_rows = ref.rows;
    rep.current_rows = cur.rows;
    rep.drift_share_threshold = o.drift_share;
    std::vector<std::string> names;
    for (const auto& c : ref.columns)
        if (cur.find(c.name)) names.push_back(c.name);
    MLOPS_TRYV(check_column_options(o, names));
    rep.columns.resize(names.size());
    // The multivariate check reads the values in row order: before the columns are sorted.
    if (o.multivariate) {
        std::vector<std::string> numeric;
        for (const auto& n : names)
            if (n != o.target && n != o.prediction && ref.find(n)->type == ColumnType::numeric) numeric.push_back(n);
        bool rows = std::none_of(numeric.begin(), numeric.end(), [&](const std::string& n) {
            return ref.find(n)->counted || cur.find(n)->counted;
        });
        if (rows)
            rep.multivariate = reconstruction_drift(ref, cur, numeric, o.multivariate_chunks, o.threads);
        else
            rep.multivariate.note = "the values were counted, not kept in row order (read without keep_rows)";
    }
    MLOPS_TRYV(util::parallel_for(names.size(), o.threads, [&](std::size_t i) -> util::Status {
        rep.columns[i] = MLOPS_TRY(compare_column_impl(*ref.find(names[i]), *cur.find(names[i]), o,
                                                       own_ref ? own_ref->find(names[i]) : nullptr, own_cur ? own_cur->find(names[i]) : nullptr));
        return {};
    }));
    if (!o.prediction.empty()) rep.prediction_column = o.prediction;
    finish(rep);
    return rep;
}

} // namespace

util::Result<Report> analyze(const DatasetProfile& ref, const DatasetProfile& cur, const Options& o) {
    return analyze_profiles(ref, cur, o, nullptr, nullptr);
}

util::Result<Report> analyze(DatasetProfile&& ref, DatasetProfile&& cur, const Options& o) {
    return analyze_profiles(ref, cur, o, &ref, &cur);
}

} // namespace mlops::drift
