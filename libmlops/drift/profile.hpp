// What drift detection keeps of a CSV file, read chunk by chunk with ml::CsvReader: per numeric
// column its values as float64 in row order (8 bytes a row: the tests need every value, and the
// multivariate check needs whole rows), per text column a dictionary of counts. Neither the text of
// the file nor a string per row is kept, so memory grows with rows x numeric columns only.
#pragma once

#include <cstddef>
#include <functional>
#include <map>
#include <optional>
#include <span>
#include <string>
#include <unordered_map>
#include <vector>

#include <mlops/ml/csv.hpp>
#include <mlops/util/error.hpp>

namespace mlops::drift {

enum class ColumnType { numeric, categorical, empty }; // empty: every value missing
const char* to_string(ColumnType t);

// Lets the counts be looked up by string_view, without building a string for every cell.
struct TextHash {
    using is_transparent = void;
    std::size_t operator()(std::string_view s) const noexcept { return std::hash<std::string_view>{}(s); }
};

struct ColumnProfile {
    std::string name;
    ColumnType type = ColumnType::empty;
    std::size_t rows = 0, missing = 0;
    ml::Numbers values;                                    // numeric: one per row, NaN = missing
    std::unordered_map<std::string, std::size_t, TextHash, std::equal_to<>> counts; // categorical: non-missing values
    // Numeric, read without keep_rows and every value a short decimal (see tally_on_grid): the
    // distinct values ascending with their counts, and `values` empty.
    bool counted = false;
    std::vector<double> distinct, distinct_counts;

    void add_number(double v);
    void add_text(std::string_view v); // "" or a missing token counts as missing
    std::size_t present() const { return rows - missing; }
    // Numeric: the non-missing values, sorted (also of a counted column).
    std::vector<double> sorted_values() const;
    // The same, consuming `values` (freed before the sort's scratch is taken).
    std::vector<double> take_sorted();
};

// Two numeric columns pooled: each distinct non-missing value once, ascending, with how often it
// occurs in the reference and in the current column (the run lengths of both sorted columns).
struct Tally {
    std::vector<double> values, ref_counts, cur_counts;
};

// The tally by counting instead of sorting, when every value of both columns is a decimal with a
// few digits after the point (x == k / 10^d exactly as the CSV parser rounds it, d <= 12) and each
// column's grid from its smallest to its largest value has at most max(2^22, 2 x values) steps: a CSV
// of prices, sensor readings or rounded figures, read at a few nanoseconds a value (an array of
// counts per grid step) where sorting takes tens. nullopt otherwise (NaN skipped; infinities,
// finer decimals or a sparse grid): the caller sorts.
std::optional<Tally> tally_on_grid(std::span<const double> ref, std::span<const double> cur);
// Two counted columns pooled; nullopt unless both are counted.
std::optional<Tally> pooled_counts(const ColumnProfile& ref, const ColumnProfile& cur);

struct DatasetProfile {
    std::string label; // as the user named it (path, path@rev, oid)
    std::string path;  // the file read
    std::size_t rows = 0;
    std::vector<ColumnProfile> columns;

    const ColumnProfile* find(std::string_view name) const;
    ColumnProfile* find(std::string_view name);
};

// The type of each column from the first rows of a file (every column read as text): numeric when
// every non-missing value there is a number.
struct Sniffed {
    std::vector<std::string> header;
    std::vector<ColumnType> types;
};
util::Result<Sniffed> sniff(const std::string& path, const std::string& label, std::size_t rows = 65536);

struct ReadOptions {
    std::vector<std::string> columns;      // the columns to keep, in report order
    std::vector<std::string> text_columns; // read as text; every other kept column is numeric
    std::size_t chunk_rows = 65536;  // with a chunk hook: rows a chunk
    std::size_t chunk_bytes = 0;     // without: bytes a batch (0: 8 MiB per thread)
    // Numeric values in row order (the multivariate check needs rows). Without (and without a
    // chunk hook), short decimals are counted as they are read (ColumnProfile::counted): no
    // memory per row.
    bool keep_rows = true;
    unsigned threads = 0;
};

// Called with every chunk after its columns were added (the CLI runs a model over it and adds the
// outputs as columns of its own).
using ChunkHook = std::function<util::Status(const ml::Frame& chunk, DatasetProfile& profile)>;

// Reads the whole file chunk by chunk; columns are filled in parallel. A file without data rows is
// an error naming it (by its label).
util::Result<DatasetProfile> read_profile(const std::string& path, const std::string& label,
                                          const ReadOptions& opts, const ChunkHook& hook = {});

// Both files' columns compared: the same names (or, with allow_missing, the common ones, and a
// warning naming the rest), and no column numeric in one and text in the other. Returns the read
// options for both files (text columns: text in either; every column read the same way).
struct PairPlan {
    ReadOptions read;
    std::vector<std::string> warnings;
};
util::Result<PairPlan> plan_pair(const Sniffed& ref, const std::string& ref_label, const Sniffed& cur,
                                 const std::string& cur_label, bool allow_missing);

// An error from the CSV reader names the file it mapped; show the user's name for it instead.
util::Error relabel(util::Error e, const std::string& path, const std::string& label);

} // namespace mlops::drift
