#include <mlops/tablediff/tablediff.hpp>

#include <algorithm>
#include <cerrno>
#include <cstdlib>
#include <cstring>
#include <fcntl.h>
#include <filesystem>
#include <functional>
#include <optional>
#include <unordered_map>
#include <unordered_set>
#include <unistd.h>

#include <fmt/format.h>

#include <mlops/tablediff/csv_stream.hpp>

namespace mlops::tablediff {

namespace {

using Fields = std::vector<std::string_view>;
constexpr std::uint32_t k_none = 0xffffffffu;

// --- Encoding: a row in a bucket is [u64 line][u32 count]([u32 length][bytes])*; a key is the
// ([u32 length][bytes])* of its fields, so no value can make two different keys equal.
void put_u32(std::string& out, std::uint32_t v) { out.append(reinterpret_cast<const char*>(&v), 4); }
void put_u64(std::string& out, std::uint64_t v) { out.append(reinterpret_cast<const char*>(&v), 8); }
std::uint32_t get_u32(const char* p) {
    std::uint32_t v;
    std::memcpy(&v, p, 4);
    return v;
}
std::uint64_t get_u64(const char* p) {
    std::uint64_t v;
    std::memcpy(&v, p, 8);
    return v;
}

void encode_key(std::string& out, const Fields& f, const std::vector<std::size_t>& idx) {
    out.clear();
    for (std::size_t i : idx) {
        put_u32(out, std::uint32_t(f[i].size()));
        out.append(f[i]);
    }
}
void encode_row(std::string& out, std::size_t line, const Fields& f) {
    put_u64(out, line);
    put_u32(out, std::uint32_t(f.size()));
    for (auto v : f) {
        put_u32(out, std::uint32_t(v.size()));
        out.append(v);
    }
}
// Decodes the row at `p`; returns the position after it.
const char* decode_row(const char* p, std::size_t& line, Fields& f) {
    line = get_u64(p);
    std::uint32_t n = get_u32(p + 8);
    p += 12;
    f.clear();
    for (std::uint32_t i = 0; i < n; ++i) {
        std::uint32_t len = get_u32(p);
        f.emplace_back(p + 4, len);
        p += 4 + len;
    }
    return p;
}

std::uint64_t bucket_hash(std::string_view key) {
    std::uint64_t x = std::hash<std::string_view>{}(key);
    // Mixed again (splitmix64's finaliser) so the bucket does not correlate with the hash table's slot.
    x ^= x >> 30;
    x *= 0xbf58476d1ce4e5b9ull;
    x ^= x >> 27;
    x *= 0x94d049bb133111ebull;
    x ^= x >> 31;
    return x;
}

std::vector<std::string> to_strings(const Fields& f) { return {f.begin(), f.end()}; }

// Keeps the `limit` entries with the smallest lines (all with limit 0); sorted by line at the end.
template <class T, class LineOf> class Keep {
  public:
    Keep(std::size_t limit, LineOf line_of) : m_limit(limit), m_line(line_of) {}
    bool wants(std::size_t line) const { return m_limit == 0 || m_items.size() < m_limit || line < m_line(m_items.front()); }
    void push(T item) {
        auto cmp = [this](const T& a, const T& b) { return m_line(a) < m_line(b); };
        if (m_limit == 0 || m_items.size() < m_limit) {
            m_items.push_back(std::move(item));
            if (m_limit) std::push_heap(m_items.begin(), m_items.end(), cmp);
            return;
        }
        std::pop_heap(m_items.begin(), m_items.end(), cmp);
        m_items.back() = std::move(item);
        std::push_heap(m_items.begin(), m_items.end(), cmp);
    }
    std::vector<T> take() {
        std::sort(m_items.begin(), m_items.end(), [this](const T& a, const T& b) { return m_line(a) < m_line(b); });
        return std::move(m_items);
    }

  private:
    std::size_t m_limit;
    LineOf m_line;
    std::vector<T> m_items;
};
inline auto row_line = [](const RowRef& r) { return r.line; };
inline auto changed_line = [](const ChangedRow& r) { return r.new_line; };

struct Layout {
    std::vector<std::size_t> old_key, new_key; // key columns (keyed) or every shared column (unkeyed)
    std::vector<std::size_t> old_cmp, new_cmp; // shared non-key columns (keyed mode)
    std::vector<std::string> cmp_names;
    std::vector<std::string> key_names;
    bool keyed = false;
};

struct Duplicate {
    std::size_t line = 0, first_line = 0;
    std::string key;
    bool found() const { return line != 0; }
    void offer(std::size_t l, std::size_t first, const std::string& k) {
        if (!found() || l < line) *this = Duplicate{l, first, k};
    }
};

std::string key_text(const Layout& lay, const Fields& f, const std::vector<std::size_t>& idx) {
    std::string s;
    for (std::size_t i = 0; i < idx.size(); ++i) {
        if (i) s += ", ";
        s += fmt::format("{}={}", lay.key_names[i], f[idx[i]]);
    }
    return s;
}

util::Result<std::vector<std::string>> read_header(CsvStream& in) {
    Record r;
    if (!MLOPS_TRY(in.next(r))) return util::fail(util::Error::usage(fmt::format("{}: empty file (no header line)", in.label())));
    std::vector<std::string> cols = to_strings(r.fields);
    std::unordered_map<std::string_view, std::size_t> seen;
    for (std::size_t i = 0; i < cols.size(); ++i) {
        auto [it, fresh] = seen.emplace(cols[i], i);
        if (!fresh)
            return util::fail(util::Error::usage(fmt::format("{}:{}: column '{}' appears twice in the header (columns {} and {})",
                                                             in.label(), r.line, cols[i], it->second + 1, i + 1)));
    }
    return cols;
}

util::Status check_width(const CsvStream& in, const Record& r, std::size_t width) {
    if (r.fields.size() != width)
        return util::fail(util::Error::usage(fmt::format("{}:{}: {} field{}, the header has {}", in.label(), r.line, r.fields.size(),
                                                         r.fields.size() == 1 ? "" : "s", width)));
    return {};
}

// The old rows of one bucket, looked up by key.
class OldRows {
  public:
    OldRows(const Layout& lay, std::string arena) : m_lay(lay), m_arena(std::move(arena)) {}

    // Indexes every row; a duplicate key (keyed mode) is offered to `dup`.
    void build(Duplicate& dup) {
        Fields f;
        std::string key;
        std::vector<std::pair<std::size_t, std::size_t>> key_at; // offset, length in m_keys
        const char* p = m_arena.data();
        const char* e = p + m_arena.size();
        while (p < e) {
            Row row;
            row.offset = std::size_t(p - m_arena.data());
            p = decode_row(p, row.line, f);
            encode_key(key, f, m_lay.old_key);
            key_at.emplace_back(m_keys.size(), key.size());
            m_keys += key;
            m_rows.push_back(row);
        }
        m_map.reserve(m_rows.size());
        for (std::uint32_t i = 0; i < m_rows.size(); ++i) {
            std::string_view k(m_keys.data() + key_at[i].first, key_at[i].second);
            auto [it, fresh] = m_map.emplace(k, i);
            if (fresh) continue;
            if (m_lay.keyed) {
                decode(i, f);
                dup.offer(m_rows[i].line, m_rows[it->second].line, key_text(m_lay, f, m_lay.old_key));
            } else { // chain the duplicates of a whole row, in line order
                std::uint32_t j = it->second;
                while (m_rows[j].next != k_none) j = m_rows[j].next;
                m_rows[j].next = i;
            }
        }
    }

    struct Row {
        std::size_t offset = 0, line = 0;
        std::size_t new_line = 0;    // keyed: the line of the new row with this key
        std::uint32_t next = k_none; // unkeyed: the next row with the same content
        bool matched = false;
    };
    Row* find(std::string_view key) {
        auto it = m_map.find(key);
        return it == m_map.end() ? nullptr : &m_rows[it->second];
    }
    // Unkeyed: the first unmatched row with this content, marked matched.
    bool match_content(std::string_view key) {
        auto it = m_map.find(key);
        if (it == m_map.end() || it->second == k_none) return false;
        auto& r = m_rows[it->second];
        r.matched = true;
        it->second = r.next;
        return true;
    }
    void decode(std::size_t i, Fields& f) const {
        std::size_t line;
        decode_row(m_arena.data() + m_rows[i].offset, line, f);
    }
    void decode(const Row& r, Fields& f) const { decode(std::size_t(&r - m_rows.data()), f); }
    std::vector<Row>& rows() { return m_rows; }

  private:
    const Layout& m_lay;
    std::string m_arena;
    std::string m_keys;
    std::vector<Row> m_rows;
    std::unordered_map<std::string_view, std::uint32_t> m_map;
};

struct Collect {
    TableDiff& out;
    Keep<RowRef, decltype(row_line)> added, removed;
    Keep<ChangedRow, decltype(changed_line)> changed;
    Duplicate old_dup, new_dup;
    Collect(TableDiff& o, std::size_t limit)
        : out(o), added(limit, row_line), removed(limit, row_line), changed(limit, changed_line) {}
};

// Diffs one bucket: the old rows in `old_arena`, the new rows from `each_new`.
using NewRows = std::function<util::Status(const std::function<void(std::size_t line, const Fields&)>&)>;
util::Status diff_bucket(const Layout& lay, std::string old_arena, const NewRows& each_new, Collect& c) {
    OldRows old(lay, std::move(old_arena));
    old.build(c.old_dup);
    std::string key;
    Fields of;
    std::unordered_map<std::string, std::size_t> added_keys; // keyed: new keys the old side lacks
    MLOPS_TRYV(each_new([&](std::size_t line, const Fields& f) {
        encode_key(key, f, lay.new_key);
        if (!lay.keyed) {
            if (old.match_content(key)) {
                ++c.out.unchanged;
            } else {
                ++c.out.added;
                if (c.added.wants(line)) c.added.push(RowRef{line, to_strings(f)});
            }
            return;
        }
        auto* r = old.find(key);
        if (!r) {
            auto [it, fresh] = added_keys.emplace(key, line);
            if (!fresh) {
                c.new_dup.offer(line, it->second, key_text(lay, f, lay.new_key));
                return;
            }
            ++c.out.added;
            if (c.added.wants(line)) c.added.push(RowRef{line, to_strings(f)});
            return;
        }
        if (r->new_line) {
            c.new_dup.offer(line, r->new_line, key_text(lay, f, lay.new_key));
            return;
        }
        r->new_line = line;
        r->matched = true;
        old.decode(*r, of);
        std::vector<CellChange> cells;
        for (std::size_t j = 0; j < lay.old_cmp.size(); ++j) {
            auto a = of[lay.old_cmp[j]], b = f[lay.new_cmp[j]];
            if (a != b) cells.push_back({lay.cmp_names[j], std::string(a), std::string(b)});
        }
        if (cells.empty()) {
            ++c.out.unchanged;
            return;
        }
        ++c.out.changed;
        if (c.changed.wants(line)) {
            ChangedRow ch;
            for (std::size_t i : lay.new_key) ch.key.emplace_back(f[i]);
            ch.old_line = r->line;
            ch.new_line = line;
            ch.cells = std::move(cells);
            c.changed.push(std::move(ch));
        }
    }));
    for (auto& r : old.rows()) {
        if (r.matched) continue;
        ++c.out.removed;
        if (c.removed.wants(r.line)) {
            old.decode(r, of);
            c.removed.push(RowRef{r.line, to_strings(of)});
        }
    }
    return {};
}

// Bucket files in a private temporary folder, removed with it.
class Buckets {
  public:
    static util::Result<Buckets> create(const std::string& parent, std::size_t count, std::size_t buffer) {
        Buckets b;
        MLOPS_TRYV(util::make_dirs(parent));
        std::string templ = parent + "/rowdiff-XXXXXX";
        if (!::mkdtemp(templ.data())) return util::fail(util::Error::from_errno("cannot create a temporary folder in " + parent, errno));
        b.m_dir = templ;
        b.m_count = count;
        b.m_buffer = buffer;
        return b;
    }
    Buckets() = default;
    Buckets(Buckets&& o) noexcept { *this = std::move(o); }
    Buckets& operator=(Buckets&& o) noexcept {
        m_dir = std::exchange(o.m_dir, {});
        m_count = o.m_count;
        m_buffer = o.m_buffer;
        m_fds = std::move(o.m_fds);
        m_bufs = std::move(o.m_bufs);
        return *this;
    }
    ~Buckets() {
        m_fds.clear();
        if (!m_dir.empty()) {
            std::error_code ec;
            std::filesystem::remove_all(m_dir, ec);
        }
    }
    std::string path(char side, std::size_t i) const { return fmt::format("{}/{}{}", m_dir, side, i); }
    // Opens the `side` set of bucket files for writing.
    util::Status start(char side) {
        m_fds.clear();
        m_bufs.assign(m_count, {});
        for (std::size_t i = 0; i < m_count; ++i) {
            auto p = path(side, i);
            int fd = ::open(p.c_str(), O_WRONLY | O_CREAT | O_TRUNC | O_CLOEXEC, 0600);
            if (fd < 0) return util::fail(util::Error::from_errno("cannot create " + p, errno));
            m_fds.emplace_back(fd);
        }
        m_side = side;
        return {};
    }
    util::Status write(std::size_t i, std::size_t line, const Fields& f) {
        encode_row(m_bufs[i], line, f);
        if (m_bufs[i].size() >= m_buffer) return flush(i);
        return {};
    }
    util::Status finish() {
        for (std::size_t i = 0; i < m_count; ++i) MLOPS_TRYV(flush(i));
        m_fds.clear();
        m_bufs.clear();
        return {};
    }
    std::size_t count() const { return m_count; }

  private:
    util::Status flush(std::size_t i) {
        MLOPS_TRYV(util::write_all(m_fds[i].get(), m_bufs[i].data(), m_bufs[i].size(), path(m_side, i)));
        m_bufs[i].clear();
        return {};
    }
    std::string m_dir;
    std::size_t m_count = 0, m_buffer = 0;
    char m_side = 'o';
    std::vector<util::UniqueFd> m_fds;
    std::vector<std::string> m_bufs;
};

util::Result<Layout> make_layout(const TableDiff& d, const Options& opts) {
    Layout lay;
    lay.keyed = !opts.keys.empty();
    auto index_of = [](const std::vector<std::string>& cols, const std::string& name) -> std::optional<std::size_t> {
        auto it = std::find(cols.begin(), cols.end(), name);
        if (it == cols.end()) return std::nullopt;
        return std::size_t(it - cols.begin());
    };
    for (std::size_t i = 0; i < opts.keys.size(); ++i) {
        const auto& k = opts.keys[i];
        if (k.empty()) return util::fail(util::Error::usage("--key: empty column name"));
        if (std::find(opts.keys.begin(), opts.keys.begin() + long(i), k) != opts.keys.begin() + long(i))
            return util::fail(util::Error::usage(fmt::format("--key: column '{}' is named twice", k)));
        auto o = index_of(d.old_columns, k);
        if (!o) return util::fail(util::Error::usage(fmt::format("{}: no key column '{}' (columns: {})", d.old_label, k, fmt::join(d.old_columns, ", "))));
        auto n = index_of(d.new_columns, k);
        if (!n) return util::fail(util::Error::usage(fmt::format("{}: no key column '{}' (columns: {})", d.new_label, k, fmt::join(d.new_columns, ", "))));
        lay.old_key.push_back(*o);
        lay.new_key.push_back(*n);
        lay.key_names.push_back(k);
    }
    for (std::size_t i = 0; i < d.old_columns.size(); ++i) {
        const auto& c = d.old_columns[i];
        auto n = index_of(d.new_columns, c);
        if (!n) continue;
        if (lay.keyed) {
            if (std::find(opts.keys.begin(), opts.keys.end(), c) != opts.keys.end()) continue;
            lay.old_cmp.push_back(i);
            lay.new_cmp.push_back(*n);
            lay.cmp_names.push_back(c);
        } else {
            lay.old_key.push_back(i);
            lay.new_key.push_back(*n);
        }
    }
    if (!lay.keyed && lay.old_key.empty())
        return util::fail(util::Error::usage(fmt::format("{} and {} have no column in common: there is nothing to compare rows on",
                                                         d.old_label, d.new_label)));
    return lay;
}

} // namespace

util::Result<TableDiff> diff(const Side& old_side, const Side& new_side, const Options& opts) {
    TableDiff d;
    d.old_label = old_side.label;
    d.new_label = new_side.label;
    d.keys = opts.keys;
    d.old_absent = old_side.absent;
    d.new_absent = new_side.absent;
    if (old_side.absent && new_side.absent)
        return util::fail(util::Error::usage(fmt::format("{} and {}: the file is in neither version", old_side.label, new_side.label)));
    // An absent side reads as no rows under the other side's header.
    std::optional<CsvStream> old_in, new_in;
    if (!old_side.absent) {
        old_in.emplace(MLOPS_TRY(CsvStream::open(old_side.file, old_side.label)));
        d.old_columns = MLOPS_TRY(read_header(*old_in));
    }
    if (!new_side.absent) {
        new_in.emplace(MLOPS_TRY(CsvStream::open(new_side.file, new_side.label)));
        d.new_columns = MLOPS_TRY(read_header(*new_in));
    }
    if (old_side.absent) d.old_columns = d.new_columns;
    if (new_side.absent) d.new_columns = d.old_columns;
    for (const auto& c : d.new_columns)
        if (std::find(d.old_columns.begin(), d.old_columns.end(), c) == d.old_columns.end()) d.added_columns.push_back(c);
    for (const auto& c : d.old_columns)
        if (std::find(d.new_columns.begin(), d.new_columns.end(), c) == d.new_columns.end()) d.removed_columns.push_back(c);
    {
        std::vector<std::string> a, b;
        for (const auto& c : d.old_columns)
            if (std::find(d.removed_columns.begin(), d.removed_columns.end(), c) == d.removed_columns.end()) a.push_back(c);
        for (const auto& c : d.new_columns)
            if (std::find(d.added_columns.begin(), d.added_columns.end(), c) == d.added_columns.end()) b.push_back(c);
        d.columns_reordered = a != b;
    }
    auto lay = MLOPS_TRY(make_layout(d, opts));

    // Held in memory, a row costs its bytes, the encoding's lengths, its key and a hash table entry:
    // about three times its size in the file, four with the new bucket beside it.
    std::uint64_t old_size = old_in ? old_in->size() : 0, new_size = new_in ? new_in->size() : 0;
    std::uint64_t biggest = std::max(old_size, new_size);
    std::size_t k = opts.force_buckets;
    if (k == 0 && old_size * 3 > opts.memory) {
        k = std::size_t(std::min<std::uint64_t>(1000, (biggest * 4 + opts.memory - 1) / std::max<std::uint64_t>(opts.memory, 1)));
        k = std::max<std::size_t>(k, 2); // spilling at all means at least two buckets
    }
    d.buckets = k == 0 ? 1 : k;

    Collect c(d, opts.limit);
    Record rec;
    std::string key;
    if (k == 0) {
        // In memory: the old rows in one arena, the new ones streamed past them.
        std::string arena;
        while (old_in && MLOPS_TRY(old_in->next(rec))) {
            MLOPS_TRYV(check_width(*old_in, rec, d.old_columns.size()));
            encode_row(arena, rec.line, rec.fields);
            ++d.old_rows;
        }
        MLOPS_TRYV(diff_bucket(lay, std::move(arena), [&](const std::function<void(std::size_t, const Fields&)>& fn) -> util::Status {
            while (new_in && MLOPS_TRY(new_in->next(rec))) {
                MLOPS_TRYV(check_width(*new_in, rec, d.new_columns.size()));
                ++d.new_rows;
                fn(rec.line, rec.fields);
            }
            return {};
        }, c));
    } else {
        std::size_t buffer = std::size_t(std::clamp<std::uint64_t>(opts.memory / (4 * k), 4096, 1 << 16));
        auto buckets = MLOPS_TRY(Buckets::create(opts.tmp_dir.empty() ? std::filesystem::temp_directory_path().string() : opts.tmp_dir, k, buffer));
        auto spill = [&](std::optional<CsvStream>& in, char side, const std::vector<std::size_t>& key_idx, std::size_t width,
                         std::uint64_t& rows) -> util::Status {
            MLOPS_TRYV(buckets.start(side)); // empty buckets for an absent side
            while (in && MLOPS_TRY(in->next(rec))) {
                MLOPS_TRYV(check_width(*in, rec, width));
                ++rows;
                encode_key(key, rec.fields, key_idx);
                MLOPS_TRYV(buckets.write(bucket_hash(key) % k, rec.line, rec.fields));
            }
            return buckets.finish();
        };
        MLOPS_TRYV(spill(old_in, 'o', lay.old_key, d.old_columns.size(), d.old_rows));
        MLOPS_TRYV(spill(new_in, 'n', lay.new_key, d.new_columns.size(), d.new_rows));
        for (std::size_t b = 0; b < k; ++b) {
            auto old_arena = MLOPS_TRY(util::read_file(buckets.path('o', b)));
            auto new_arena = MLOPS_TRY(util::read_file(buckets.path('n', b)));
            MLOPS_TRYV(diff_bucket(lay, std::move(old_arena), [&](const std::function<void(std::size_t, const Fields&)>& fn) -> util::Status {
                Fields f;
                std::size_t line;
                const char* p = new_arena.data();
                const char* e = p + new_arena.size();
                while (p < e) {
                    p = decode_row(p, line, f);
                    fn(line, f);
                }
                return {};
            }, c));
        }
    }
    if (c.old_dup.found())
        return util::fail(util::Error::usage(fmt::format("{}:{}: duplicate key {} (first at line {}); --key must name each row once",
                                                         d.old_label, c.old_dup.line, c.old_dup.key, c.old_dup.first_line)));
    if (c.new_dup.found())
        return util::fail(util::Error::usage(fmt::format("{}:{}: duplicate key {} (first at line {}); --key must name each row once",
                                                         d.new_label, c.new_dup.line, c.new_dup.key, c.new_dup.first_line)));
    d.added_rows = c.added.take();
    d.removed_rows = c.removed.take();
    d.changed_rows = c.changed.take();
    return d;
}

} // namespace mlops::tablediff
