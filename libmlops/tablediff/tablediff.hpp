// Row-level diff of two versions of a CSV table (`mlops diff --rows`), in bounded memory.
//
// Rows are matched by key columns (`keys`) or, without keys, by their whole content as a multiset
// (a row present twice before and once after is one removed row). Both versions are compared on the
// columns they share; columns only one side has are reported as added or removed columns. A keyed
// row whose shared values differ is a changed row, with the cells that changed.
//
// Memory: when the old version is small against the budget its rows are held in memory and the new
// version is streamed past them. Otherwise both versions are streamed once into K bucket files on
// disk by a hash of each row's key (K from the old file's size, so one bucket's rows fit the
// budget), and the buckets are diffed one at a time. Rows with the same key always share a bucket,
// so the answer does not depend on K. Reported rows are kept to `limit` per kind (the ones earliest
// in the file), so the result's memory is bounded too; the counts always cover every row.
#pragma once

#include <cstddef>
#include <cstdint>
#include <optional>
#include <string>
#include <vector>

#include <mlops/util/error.hpp>

namespace mlops::tablediff {

struct Side {
    std::string file;  // the file to read
    std::string label; // names it in errors and output ("data/x.csv@HEAD")
    // The file does not exist in this version (created or deleted between the two, as git shows a
    // new file): a table with the other side's columns and no rows. Not both sides.
    bool absent = false;
};

struct Options {
    std::vector<std::string> keys;            // empty: match whole rows
    std::uint64_t memory = 256ull << 20;      // budget for the rows held in memory
    std::size_t limit = 0;                    // rows reported per kind; 0 = all
    std::string tmp_dir;                      // where bucket files go (removed afterwards)
    std::size_t force_buckets = 0;            // tests: this many buckets, spilled, whatever the sizes
};

struct RowRef {
    std::size_t line = 0;            // line of the file where the row starts
    std::vector<std::string> values; // every value of the row, in its file's column order
};

struct CellChange {
    std::string column;
    std::string old_value, new_value;
};

struct ChangedRow {
    std::vector<std::string> key; // the key values, in `keys` order
    std::size_t old_line = 0, new_line = 0;
    std::vector<CellChange> cells; // in the old file's column order
};

struct TableDiff {
    std::string old_label, new_label;
    std::vector<std::string> keys;
    std::vector<std::string> old_columns, new_columns;
    bool old_absent = false, new_absent = false; // the file was created / deleted
    std::vector<std::string> added_columns, removed_columns; // in their file's order
    bool columns_reordered = false;                          // shared columns in another order
    std::uint64_t old_rows = 0, new_rows = 0;
    std::uint64_t added = 0, removed = 0, changed = 0, unchanged = 0;
    std::vector<RowRef> added_rows;     // by line in the new file, at most `limit`
    std::vector<RowRef> removed_rows;   // by line in the old file, at most `limit`
    std::vector<ChangedRow> changed_rows; // by line in the new file, at most `limit`
    std::size_t buckets = 1;            // 1: in memory
    bool any_difference() const {
        return added || removed || changed || !added_columns.empty() || !removed_columns.empty();
    }
};

// Errors (usage kind, exit 2) name the file and line: not a CSV, a record with the wrong number of
// fields, a key column missing from one side, a duplicate key (with both lines), a header naming a
// column twice.
util::Result<TableDiff> diff(const Side& old_side, const Side& new_side, const Options& opts);

} // namespace mlops::tablediff
