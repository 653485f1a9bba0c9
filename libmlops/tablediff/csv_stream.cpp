#include <mlops/tablediff/csv_stream.hpp>

#include <cerrno>
#include <cstring>
#include <sys/stat.h>
#include <unistd.h>

#include <fmt/format.h>

namespace mlops::tablediff {

namespace {
constexpr std::size_t k_chunk = 1 << 20;
}

util::Result<CsvStream> CsvStream::open(const std::string& path, const std::string& label) {
    CsvStream s;
    auto fd = util::UniqueFd::open_read(path);
    if (!fd) return util::fail(util::Error::usage(fmt::format("{}: cannot read: {}", label, fd.error().message)));
    struct stat st{};
    if (::fstat(fd->get(), &st) != 0) return util::fail(util::Error::from_errno(label, errno));
    if (S_ISDIR(st.st_mode)) return util::fail(util::Error::usage(fmt::format("{}: is a folder, not a CSV file", label)));
    s.m_fd = std::move(*fd);
    s.m_label = label;
    s.m_size = std::size_t(st.st_size);
    s.m_chunk.resize(k_chunk);
    return s;
}

util::Status CsvStream::line_end(char c) {
    if (c == '\r') {
        if (m_pos == m_end) MLOPS_TRY(fill());
        if (m_pos < m_end && m_chunk[m_pos] == '\n') ++m_pos;
    }
    ++m_line;
    return {};
}

util::Result<bool> CsvStream::fill() {
    if (m_eof) return false;
    for (;;) {
        ssize_t n = ::read(m_fd.get(), m_chunk.data(), m_chunk.size());
        if (n < 0) {
            if (errno == EINTR) continue;
            return util::fail(util::Error::from_errno(m_label, errno));
        }
        m_pos = 0;
        m_end = std::size_t(n);
        if (n == 0) m_eof = true;
        if (m_first && n > 0) {
            m_first = false;
            if (m_end >= 3 && std::memcmp(m_chunk.data(), "\xEF\xBB\xBF", 3) == 0) m_pos = 3;
        }
        return n > 0;
    }
}

util::Result<bool> CsvStream::next(Record& rec) {
    // States: at the start of a field, inside an unquoted field, inside quotes, just after a quote
    // inside quotes (either the closing quote or the first half of "").
    enum class St { field_start, unquoted, quoted, quote_in_quoted };
    for (;;) { // one iteration per record; blank lines loop
        m_buf.clear();
        m_bounds.clear();
        St st = St::field_start;
        std::size_t start_line = m_line;
        std::size_t quote_line = 0;
        bool any = false; // any byte of this record seen (other than its terminator)
        auto end_field = [&] { m_bounds.push_back(m_buf.size()); };
        for (;;) {
            if (m_pos == m_end) {
                if (!MLOPS_TRY(fill())) {
                    // End of file: finish the record being read, if any.
                    if (st == St::quoted)
                        return util::fail(util::Error::usage(fmt::format(
                            "{}:{}: quoted field is never closed (a \" without its closing quote)", m_label, quote_line)));
                    if (!any) return false;
                    end_field();
                    goto record_done;
                }
                continue;
            }
            const char* p = m_chunk.data() + m_pos;
            const char* e = m_chunk.data() + m_end;
            // Copy runs of ordinary bytes at once.
            if (st == St::unquoted || st == St::quoted) {
                const char* q = p;
                if (st == St::unquoted)
                    while (q < e && *q != ',' && *q != '\n' && *q != '\r' && *q != '\0') ++q;
                else
                    while (q < e && *q != '"' && *q != '\n' && *q != '\0') ++q;
                if (q != p) {
                    m_buf.append(p, q);
                    m_pos += std::size_t(q - p);
                    continue;
                }
            }
            char c = *p;
            ++m_pos;
            if (c == '\0')
                return util::fail(util::Error::usage(fmt::format("{}:{}: not a CSV file (binary data: a NUL byte)", m_label, m_line)));
            switch (st) {
            case St::field_start:
                if (c == '"') {
                    st = St::quoted;
                    quote_line = m_line;
                    any = true;
                } else if (c == ',') {
                    end_field();
                    any = true;
                } else if (c == '\n' || c == '\r') {
                    MLOPS_TRYV(line_end(c));
                    if (!any) { // a blank line
                        start_line = m_line;
                        continue;
                    }
                    end_field();
                    goto record_done;
                } else {
                    m_buf.push_back(c);
                    st = St::unquoted;
                    any = true;
                }
                break;
            case St::unquoted:
                if (c == ',') {
                    end_field();
                    st = St::field_start;
                } else if (c == '\n' || c == '\r') {
                    MLOPS_TRYV(line_end(c));
                    end_field();
                    goto record_done;
                }
                break;
            case St::quoted:
                if (c == '"') st = St::quote_in_quoted;
                else { // a newline inside quotes is part of the field
                    m_buf.push_back(c);
                    ++m_line;
                }
                break;
            case St::quote_in_quoted:
                if (c == '"') {
                    m_buf.push_back('"');
                    st = St::quoted;
                } else if (c == ',') {
                    end_field();
                    st = St::field_start;
                } else if (c == '\n' || c == '\r') {
                    MLOPS_TRYV(line_end(c));
                    end_field();
                    goto record_done;
                } else {
                    // Text after the closing quote ("ab"c): kept, as Python's csv module and pandas do.
                    m_buf.push_back(c);
                    st = St::unquoted;
                }
                break;
            }
        }
    record_done:
        rec.line = start_line;
        rec.fields.clear();
        std::size_t from = 0;
        for (std::size_t b : m_bounds) {
            rec.fields.emplace_back(m_buf.data() + from, b - from);
            from = b;
        }
        return true;
    }
}

} // namespace mlops::tablediff
