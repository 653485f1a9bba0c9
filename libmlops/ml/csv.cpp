#include <mlops/ml/csv.hpp>

#include <algorithm>
#include <charconv>
#include <cstdlib>
#include <cstring>
#include <fcntl.h>
#include <limits>
#include <optional>
#include <sys/mman.h>
#include <sys/stat.h>
#include <unistd.h>
#include <unordered_map>
#if defined(__SSE2__)
#include <emmintrin.h>
#endif

#include <mlops/util/parallel.hpp>

namespace mlops::ml {

namespace {
constexpr std::size_t k_bulk_threshold = std::size_t(4) << 20;
}

void* bulk_allocate(std::size_t bytes) {
    if (bytes < k_bulk_threshold) {
        void* p = std::malloc(bytes ? bytes : 1);
        if (!p) throw std::bad_alloc();
        return p;
    }
    void* p = ::mmap(nullptr, bytes, PROT_READ | PROT_WRITE, MAP_PRIVATE | MAP_ANONYMOUS, -1, 0);
    if (p == MAP_FAILED) throw std::bad_alloc();
    ::madvise(p, bytes, MADV_HUGEPAGE);
    return p;
}

void bulk_free(void* p, std::size_t bytes) noexcept {
    if (!p) return;
    if (bytes < k_bulk_threshold)
        std::free(p);
    else
        ::munmap(p, bytes);
}

const Column* Frame::find(std::string_view name) const {
    for (const auto& c : columns)
        if (c.name == name) return &c;
    return nullptr;
}

bool is_missing_token(std::string_view f) {
    return f.empty() || f == "NA" || f == "N/A" || f == "NaN" || f == "nan" || f == "null" || f == "None";
}

namespace {

std::string_view trim_field(std::string_view f) {
    while (!f.empty() && (f.front() == ' ' || f.front() == '\t')) f.remove_prefix(1);
    while (!f.empty() && (f.back() == ' ' || f.back() == '\t' || f.back() == '\r')) f.remove_suffix(1);
    return f;
}

} // namespace

namespace csv_detail {

bool blank(std::string_view line) { return trim_field(line).empty(); }

std::string_view next_field(std::string_view line, std::size_t& pos, std::string& scratch) {
    std::size_t start = pos;
    while (start < line.size() && line[start] == ' ') ++start;
    if (start < line.size() && line[start] == '"') {
        scratch.clear();
        std::size_t i = start + 1;
        while (i < line.size()) {
            if (line[i] == '"') {
                if (i + 1 < line.size() && line[i + 1] == '"') {
                    scratch.push_back('"');
                    i += 2;
                    continue;
                }
                ++i;
                break;
            }
            scratch.push_back(line[i++]);
        }
        auto comma = line.find(',', i);
        pos = comma == std::string_view::npos ? line.size() + 1 : comma + 1;
        return scratch;
    }
    auto comma = line.find(',', start);
    if (comma == std::string_view::npos) {
        pos = line.size() + 1;
        return trim_field(line.substr(start));
    }
    pos = comma + 1;
    return trim_field(line.substr(start, comma - start));
}

std::size_t count_fields(std::string_view line) {
    std::string scratch;
    std::size_t pos = 0, n = 0;
    while (pos <= line.size()) {
        next_field(line, pos, scratch);
        ++n;
    }
    return n;
}

// Decimal text to double. The common case (at most 19 significant digits, a power of ten within
// 10^22) is Clinger's fast path: mantissa and power are exact doubles, so one multiplication or
// division rounds correctly. Everything else goes to std::from_chars. Returns false for non-numbers.
constexpr double k_pow10[] = {1e0,  1e1,  1e2,  1e3,  1e4,  1e5,  1e6,  1e7,  1e8,  1e9,  1e10, 1e11,
                              1e12, 1e13, 1e14, 1e15, 1e16, 1e17, 1e18, 1e19, 1e20, 1e21, 1e22};

std::size_t split_fields(std::string_view line, std::uint32_t* starts, std::size_t max_fields) {
    std::size_t n = 1;
    starts[0] = 0;
    const char* p = line.data();
    const std::size_t len = line.size();
#if defined(__SSE2__)
    const __m128i comma = _mm_set1_epi8(','), quote = _mm_set1_epi8('"');
    for (std::size_t off = 0; off < len; off += 16) {
        __m128i v = _mm_loadu_si128(reinterpret_cast<const __m128i*>(p + off));
        unsigned keep = len - off >= 16 ? 0xFFFFu : (1u << (len - off)) - 1;
        unsigned q = unsigned(_mm_movemask_epi8(_mm_cmpeq_epi8(v, quote))) & keep;
        unsigned c = unsigned(_mm_movemask_epi8(_mm_cmpeq_epi8(v, comma))) & keep;
        if (q) return 0;
        for (; c; c &= c - 1) {
            if (n >= max_fields) return 0;
            starts[n++] = std::uint32_t(off + unsigned(__builtin_ctz(c)) + 1);
        }
    }
#else
    if (std::memchr(p, '"', len)) return 0;
    for (std::size_t i = 0; i < len; ++i)
        if (p[i] == ',') {
            if (n >= max_fields) return 0;
            starts[n++] = std::uint32_t(i + 1);
        }
#endif
    return n;
}

namespace {

constexpr std::uint64_t k_pow10_int[] = {1, 10, 100, 1000, 10000, 100000, 1000000, 10000000, 100000000};

std::uint64_t load8(const char* p) {
    std::uint64_t w;
    std::memcpy(&w, p, 8);
    return w;
}

// The value of the first n (0-8) bytes of w as decimal digits (first byte lowest, as x86 loads
// them; the bytes are known to be digits): shifted up so that zeros lead, then pairs, quads and
// octets combined by multiplication.
std::uint64_t digits_value(std::uint64_t w, unsigned n) {
    std::uint64_t t = (w - 0x3030303030303030ull) << ((8 * (8 - n)) & 63);
    t = (t * 10 + (t >> 8)) & 0x00FF00FF00FF00FFull;
    t = (t * 100 + (t >> 16)) & 0x0000FFFF0000FFFFull;
    t = (t * 10000 + (t >> 32)) & 0xFFFFFFFFull;
    return n ? t : 0;
}

} // namespace

bool plain_decimal(const char* p, std::size_t len, bool& neg, std::uint64_t& mant, unsigned& frac) {
#if defined(__SSE2__)
    neg = len > 0 && *p == '-';
    p += neg;
    len -= neg;
    if (len == 0 || len > 16) return false;
    const __m128i v = _mm_loadu_si128(reinterpret_cast<const __m128i*>(p));
    const unsigned keep = len == 16 ? 0xFFFFu : (1u << len) - 1;
    const __m128i t = _mm_sub_epi8(v, _mm_set1_epi8('0'));
    const unsigned digits = unsigned(_mm_movemask_epi8(_mm_cmpeq_epi8(_mm_min_epu8(t, _mm_set1_epi8(9)), t))) & keep;
    const unsigned dots = unsigned(_mm_movemask_epi8(_mm_cmpeq_epi8(v, _mm_set1_epi8('.')))) & keep;
    if ((digits | dots) != keep || (dots & (dots - 1)) != 0) return false;
    const unsigned whole = dots ? unsigned(__builtin_ctz(dots)) : unsigned(len);
    frac = dots ? unsigned(len) - whole - 1 : 0;
    if (whole > 8 || frac > 8 || whole + frac == 0) return false;
    mant = digits_value(load8(p), whole) * k_pow10_int[frac] + digits_value(load8(p + whole + 1), frac);
    return mant <= (std::uint64_t(1) << 53);
#else
    (void)p, (void)len, (void)neg, (void)mant, (void)frac;
    return false;
#endif
}

double decimal_value(bool neg, std::uint64_t mant, unsigned frac) {
    double x = double(mant);
    if (frac) x /= k_pow10[frac];
    return neg ? -x : x;
}

const char* scan_number(const char* p, const char* end, double& out) {
    const char* start = p;
    bool neg = false;
    if (p < end && (*p == '-' || *p == '+')) neg = *p++ == '-';
    // Every digit goes into the mantissa (it wraps past 19 digits, which take the slow path).
    // (A plain loop: its branches are predicted, so the next field's start is known early; 8 digits
    // at a time with SWAR measured slower, as each number's end then waits on its digits.)
    std::uint64_t mant = 0;
    const char* digits_start = p;
    while (p < end && unsigned(*p - '0') < 10) mant = mant * 10 + unsigned(*p++ - '0');
    std::ptrdiff_t digits = p - digits_start;
    int exp10 = 0;
    if (p < end && *p == '.') {
        const char* frac = ++p;
        while (p < end && unsigned(*p - '0') < 10) mant = mant * 10 + unsigned(*p++ - '0');
        exp10 = -int(p - frac);
        digits += p - frac;
    }
    if (digits == 0) return nullptr;
    if (p < end && (*p == 'e' || *p == 'E')) {
        ++p;
        bool eneg = false;
        if (p < end && (*p == '-' || *p == '+')) eneg = *p++ == '-';
        if (p == end || unsigned(*p - '0') >= 10) return nullptr;
        int e = 0;
        while (p < end && unsigned(*p - '0') < 10) {
            if (e < 100000) e = e * 10 + (*p - '0');
            ++p;
        }
        exp10 += eneg ? -e : e;
    }
    if (digits <= 19 && mant <= (std::uint64_t(1) << 53) && exp10 >= -22 && exp10 <= 22) {
        double v = double(mant);
        v = exp10 < 0 ? v / k_pow10[-exp10] : v * k_pow10[exp10];
        out = neg ? -v : v;
        return p;
    }
    if (*start == '+') ++start;
    auto [q, ec] = std::from_chars(start, p, out);
    return ec == std::errc() && q == p ? p : nullptr;
}

bool parse_number(std::string_view s, double& out) {
    if (s.empty()) return false;
    if (scan_number(s.data(), s.data() + s.size(), out) == s.data() + s.size()) return true;
    // inf, infinity and the like.
    if (s.front() == '+') s.remove_prefix(1);
    auto [q, ec] = std::from_chars(s.data(), s.data() + s.size(), out);
    return ec == std::errc() && q == s.data() + s.size();
}

} // namespace csv_detail

namespace {

using namespace csv_detail;

struct Chunk {
    std::size_t begin = 0, end = 0;
    std::size_t records = 0, lines = 0;
    std::size_t first_row = 0, first_line = 0;
    std::optional<util::Error> error;
};

// Lines and non-blank lines in [b, e).
void count_chunk(const char* data, Chunk& c) {
    std::size_t pos = c.begin;
    while (pos < c.end) {
        const void* nl = std::memchr(data + pos, '\n', c.end - pos);
        std::size_t stop = nl ? std::size_t(static_cast<const char*>(nl) - data) : c.end;
        ++c.lines;
        if (!blank(std::string_view(data + pos, stop - pos))) ++c.records;
        pos = stop + 1;
    }
}

} // namespace

std::vector<std::string> split_csv_line(std::string_view line) {
    if (!line.empty() && line.back() == '\r') line.remove_suffix(1);
    std::vector<std::string> out;
    std::string scratch;
    std::size_t pos = 0;
    while (pos <= line.size()) out.emplace_back(next_field(line, pos, scratch));
    return out;
}

CsvReader::CsvReader(CsvReader&& o) noexcept { *this = std::move(o); }
CsvReader& CsvReader::operator=(CsvReader&& o) noexcept {
    if (this != &o) {
        if (m_data) ::munmap(const_cast<char*>(m_data), m_size);
        m_path = std::move(o.m_path);
        m_data = std::exchange(o.m_data, nullptr);
        m_size = std::exchange(o.m_size, 0);
        m_pos = o.m_pos;
        m_line = o.m_line;
        m_released = o.m_released;
        m_header = std::move(o.m_header);
    }
    return *this;
}
void CsvReader::release_parsed() {
    static const std::size_t page = std::size_t(::sysconf(_SC_PAGESIZE));
    std::size_t end = m_pos / page * page;
    if (!m_data || end <= m_released) return;
    ::madvise(const_cast<char*>(m_data) + m_released, end - m_released, MADV_DONTNEED);
    m_released = end;
}

CsvReader::~CsvReader() {
    if (m_data) ::munmap(const_cast<char*>(m_data), m_size);
}

util::Result<CsvReader> CsvReader::open(const std::string& path) {
    int fd = ::open(path.c_str(), O_RDONLY | O_CLOEXEC);
    if (fd < 0) return util::fail(util::Error::usage(fmt::format("{}: cannot open: {}", path, std::strerror(errno))));
    struct stat st {};
    if (::fstat(fd, &st) != 0 || !S_ISREG(st.st_mode)) {
        ::close(fd);
        return util::fail(util::Error::usage(fmt::format("{}: not a regular file", path)));
    }
    CsvReader r;
    r.m_path = path;
    if (st.st_size == 0) {
        ::close(fd);
        return util::fail(util::Error::usage(fmt::format("{}: empty file (a CSV file needs a header line)", path)));
    }
    void* p = ::mmap(nullptr, std::size_t(st.st_size), PROT_READ, MAP_PRIVATE, fd, 0);
    ::close(fd);
    if (p == MAP_FAILED) return util::fail(util::Error::from_errno(path + ": mmap", errno));
    ::madvise(p, std::size_t(st.st_size), MADV_SEQUENTIAL);
    r.m_data = static_cast<const char*>(p);
    r.m_size = std::size_t(st.st_size);
    std::string_view all(r.m_data, r.m_size);
    std::size_t pos = 0;
    if (all.starts_with("\xEF\xBB\xBF")) pos = 3; // UTF-8 byte order mark
    // The header is the first non-blank line.
    std::size_t line = 1;
    while (pos < r.m_size) {
        auto nl = all.find('\n', pos);
        std::size_t stop = nl == std::string_view::npos ? r.m_size : nl;
        auto text = all.substr(pos, stop - pos);
        pos = stop + 1;
        if (blank(text)) {
            ++line;
            continue;
        }
        r.m_header = split_csv_line(text);
        break;
    }
    if (r.m_header.empty())
        return util::fail(util::Error::usage(fmt::format("{}: empty file (a CSV file needs a header line)", path)));
    std::unordered_map<std::string, std::size_t> seen;
    for (std::size_t i = 0; i < r.m_header.size(); ++i) {
        if (r.m_header[i].empty())
            return util::fail(util::Error::usage(fmt::format("{}: line {}: column {} has no name", path, line, i + 1)));
        if (!seen.emplace(r.m_header[i], i).second)
            return util::fail(util::Error::usage(
                fmt::format("{}: line {}: column '{}' appears twice in the header", path, line, r.m_header[i])));
    }
    r.m_pos = std::min(pos, r.m_size);
    r.m_line = line + 1;
    return r;
}

util::Result<Frame> CsvReader::next(std::size_t max_rows, const CsvOptions& opts) {
    if (m_line == 0) m_line = line_at(m_pos);
    Frame f;
    f.path = m_path;
    f.first_line = m_line;
    const std::size_t ncols = m_header.size();
    const std::vector<bool> text = text_mask(opts.text_columns);

    // The byte range of this call: everything, or up to max_rows records.
    std::size_t end = m_size;
    if (max_rows > 0) {
        std::size_t pos = m_pos, records = 0;
        while (pos < m_size && records < max_rows) {
            const void* nl = std::memchr(m_data + pos, '\n', m_size - pos);
            std::size_t stop = nl ? std::size_t(static_cast<const char*>(nl) - m_data) : m_size;
            if (!blank(std::string_view(m_data + pos, stop - pos))) ++records;
            pos = stop + 1;
        }
        end = std::min(pos, m_size);
    }
    // Cut into chunks at line boundaries: about 1 MiB each, several per thread.
    unsigned threads = opts.threads ? opts.threads : util::default_jobs();
    std::vector<Chunk> chunks;
    std::size_t bytes = end - m_pos;
    std::size_t nchunks = std::clamp<std::size_t>(bytes / (1 << 20), 1, std::size_t(threads) * 8);
    std::size_t begin = m_pos;
    for (std::size_t i = 0; i < nchunks && begin < end; ++i) {
        std::size_t stop = i + 1 == nchunks ? end : std::max(begin, m_pos + bytes * (i + 1) / nchunks);
        if (stop < end) {
            const void* nl = std::memchr(m_data + stop, '\n', end - stop);
            stop = nl ? std::size_t(static_cast<const char*>(nl) - m_data) + 1 : end;
        }
        if (stop <= begin) continue;
        chunks.push_back({begin, stop});
        begin = stop;
    }
    (void)util::parallel_for(chunks.size(), threads, [&](std::size_t i) -> util::Status {
        count_chunk(m_data, chunks[i]);
        return {};
    });
    std::size_t rows = 0, lines = m_line;
    for (auto& c : chunks) {
        c.first_row = rows;
        c.first_line = lines;
        rows += c.records;
        lines += c.lines;
    }
    f.rows = rows;
    if (lines - m_line != rows) f.lines.resize(rows); // blank lines: keep each row's line number
    f.columns.resize(ncols);
    for (std::size_t j = 0; j < ncols; ++j) {
        f.columns[j].name = m_header[j];
        f.columns[j].is_text = text[j];
        if (text[j])
            f.columns[j].texts.resize(rows);
        else
            f.columns[j].numbers.resize(rows);
    }
    (void)util::parallel_for(chunks.size(), threads, [&](std::size_t ci) -> util::Status {
        Chunk& c = chunks[ci];
        std::string scratch;
        std::size_t pos = c.begin, row = c.first_row, line_no = c.first_line;
        while (pos < c.end) {
            const void* nl = std::memchr(m_data + pos, '\n', c.end - pos);
            std::size_t stop = nl ? std::size_t(static_cast<const char*>(nl) - m_data) : c.end;
            std::string_view line(m_data + pos, stop - pos);
            pos = stop + 1;
            if (!line.empty() && line.back() == '\r') line.remove_suffix(1);
            if (blank(line)) {
                ++line_no;
                continue;
            }
            struct {
                Frame& f;
                const std::size_t& row;
                void number(std::size_t j, double v) { f.columns[j].numbers[row] = v; }
                void text(std::size_t j, std::string_view field) {
                    f.columns[j].texts[row] = is_missing_token(field) ? std::string() : std::string(field);
                }
            } sink{f, row};
            auto wrong = parse_record(line, m_data + m_size, m_header, text, scratch, sink);
            if (!wrong.empty()) {
                c.error = util::Error::usage(fmt::format("{}: line {}{}", m_path, line_no, wrong));
                return util::fail(*c.error);
            }
            if (!f.lines.empty()) f.lines[row] = line_no;
            ++row;
            ++line_no;
        }
        return {};
    });
    // The first error in file order, whichever thread met it first.
    for (auto& c : chunks)
        if (c.error) return util::fail(*c.error);
    m_pos = end;
    m_line = lines;
    return f;
}

std::vector<CsvReader::Range> CsvReader::take(std::size_t bytes, std::size_t pieces) {
    std::vector<Range> out;
    const std::size_t begin = m_pos;
    std::size_t end = std::min(m_size, m_pos + std::max<std::size_t>(bytes, 1));
    auto line_end = [&](std::size_t at) {
        if (at >= m_size) return m_size;
        const void* nl = std::memchr(m_data + at, '\n', m_size - at);
        return nl ? std::size_t(static_cast<const char*>(nl) - m_data) + 1 : m_size;
    };
    if (end < m_size) end = line_end(end == 0 ? 0 : end - 1);
    pieces = std::max<std::size_t>(pieces, 1);
    std::size_t from = begin;
    for (std::size_t i = 1; i <= pieces && from < end; ++i) {
        std::size_t stop = i == pieces ? end : std::min(end, line_end(begin + (end - begin) * i / pieces - 1));
        if (stop <= from) continue;
        out.push_back({from, stop});
        from = stop;
    }
    m_pos = end;
    m_line = 0; // unknown: counted again should next() follow
    return out;
}

std::size_t CsvReader::count_records(Range r) const {
    Chunk c{r.begin, r.end};
    count_chunk(m_data, c);
    return c.records;
}

std::vector<bool> CsvReader::text_mask(const std::vector<std::string>& text_columns) const {
    std::vector<bool> mask(m_header.size(), false);
    for (const auto& name : text_columns)
        for (std::size_t i = 0; i < m_header.size(); ++i)
            if (m_header[i] == name) mask[i] = true;
    return mask;
}

std::size_t CsvReader::line_at(std::size_t offset) const {
    return 1 + std::size_t(std::count(m_data, m_data + std::min(offset, m_size), '\n'));
}

Frame take_rows(const Frame& f, const std::vector<std::size_t>& rows) {
    Frame out;
    out.path = f.path;
    out.rows = rows.size();
    out.lines.reserve(rows.size());
    for (std::size_t r : rows) out.lines.push_back(f.line_of(r));
    out.first_line = rows.empty() ? f.first_line : out.lines.front();
    for (const auto& c : f.columns) {
        Column col;
        col.name = c.name;
        col.is_text = c.is_text;
        if (c.is_text) {
            col.texts.reserve(rows.size());
            for (std::size_t r : rows) col.texts.push_back(c.texts[r]);
        } else {
            col.numbers.reserve(rows.size());
            for (std::size_t r : rows) col.numbers.push_back(c.numbers[r]);
        }
        out.columns.push_back(std::move(col));
    }
    return out;
}

util::Result<Frame> read_csv(const std::string& path, const CsvOptions& opts) {
    auto reader = MLOPS_TRY(CsvReader::open(path));
    auto f = MLOPS_TRY(reader.next(0, opts));
    if (f.rows == 0)
        return util::fail(util::Error::usage(fmt::format("{}: no data rows (only a header line)", path)));
    return f;
}

} // namespace mlops::ml
