// A streaming RFC 4180 CSV reader for `mlops diff --rows`: one record at a time from a file read in
// fixed-size chunks, so memory does not grow with the file. Unlike ml::CsvReader (which maps the
// whole file and cuts it at line boundaries for parallel parsing), it understands newlines inside
// quoted fields, and it keeps every field as text, exactly as written (no trimming, no typing).
#pragma once

#include <cstddef>
#include <string>
#include <string_view>
#include <vector>

#include <mlops/util/error.hpp>
#include <mlops/util/fs.hpp>

namespace mlops::tablediff {

struct Record {
    std::size_t line = 0;                // line of the file where the record starts (1-based)
    std::vector<std::string_view> fields; // views into the reader's buffer, valid until the next call
};

class CsvStream {
  public:
    // Opens the file; `label` names it in every error ("data/x.csv@HEAD").
    static util::Result<CsvStream> open(const std::string& path, const std::string& label);
    CsvStream(CsvStream&&) noexcept = default;
    CsvStream& operator=(CsvStream&&) noexcept = default;

    // The next record, or false at the end of the file. Blank lines are skipped. Fails on an
    // unterminated quoted field and on binary data (a NUL byte), naming the label and line.
    util::Result<bool> next(Record& rec);
    // Bytes of the file read so far and its size (for progress and bucket sizing).
    std::size_t size() const { return m_size; }
    const std::string& label() const { return m_label; }

  private:
    CsvStream() = default;
    util::Result<bool> fill(); // reads the next chunk; false at EOF
    // A record ends at \n, \r\n or a lone \r (`c`): takes the \n of a CRLF, reading the next chunk
    // when the \r was the last byte, and counts the line.
    util::Status line_end(char c);
    util::UniqueFd m_fd;
    std::string m_label;
    std::size_t m_size = 0;
    std::vector<char> m_chunk;
    std::size_t m_pos = 0, m_end = 0;
    bool m_eof = false;
    bool m_first = true; // a UTF-8 byte order mark at the very start is skipped
    std::size_t m_line = 1;
    std::string m_buf;                 // the current record's fields, unquoted, back to back
    std::vector<std::size_t> m_bounds; // end offset of each field in m_buf
};

} // namespace mlops::tablediff
