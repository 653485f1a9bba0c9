// A fast CSV reader for training data: the file is mapped, cut into byte ranges at line boundaries
// and the ranges are parsed in parallel (std::from_chars) straight into their columns.
// Numeric columns become doubles (NaN = missing); text columns (categorical features, class
// targets) keep their strings ("" = missing). Quoted fields ("a,b", "say ""hi""") are understood;
// a newline inside a quoted field is not (one record per line).
#pragma once

#include <cmath>
#include <cstring>
#include <limits>
#include <cstddef>
#include <cstdint>
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

namespace csv_detail {
// Parses the number starting at p (the common case in place, else std::from_chars); returns the
// first character after it, or nullptr when no number starts there.
const char* scan_number(const char* p, const char* end, double& out);
// The whole of s as a number, inf and nan included.
bool parse_number(std::string_view s, double& out);
// The next field of `line` from `pos` (trimmed; quotes removed into `scratch`); pos moves past the
// separator, beyond line.size() after the last field.
std::string_view next_field(std::string_view line, std::size_t& pos, std::string& scratch);
std::size_t count_fields(std::string_view line);
bool blank(std::string_view line);
// Spaces and tabs off both ends ('\r' too at the end).
inline std::string_view trim(std::string_view f) {
    while (!f.empty() && (f.front() == ' ' || f.front() == '\t')) f.remove_prefix(1);
    while (!f.empty() && (f.back() == ' ' || f.back() == '\t' || f.back() == '\r')) f.remove_suffix(1);
    return f;
}

// The start of every field of a line without quotes (starts[0] = 0, then one past each comma),
// looking at 16 bytes at a time: the line's 16 bytes past its end must be readable. Returns the
// number of fields, or 0 when the line has a quote or more than `max_fields` fields.
std::size_t split_fields(std::string_view line, std::uint32_t* starts, std::size_t max_fields);
// A field that is exactly [-]digits[.digits] with at most 8 digits on each side and a mantissa
// within 2^53, read without a branch per digit (the digits of CSV numbers vary in length, and
// mispredicted loop exits cost more than the arithmetic); the 16 bytes from p must be readable.
// The number is (-1)^neg mant / 10^frac. False: not that shape, the caller parses it the general way.
bool plain_decimal(const char* p, std::size_t len, bool& neg, std::uint64_t& mant, unsigned& frac);
// Its value as scan_number reads it (one correctly rounded division).
double decimal_value(bool neg, std::uint64_t mant, unsigned frac);
constexpr std::size_t k_max_split_fields = 256;

// Parses one record into a sink: sink.number(j, value) for every numeric column j (NaN when
// missing), sink.text(j, field) for every text column (the trimmed field as written; the view lives
// until the next field). A sink with decimal(j, neg, mant, frac) gets plain decimals that way
// instead, without their division into a double. Returns "" or what is wrong, to follow
// "FILE: line N": ", column 'x': 'abc' is not a number" or ": 3 fields, the header has 4".
// `readable_end`: how far past the line memory may be read (the end of the file's mapping); with
// 16 bytes to spare, a line without quotes is split at its commas first and its fields are parsed
// independently of one another (plain_decimal), which lets the processor work on several at once.
template <class Sink>
std::string parse_record(std::string_view line, const char* readable_end, const std::vector<std::string>& header,
                         const std::vector<bool>& is_text, std::string& scratch, Sink& sink) {
    auto number = [&](std::size_t j, double v) { sink.number(j, v); };
    auto text = [&](std::size_t j, std::string_view f) { sink.text(j, f); };
    // A numeric field the fast ways did not take: missing, or any number form; else what is wrong.
    auto general_number = [&](std::size_t j, std::string_view field) -> std::string {
        double v = std::numeric_limits<double>::quiet_NaN();
        if (!is_missing_token(field) && !parse_number(field, v))
            return ", column '" + header[j] + "': '" + std::string(field) + "' is not a number";
        number(j, v);
        return {};
    };
    const std::size_t ncols = header.size();
    const char* line_end = line.data() + line.size();
    if (ncols <= k_max_split_fields && readable_end - line_end >= 16) {
        std::uint32_t starts[k_max_split_fields + 1];
        if (split_fields(line, starts, ncols) == ncols) {
            starts[ncols] = std::uint32_t(line.size() + 1);
            for (std::size_t j = 0; j < ncols; ++j) {
                std::string_view raw = line.substr(starts[j], starts[j + 1] - 1 - starts[j]);
                if (is_text[j]) {
                    text(j, trim(raw));
                    continue;
                }
                bool neg;
                std::uint64_t mant;
                unsigned frac;
                if (plain_decimal(raw.data(), raw.size(), neg, mant, frac)) {
                    if constexpr (requires { sink.decimal(j, neg, mant, frac); })
                        sink.decimal(j, neg, mant, frac);
                    else
                        number(j, decimal_value(neg, mant, frac));
                    continue;
                }
                if (auto wrong = general_number(j, trim(raw)); !wrong.empty()) return wrong;
            }
            return {};
        }
    }
    std::size_t fpos = 0, j = 0;
    for (; j < ncols && fpos <= line.size(); ++j) {
        if (!is_text[j]) {
            // Fast path: a plain number followed by the separator, parsed in place.
            double v;
            const char* q = scan_number(line.data() + fpos, line_end, v);
            if (q && (q == line_end ? j + 1 == ncols : *q == ',')) {
                number(j, v);
                fpos = std::size_t(q - line.data()) + 1;
                continue;
            }
        }
        auto field = next_field(line, fpos, scratch);
        if (is_text[j]) {
            text(j, field);
            continue;
        }
        if (auto wrong = general_number(j, field); !wrong.empty()) return wrong;
    }
    if (j < ncols || fpos <= line.size())
        return ": " + std::to_string(count_fields(line)) + " fields, the header has " + std::to_string(ncols);
    return {};
}
} // namespace csv_detail

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
    std::size_t size() const { return m_size; }       // bytes
    std::size_t position() const { return m_pos; }    // bytes read (taken)
    // Parses up to max_rows further records (0 = all that are left); an empty frame at the end.
    util::Result<Frame> next(std::size_t max_rows, const CsvOptions& opts);
    bool done() const { return m_pos >= m_size; }
    // Gives the pages of the records already parsed back to the kernel (they stay readable: a
    // private file mapping reads them again on access), so reading a large file chunk by chunk
    // does not keep all of it resident.
    void release_parsed();

    // For callers that parse records themselves: the next `bytes` or so of the file (at least one
    // record), cut at line ends into up to `pieces` byte ranges, each taken by one thread to scan.
    struct Range {
        std::size_t begin = 0, end = 0;
    };
    std::vector<Range> take(std::size_t bytes, std::size_t pieces);
    // The records (non-blank lines) of a range: scan's sink.row() calls to come.
    std::size_t count_records(Range r) const;
    // Parses the records of a range from take() (blank lines skipped) into `sink`:
    // sink.number(j, v), sink.text(j, field) as csv_detail::parse_record calls them, then
    // sink.row() after each record. Ranges may be scanned on several threads at once. Errors name
    // the file and the line.
    template <class Sink> util::Status scan(Range r, const std::vector<bool>& is_text, Sink& sink) const;
    // Which columns of the header are in `text_columns`.
    std::vector<bool> text_mask(const std::vector<std::string>& text_columns) const;

  private:
    // The line number of the line starting at byte `offset` (counted from the start: for errors).
    std::size_t line_at(std::size_t offset) const;
    CsvReader() = default;
    std::string m_path;
    const char* m_data = nullptr;
    std::size_t m_size = 0;
    std::size_t m_pos = 0;
    std::size_t m_line = 2; // line number of the record at m_pos
    std::size_t m_released = 0; // bytes from the start handed back by release_parsed
    std::vector<std::string> m_header;
};

template <class Sink> util::Status CsvReader::scan(Range r, const std::vector<bool>& is_text, Sink& sink) const {
    std::string scratch;
    std::size_t pos = r.begin;
    while (pos < r.end) {
        const void* nl = std::memchr(m_data + pos, '\n', r.end - pos);
        std::size_t stop = nl ? std::size_t(static_cast<const char*>(nl) - m_data) : r.end;
        std::string_view line(m_data + pos, stop - pos);
        std::size_t start = pos;
        pos = stop + 1;
        if (!line.empty() && line.back() == '\r') line.remove_suffix(1);
        if (csv_detail::blank(line)) continue;
        auto wrong = csv_detail::parse_record(line, m_data + m_size, m_header, is_text, scratch, sink);
        if (!wrong.empty()) return util::fail(util::Error::usage(m_path + ": line " + std::to_string(line_at(start)) + wrong));
        sink.row();
    }
    return {};
}

// The whole file; a file with no data rows is an error naming it.
util::Result<Frame> read_csv(const std::string& path, const CsvOptions& opts);

// Splits one CSV line into fields (quotes removed, fields trimmed).
std::vector<std::string> split_csv_line(std::string_view line);

} // namespace mlops::ml
