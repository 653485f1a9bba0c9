// A fast CSV reader for training data: the file is mapped, cut into byte ranges at line boundaries
// and the ranges are parsed in parallel (std::from_chars) straight into their columns.
// Numeric columns become doubles (NaN = missing); text columns (categorical features, class
// targets) keep their strings ("" = missing). Quoted fields ("a,b", "say ""hi""") are understood;
// a newline inside a quoted field is not (one record per line).
#pragma once

#include <cmath>
#include <cstddef>
#include <memory>
#include <new>
#include <utility>
#include <string>
#include <string_view>
#include <vector>

#include <mlops/util/error.hpp>

namespace mlops::ml {

// Storage for numeric columns: large blocks come from mmap with transparent huge pages and are not
// zero-filled on resize (the parser writes every element), so a 1M-row file costs a few hundred page
// faults, taken by the parsing threads, instead of a single-threaded memset over 4 KiB faults.
template <class T> struct BulkAllocator {
    using value_type = T;
    BulkAllocator() = default;
    template <class U> BulkAllocator(const BulkAllocator<U>&) noexcept {}
    T* allocate(std::size_t n);
    void deallocate(T* p, std::size_t n) noexcept;
    template <class U> void construct(U* p) noexcept { ::new (static_cast<void*>(p)) U; }
    template <class U, class... A> void construct(U* p, A&&... a) { ::new (static_cast<void*>(p)) U(std::forward<A>(a)...); }
    template <class U> bool operator==(const BulkAllocator<U>&) const noexcept { return true; }
};
void* bulk_allocate(std::size_t bytes);
void bulk_free(void* p, std::size_t bytes) noexcept;
template <class T> T* BulkAllocator<T>::allocate(std::size_t n) { return static_cast<T*>(bulk_allocate(n * sizeof(T))); }
template <class T> void BulkAllocator<T>::deallocate(T* p, std::size_t n) noexcept { bulk_free(p, n * sizeof(T)); }
using Numbers = std::vector<double, BulkAllocator<double>>;

struct Column {
    std::string name;
    bool is_text = false;
    Numbers numbers;                // numeric columns; NaN marks a missing value
    std::vector<std::string> texts; // text columns; "" marks a missing value

    bool missing(std::size_t row) const { return is_text ? texts[row].empty() : std::isnan(numbers[row]); }
};

struct Frame {
    std::string path;
    std::vector<Column> columns;
    std::size_t rows = 0;
    std::size_t first_line = 2;     // file line number of row 0 (the header is line 1)
    std::vector<std::size_t> lines; // line number of each row, only when blank lines were skipped

    const Column* find(std::string_view name) const;
    std::size_t line_of(std::size_t row) const { return lines.empty() ? first_line + row : lines[row]; }
};

struct CsvOptions {
    std::vector<std::string> text_columns; // kept as strings; every other column must be numeric
    unsigned threads = 0;                  // 0 = one per core
};

// The given rows of a frame, in the given order (line numbers kept for error messages).
Frame take_rows(const Frame& f, const std::vector<std::size_t>& rows);

// True for the spellings of a missing value: "", NA, N/A, NaN, nan, null, None.
bool is_missing_token(std::string_view field);

// Reads a CSV file chunk by chunk (predict streams over its input this way).
class CsvReader {
  public:
    // Fails on a missing or empty file and on a file without a header line.
    static util::Result<CsvReader> open(const std::string& path);
    CsvReader(CsvReader&&) noexcept;
    CsvReader& operator=(CsvReader&&) noexcept;
    ~CsvReader();

    const std::vector<std::string>& header() const { return m_header; }
    const std::string& path() const { return m_path; }
    // Parses up to max_rows further records (0 = all that are left); an empty frame at the end.
    util::Result<Frame> next(std::size_t max_rows, const CsvOptions& opts);
    bool done() const { return m_pos >= m_size; }
    // Gives the pages of the records already parsed back to the kernel (they stay readable: a
    // private file mapping reads them again on access), so reading a large file chunk by chunk
    // does not keep all of it resident.
    void release_parsed();

  private:
    CsvReader() = default;
    std::string m_path;
    const char* m_data = nullptr;
    std::size_t m_size = 0;
    std::size_t m_pos = 0;
    std::size_t m_line = 2; // line number of the record at m_pos
    std::size_t m_released = 0; // bytes from the start handed back by release_parsed
    std::vector<std::string> m_header;
};

// The whole file; a file with no data rows is an error naming it.
util::Result<Frame> read_csv(const std::string& path, const CsvOptions& opts);

// Splits one CSV line into fields (quotes removed, fields trimmed).
std::vector<std::string> split_csv_line(std::string_view line);

} // namespace mlops::ml
