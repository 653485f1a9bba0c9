// Column drift: which test each column gets (Evidently's defaults, or the user's --method), the
// test itself on the column's values, the verdict against the threshold, and the whole report.
#pragma once

#include <map>
#include <optional>
#include <span>
#include <string>
#include <string_view>
#include <vector>

#include <mlops/drift/profile.hpp>
#include <mlops/drift/report.hpp>
#include <mlops/util/error.hpp>

namespace mlops::drift {

enum class Method { ks, chisquare, z, wasserstein, jensenshannon, psi, kl_div, hellinger, anderson, cramer_von_mises };

struct MethodInfo {
    Method method;
    const char* name;   // as --method takes it (Evidently's stattest names)
    const char* title;
    bool p_value;       // drift when p < threshold; otherwise when distance >= threshold
    double threshold;   // default
    bool numbers_only;  // needs numeric columns
};
std::span<const MethodInfo> methods();
const MethodInfo& info(Method m);
util::Result<Method> parse_method(std::string_view name);

struct Options {
    std::optional<Method> method; // every column that it applies to
    std::map<std::string, Method> column_methods;
    std::optional<double> threshold;
    std::map<std::string, double> column_thresholds;
    double drift_share = 0.5;
    std::string target, prediction; // roles in the report
    bool multivariate = true;
    std::size_t multivariate_chunks = 10;
    unsigned threads = 0;
};

// Adds one --method value ("NAME" or "COLUMN=NAME") or --threshold value ("X" or "COLUMN=X").
util::Status add_method_option(Options& o, const std::string& value);
util::Status add_threshold_option(Options& o, const std::string& value);
// Every column named by a per-column option must be compared (errors name the column).
util::Status check_column_options(const Options& o, const std::vector<std::string>& columns);

// Evidently's default test for a column: reference rows (missing included) <= 1000: KS for numeric
// columns with more than 5 distinct values, chi-square for 3-5 and for categorical columns with
// more than 2, the Z-test for at most 2; more rows: Wasserstein (normed) for numeric columns with
// more than 5 distinct values, Jensen-Shannon otherwise.
Method default_method(bool numeric, std::size_t reference_rows, std::size_t distinct_values);

// One column of both files compared.
util::Result<ColumnResult> compare_column(const ColumnProfile& ref, const ColumnProfile& cur, const Options& o);

// Reference and current frequencies as Evidently bins them for Jensen-Shannon, PSI, KL and
// Hellinger: numeric columns with more than 20 distinct reference values in 30 equal-width bins
// over the range of both, others per value; shares of non-missing values; with fill_zeroes, empty
// bins get a small share (a millionth of the smallest non-zero share, at most 0.0001).
struct Binned {
    std::vector<double> reference, current;
};
Binned binned_shares(const ColumnProfile& ref, const ColumnProfile& cur, bool fill_zeroes);

// Every common column compared in parallel, the multivariate check, the summary.
util::Result<Report> analyze(const DatasetProfile& ref, const DatasetProfile& cur, const Options& o);
// The same, consuming the profiles: each numeric column's row-order values are freed as the column
// is sorted (the multivariate check, which needs them, runs first), so the peak holds one sorted
// copy per running thread instead of one per column. `ref` and `cur` are left without values.
util::Result<Report> analyze(DatasetProfile&& ref, DatasetProfile&& cur, const Options& o);

} // namespace mlops::drift
