#include <mlops/drift/profile.hpp>

#include <algorithm>
#include <charconv>
#include <cmath>
#include <cstdint>
#include <cstring>
#include <limits>
#include <set>
#include <utility>

#include <fmt/format.h>

#include <mlops/util/parallel.hpp>

namespace mlops::drift {

const char* to_string(ColumnType t) {
    switch (t) {
    case ColumnType::numeric: return "numeric";
    case ColumnType::categorical: return "categorical";
    case ColumnType::empty: return "empty";
    }
    return "?";
}

void ColumnProfile::add_number(double v) {
    ++rows;
    if (std::isnan(v)) ++missing;
    values.push_back(v);
}

void ColumnProfile::add_text(std::string_view v) {
    ++rows;
    if (v.empty() || ml::is_missing_token(v)) {
        ++missing;
        return;
    }
    auto it = counts.find(v);
    if (it == counts.end())
        counts.emplace(std::string(v), 1);
    else
        ++it->second;
}

namespace {

// Doubles as unsigned keys in the same order (sign bit flipped for positives, all bits for
// negatives); -0.0 goes before 0.0, which compare equal as doubles, so the order stays a valid
// ascending order of the values.
std::uint64_t key_of(double d) {
    std::uint64_t u;
    std::memcpy(&u, &d, sizeof u);
    return (u & 0x8000000000000000ull) ? ~u : u | 0x8000000000000000ull;
}
double value_of(std::uint64_t k) {
    std::uint64_t u = (k & 0x8000000000000000ull) ? k & ~0x8000000000000000ull : ~k;
    double d;
    std::memcpy(&d, &u, sizeof d);
    return d;
}

// LSD radix sort, 16 bits a pass (4 passes, fewer when a digit is the same for every value):
// about three times faster than std::sort on a million values.
// LSD radix sort in six passes of 11 bits: the 2048 counters of a pass stay in L1, and the
// counts of every pass come from one read of the keys. A pass whose digit is the same for every
// key (the high bits of values with one sign and a narrow exponent range) is skipped.
void radix_sort(std::vector<std::uint64_t>& keys) {
    constexpr int k_bits = 11, k_passes = 6;
    constexpr std::size_t k_buckets = std::size_t(1) << k_bits, k_mask = k_buckets - 1;
    std::vector<std::size_t> count(k_buckets * k_passes, 0);
    for (auto k : keys)
        for (int p = 0; p < k_passes; ++p) ++count[std::size_t(p) * k_buckets + ((k >> (p * k_bits)) & k_mask)];
    std::vector<std::uint64_t> tmp(keys.size());
    for (int p = 0; p < k_passes; ++p) {
        auto* c = count.data() + std::size_t(p) * k_buckets;
        int shift = p * k_bits;
        if (c[(keys.front() >> shift) & k_mask] == keys.size()) continue; // one digit for all
        std::size_t sum = 0;
        for (std::size_t i = 0; i < k_buckets; ++i) {
            std::size_t n = c[i];
            c[i] = sum;
            sum += n;
        }
        for (auto k : keys) tmp[c[(k >> shift) & k_mask]++] = k;
        keys.swap(tmp);
    }
}

} // namespace

namespace {

// The non-missing values of `values`, sorted; with `consume` (= &values), they are freed once read.
std::vector<double> sorted_copy(std::span<const double> values, std::size_t present, ml::Numbers* consume) {
    std::vector<double> out;
    if (present < 4096) {
        out.reserve(present);
        for (double v : values)
            if (!std::isnan(v)) out.push_back(v);
        if (consume) ml::Numbers().swap(*consume);
        std::sort(out.begin(), out.end());
        return out;
    }
    std::vector<std::uint64_t> keys;
    keys.reserve(present);
    for (double v : values)
        if (!std::isnan(v)) keys.push_back(key_of(v));
    if (consume) ml::Numbers().swap(*consume);
    radix_sort(keys);
    out.resize(keys.size());
    for (std::size_t i = 0; i < keys.size(); ++i) out[i] = value_of(keys[i]);
    return out;
}

} // namespace

namespace {

constexpr int k_max_decimals = 12;
constexpr double k_grid_pow10[k_max_decimals + 1] = {1e0, 1e1, 1e2, 1e3, 1e4,  1e5, 1e6,
                                                     1e7, 1e8, 1e9, 1e10, 1e11, 1e12};
// Grid indices stay far below 2^53, so k / 10^d of distinct k are distinct doubles.
constexpr double k_max_grid_index = 0x1p50;

// The fewest decimals d with x == rint(x 10^d) / 10^d, or -1. The division by an exact power of ten
// rounds correctly, as the CSV parser's does, so equality means x is exactly how the decimal
// k / 10^d reads.
int decimals_of(double x) {
    for (int d = 0; d <= k_max_decimals; ++d) {
        double k = std::rint(x * k_grid_pow10[d]);
        if (std::fabs(k) < k_max_grid_index && k / k_grid_pow10[d] == x) return d;
    }
    return -1;
}

// A decimal from the CSV parser in 64 bits: mantissa (< 2^54), digits after the point (<= 8) and sign.
std::int64_t pack_decimal(bool neg, std::uint64_t mant, unsigned frac) {
    return std::int64_t(mant << 5) | std::int64_t(frac << 1) | std::int64_t(neg);
}
std::uint64_t packed_mantissa(std::int64_t p) { return std::uint64_t(p >> 5); }
unsigned packed_decimals(std::int64_t p) { return unsigned(p >> 1) & 15; }
bool packed_negative(std::int64_t p) { return p & 1; }

// Counts one column's values per step of its decimal grid, fed a batch at a time: the decimals
// from the first values (finer ones later re-map the counts), the range grown as values arrive
// (by a quarter more each time, so growing is rare). A value that is not a short decimal, or a
// grid of more than max(2^22, 2 x values) steps (16 MiB of counts, or 8 bytes a value), ends the
// counting: the values counted so far and the rest are then kept as they are (spilled), for sorting.
class GridCounter {
  public:
    void add(std::span<const double> values) {
        if (m_failed) return spill_rest(values);
        if (m_decimals < 0 && !choose_decimals(values)) return fail(values);
        if (m_decimals < 0) return; // nothing but missing values so far
        if (m_counts.empty()) {
            // The first values: the range they span at once, not grown one value at a time.
            double lo = std::numeric_limits<double>::infinity(), hi = -lo;
            for (double x : values)
                if (!std::isnan(x)) {
                    lo = std::min(lo, x);
                    hi = std::max(hi, x);
                }
            if (!(lo <= hi)) return;
            if (!std::isfinite(lo) || !std::isfinite(hi) || !cover(lo, hi)) return fail(values);
        }
        // One pass: a value on the grid and in the range is counted; anything else is rare.
        double scale = m_scale, first = m_first, size = double(m_counts.size());
        std::uint32_t* counts = m_counts.data();
        std::size_t counted = 0;
        for (std::size_t i = 0; i < values.size(); ++i) {
            double x = values[i];
            if (std::isnan(x)) continue;
            double k = std::rint(x * scale);
            double at = k - first;
            bool on_grid = k / scale == x;
            if (on_grid && at >= 0 && at < size) {
                ++counts[std::size_t(at)];
                ++counted;
                continue;
            }
            m_present += std::exchange(counted, 0);
            if (on_grid && count_beyond(k)) {
                first = m_first;
                size = double(m_counts.size());
                counts = m_counts.data();
                continue;
            }
            // Off this grid: a finer one (counted from here), or no grid at all.
            int d = on_grid ? -1 : decimals_of(x);
            if (d > m_decimals && refine(d)) return add(values.subspan(i));
            return fail(values.subspan(i));
        }
        m_present += counted;
    }
    // Decimals as the CSV parser saw them (pack_decimal): counted in integers, without a division.
    void add_decimals(std::span<const std::int64_t> packed) {
        if (packed.empty()) return;
        if (m_failed) return spill_rest(unpack(packed));
        if (m_counts.empty()) {
            // The first values: their finest decimals and the range they span.
            unsigned finest = 0;
            for (auto p : packed) finest = std::max(finest, packed_decimals(p));
            if (m_decimals < 0 || int(finest) > m_decimals) {
                m_decimals = int(finest);
                m_scale = k_grid_pow10[finest];
            }
            double lo = std::numeric_limits<double>::infinity(), hi = -lo;
            for (auto p : packed) {
                double k = grid_index(p);
                lo = std::min(lo, k);
                hi = std::max(hi, k);
            }
            if (!cover_steps(lo, hi)) return fail(unpack(packed));
        }
        double first = m_first, size = double(m_counts.size());
        std::uint32_t* counts = m_counts.data();
        std::size_t counted = 0;
        for (std::size_t i = 0; i < packed.size(); ++i) {
            const std::int64_t p = packed[i];
            const unsigned frac = packed_decimals(p);
            if (int(frac) <= m_decimals) {
                double at = grid_index(p) - first;
                if (at >= 0 && at < size) {
                    ++counts[std::size_t(at)];
                    ++counted;
                    continue;
                }
            }
            m_present += std::exchange(counted, 0);
            if ((int(frac) <= m_decimals || refine(int(frac))) && count_beyond(grid_index(p))) {
                first = m_first;
                size = double(m_counts.size());
                counts = m_counts.data();
                continue;
            }
            return fail(unpack(packed.subspan(i)));
        }
        m_present += counted;
    }
    bool failed() const { return m_failed; }
    // The distinct values ascending with their counts (when not failed).
    void finish(std::vector<double>& values, std::vector<double>& counts) const {
        for (std::size_t i = 0; i < m_counts.size(); ++i)
            if (m_counts[i]) {
                values.push_back((m_first + double(i)) / m_scale);
                counts.push_back(double(m_counts[i]));
            }
    }
    // Everything added, as values in no particular order (when failed).
    ml::Numbers& spilled() { return m_spill; }

  private:
    // A packed decimal's step on this grid (its decimals no finer than the grid's), exact as a
    // double: mantissas are below 2^53 and a step beyond 2^50 fails cover_steps.
    double grid_index(std::int64_t p) const {
        double k = double(packed_mantissa(p)) * k_grid_pow10[m_decimals - int(packed_decimals(p))];
        return packed_negative(p) ? -k : k;
    }
    static std::vector<double> unpack(std::span<const std::int64_t> packed) {
        std::vector<double> out;
        out.reserve(packed.size());
        for (auto p : packed) out.push_back(ml::csv_detail::decimal_value(packed_negative(p), packed_mantissa(p), packed_decimals(p)));
        return out;
    }
    // Counts grid step k beyond the range, growing it; false when it cannot grow that far.
    bool count_beyond(double k) {
        if (!cover_steps(k, k)) return false;
        ++m_counts[std::size_t(k - m_first)];
        ++m_present;
        return true;
    }
    bool choose_decimals(std::span<const double> values) {
        int decimals = -1;
        std::size_t seen = 0;
        for (std::size_t i = 0; i < values.size() && seen < 256; ++i) {
            if (std::isnan(values[i])) continue;
            ++seen;
            int d = decimals_of(values[i]);
            if (d < 0) return false;
            decimals = std::max(decimals, d);
        }
        if (decimals >= 0) {
            m_decimals = decimals;
            m_scale = k_grid_pow10[decimals];
        }
        return true;
    }
    std::size_t limit() const { return std::max(std::size_t(1) << 22, 2 * m_present); }
    // Grows the counts to take the values [lo, hi].
    bool cover(double lo, double hi) {
        if (m_decimals < 0) return false;
        return cover_steps(std::rint(lo * m_scale), std::rint(hi * m_scale));
    }
    // The same for the grid steps [a, b].
    bool cover_steps(double a, double b) {
        if (!(std::fabs(a) < k_max_grid_index && std::fabs(b) < k_max_grid_index)) return false;
        if (m_counts.empty()) {
            if (b - a >= double(limit())) return false;
            m_first = a;
            m_counts.assign(std::size_t(b - a) + 1, 0);
            return true;
        }
        double last = m_first + double(m_counts.size()) - 1;
        if (a >= m_first && b <= last) return true;
        double slack = std::floor(double(m_counts.size()) / 4);
        double first = a < m_first ? std::max(a - slack, -k_max_grid_index + 1) : m_first;
        double end = b > last ? std::min(b + slack, k_max_grid_index - 1) : last;
        if (end - first >= double(limit())) {
            first = std::min(a, m_first);
            end = std::max(b, last);
            if (end - first >= double(limit())) return false;
        }
        std::vector<std::uint32_t> grown(std::size_t(end - first) + 1, 0);
        std::copy(m_counts.begin(), m_counts.end(), grown.begin() + std::ptrdiff_t(m_first - first));
        m_counts.swap(grown);
        m_first = first;
        return true;
    }
    // Moves the counts to the grid of `decimals` (each step becomes every 10^(d' - d)th).
    bool refine(int decimals) {
        double factor = k_grid_pow10[decimals - m_decimals];
        double steps = (double(m_counts.size()) - 1) * factor + 1;
        if (m_counts.empty()) {
            m_decimals = decimals;
            m_scale = k_grid_pow10[decimals];
            return true;
        }
        if (steps >= double(limit()) || std::fabs(m_first * factor) >= k_max_grid_index) return false;
        std::vector<std::uint32_t> fine(std::size_t(steps), 0);
        for (std::size_t i = 0; i < m_counts.size(); ++i) fine[std::size_t(double(i) * factor)] = m_counts[i];
        m_counts.swap(fine);
        m_first *= factor;
        m_decimals = decimals;
        m_scale = k_grid_pow10[decimals];
        return true;
    }
    void fail(std::span<const double> rest) {
        m_failed = true;
        for (std::size_t i = 0; i < m_counts.size(); ++i)
            if (m_counts[i]) m_spill.insert(m_spill.end(), m_counts[i], (m_first + double(i)) / m_scale);
        std::vector<std::uint32_t>().swap(m_counts);
        spill_rest(rest);
    }
    void spill_rest(std::span<const double> rest) {
        for (double x : rest)
            if (!std::isnan(x)) m_spill.push_back(x);
    }

    int m_decimals = -1;
    double m_scale = 1, m_first = 0;
    std::size_t m_present = 0;
    bool m_failed = false;
    std::vector<std::uint32_t> m_counts;
    ml::Numbers m_spill;
};

// Two sorted (value, count) lists pooled.
Tally pool(const std::vector<double>& av, const std::vector<double>& ac, const std::vector<double>& bv, const std::vector<double>& bc) {
    Tally t;
    std::size_t i = 0, j = 0;
    while (i < av.size() || j < bv.size()) {
        bool take_a = j >= bv.size() || (i < av.size() && av[i] <= bv[j]);
        bool take_b = i >= av.size() || (j < bv.size() && bv[j] <= av[i]);
        t.values.push_back(take_a ? av[i] : bv[j]);
        t.ref_counts.push_back(take_a ? ac[i++] : 0.0);
        t.cur_counts.push_back(take_b ? bc[j++] : 0.0);
    }
    return t;
}

} // namespace

std::optional<Tally> tally_on_grid(std::span<const double> ref, std::span<const double> cur) {
    GridCounter a, b;
    a.add(ref);
    if (a.failed()) return std::nullopt;
    b.add(cur);
    if (b.failed()) return std::nullopt;
    std::vector<double> av, ac, bv, bc;
    a.finish(av, ac);
    b.finish(bv, bc);
    if (av.empty() && bv.empty()) return std::nullopt;
    return pool(av, ac, bv, bc);
}

std::optional<Tally> pooled_counts(const ColumnProfile& ref, const ColumnProfile& cur) {
    if (!ref.counted || !cur.counted) return std::nullopt;
    return pool(ref.distinct, ref.distinct_counts, cur.distinct, cur.distinct_counts);
}

namespace {
std::vector<double> expand(const std::vector<double>& distinct, const std::vector<double>& counts) {
    std::vector<double> out;
    for (std::size_t i = 0; i < distinct.size(); ++i) out.insert(out.end(), std::size_t(counts[i]), distinct[i]);
    return out;
}
} // namespace

std::vector<double> ColumnProfile::sorted_values() const {
    return counted ? expand(distinct, distinct_counts) : sorted_copy(values, present(), nullptr);
}

std::vector<double> ColumnProfile::take_sorted() {
    return counted ? expand(distinct, distinct_counts) : sorted_copy(values, present(), &values);
}

const ColumnProfile* DatasetProfile::find(std::string_view name) const {
    for (const auto& c : columns)
        if (c.name == name) return &c;
    return nullptr;
}
ColumnProfile* DatasetProfile::find(std::string_view name) {
    for (auto& c : columns)
        if (c.name == name) return &c;
    return nullptr;
}

util::Error relabel(util::Error e, const std::string& path, const std::string& label) {
    if (path != label && e.message.starts_with(path)) e.message = label + e.message.substr(path.size());
    return e;
}

namespace {

// Sniffing: every column read as text, typed by its non-missing values in the first `limit` rows.
struct TypeSniffer {
    std::vector<ColumnType> types;
    std::size_t rows = 0, limit = 0;
    void number(std::size_t, double) {}
    void text(std::size_t j, std::string_view v) {
        if (rows >= limit || types[j] == ColumnType::categorical || v.empty() || ml::is_missing_token(v)) return;
        double x;
        types[j] = ml::csv_detail::parse_number(v, x) ? ColumnType::numeric : ColumnType::categorical;
    }
    void row() { ++rows; }
};

} // namespace

util::Result<Sniffed> sniff(const std::string& path, const std::string& label, std::size_t rows) {
    auto reader = ml::CsvReader::open(path);
    if (!reader) return util::fail(relabel(reader.error(), path, label));
    Sniffed s;
    s.header = reader->header();
    TypeSniffer sniffer;
    sniffer.types.assign(s.header.size(), ColumnType::empty);
    sniffer.limit = rows;
    const std::vector<bool> all_text(s.header.size(), true);
    while (sniffer.rows < rows && !reader->done())
        for (auto range : reader->take(std::size_t(1) << 20, 1))
            if (auto st = reader->scan(range, all_text, sniffer); !st) return util::fail(relabel(st.error(), path, label));
    if (sniffer.rows == 0) return util::fail(util::Error::usage(fmt::format("{}: no data rows (only a header line)", label)));
    s.types = std::move(sniffer.types);
    return s;
}

util::Result<PairPlan> plan_pair(const Sniffed& ref, const std::string& ref_label, const Sniffed& cur,
                                 const std::string& cur_label, bool allow_missing) {
    PairPlan plan;
    auto index_of = [](const Sniffed& s, const std::string& name) -> std::optional<std::size_t> {
        auto it = std::find(s.header.begin(), s.header.end(), name);
        if (it == s.header.end()) return std::nullopt;
        return std::size_t(it - s.header.begin());
    };
    std::vector<std::string> only_ref, only_cur;
    for (const auto& n : ref.header)
        if (!index_of(cur, n)) only_ref.push_back(n);
    for (const auto& n : cur.header)
        if (!index_of(ref, n)) only_cur.push_back(n);
    if (!only_ref.empty() || !only_cur.empty()) {
        std::vector<std::string> parts;
        if (!only_ref.empty())
            parts.push_back(fmt::format("only in {}: {}", ref_label, fmt::join(only_ref, ", ")));
        if (!only_cur.empty())
            parts.push_back(fmt::format("only in {}: {}", cur_label, fmt::join(only_cur, ", ")));
        auto what = fmt::format("the files have different columns ({})", fmt::join(parts, "; "));
        if (!allow_missing)
            return util::fail(util::Error::usage(what + " (--allow-missing compares the common ones)"));
        plan.warnings.push_back(what + "; comparing the common columns");
    }
    for (std::size_t i = 0; i < ref.header.size(); ++i) {
        const auto& name = ref.header[i];
        auto j = index_of(cur, name);
        if (!j) continue;
        ColumnType a = ref.types[i], b = cur.types[*j];
        if ((a == ColumnType::numeric && b == ColumnType::categorical) ||
            (a == ColumnType::categorical && b == ColumnType::numeric))
            return util::fail(util::Error::usage(fmt::format(
                "column '{}' is {} in {} and {} in {}", name, a == ColumnType::numeric ? "numeric" : "text",
                ref_label, b == ColumnType::numeric ? "numeric" : "text", cur_label)));
        plan.read.columns.push_back(name);
        if (a == ColumnType::categorical || b == ColumnType::categorical ||
            (a == ColumnType::empty && b == ColumnType::empty))
            plan.read.text_columns.push_back(name);
    }
    if (plan.read.columns.empty())
        return util::fail(util::Error::usage(fmt::format("{} and {} have no column in common", ref_label, cur_label)));
    return plan;
}

namespace {

std::uint64_t load64(const unsigned char* p) {
    std::uint64_t v;
    std::memcpy(&v, p, 8);
    return v;
}
std::uint64_t load32(const unsigned char* p) {
    std::uint32_t v;
    std::memcpy(&v, p, 4);
    return v;
}
// 64 x 64 -> 128-bit multiply, halves folded.
std::uint64_t fold_multiply(std::uint64_t a, std::uint64_t b) {
    unsigned __int128 r = static_cast<unsigned __int128>(a) * b;
    return std::uint64_t(r) ^ std::uint64_t(r >> 64);
}

// A short text's hash for the counting table, reading only its own bytes and without a call or a
// loop for up to 16 of them (the overlapping loads of wyhash): category names are short.
std::uint64_t text_hash(std::string_view s) {
    const auto* p = reinterpret_cast<const unsigned char*>(s.data());
    const std::size_t n = s.size();
    std::uint64_t a = 0, b = 0;
    if (n <= 16) {
        if (n >= 4) {
            std::size_t step = (n >> 3) << 2;
            a = (load32(p) << 32) | load32(p + step);
            b = (load32(p + n - 4) << 32) | load32(p + n - 4 - step);
        } else if (n > 0) {
            a = (std::uint64_t(p[0]) << 16) | (std::uint64_t(p[n >> 1]) << 8) | p[n - 1];
        }
    } else {
        std::size_t i = 0;
        for (; i + 16 < n; i += 16) {
            a = fold_multiply(a ^ load64(p + i) ^ 0xA0761D6478BD642Full, b ^ load64(p + i + 8) ^ 0xE7037ED1A0B428DBull);
            b = a;
        }
        a ^= load64(p + n - 16);
        b ^= load64(p + n - 8);
    }
    return fold_multiply(a ^ 0xA0761D6478BD642Full, b ^ n ^ 0xE7037ED1A0B428DBull);
}

// Whether two texts of the same length n are equal, comparing up to 16 bytes with overlapping
// fixed-size loads (no call to memcmp for a category name).
bool same_text(const char* a, const char* b, std::size_t n) {
    const auto* x = reinterpret_cast<const unsigned char*>(a);
    const auto* y = reinterpret_cast<const unsigned char*>(b);
    if (n >= 8 && n <= 16) return load64(x) == load64(y) && load64(x + n - 8) == load64(y + n - 8);
    if (n >= 4 && n < 8) return load32(x) == load32(y) && load32(x + n - 4) == load32(y + n - 4);
    if (n < 4) return n == 0 || (x[0] == y[0] && x[n >> 1] == y[n >> 1] && x[n - 1] == y[n - 1]);
    return std::memcmp(a, b, n) == 0;
}

// The counts of one text column's values in one range of the file: an open-addressing table, as
// a categorical column has few values and std::unordered_map's nodes and hashing cost more than
// the parsing does.
class TextCounter {
  public:
    void add(std::string_view v) {
        if (m_slots.empty()) m_slots.assign(64, 0);
        const std::uint64_t h = text_hash(v);
        const std::size_t mask = m_slots.size() - 1;
        for (std::size_t i = h & mask;; i = (i + 1) & mask) {
            std::uint32_t s = m_slots[i];
            if (s == 0) {
                m_entries.push_back({std::string(v), 1, h});
                m_slots[i] = std::uint32_t(m_entries.size());
                if (m_entries.size() * 2 > m_slots.size()) rehash();
                return;
            }
            Entry& e = m_entries[s - 1];
            if (e.hash == h && e.key.size() == v.size() && same_text(e.key.data(), v.data(), v.size())) {
                ++e.count;
                return;
            }
        }
    }
    // Adds the counts into `counts`.
    template <class Map> void merge_into(Map& counts) const {
        for (const auto& e : m_entries) {
            auto it = counts.find(std::string_view(e.key));
            if (it == counts.end())
                counts.emplace(e.key, e.count);
            else
                it->second += e.count;
        }
    }

  private:
    struct Entry {
        std::string key;
        std::size_t count;
        std::uint64_t hash;
    };
    void rehash() {
        m_slots.assign(m_slots.size() * 2, 0);
        const std::size_t mask = m_slots.size() - 1;
        for (std::size_t k = 0; k < m_entries.size(); ++k) {
            std::size_t i = m_entries[k].hash & mask;
            while (m_slots[i] != 0) i = (i + 1) & mask;
            m_slots[i] = std::uint32_t(k + 1);
        }
    }
    std::vector<Entry> m_entries;
    std::vector<std::uint32_t> m_slots; // index + 1 into m_entries; 0 = free
};

// What one thread keeps of one range of the file, in the profile's column order: numbers go
// straight to their rows in the profile's columns, text values are counted.
struct RangeProfile {
    const std::vector<int>* slot = nullptr; // header column -> profile column, -1 = not kept
    std::vector<double*> out;               // numeric profile column -> this range's first row
    std::vector<std::vector<double>> numbers; // or, when counting, the range's values
    std::vector<std::vector<std::int64_t>> decimals; // and those the parser read as plain decimals
    std::vector<std::size_t> missing;
    std::vector<TextCounter> texts;
    std::size_t rows = 0;

    void number(std::size_t j, double v) {
        auto k = std::size_t((*slot)[j]);
        if (out[k])
            out[k][rows] = v;
        else
            numbers[k].push_back(v);
        if (std::isnan(v)) ++missing[k];
    }
    void decimal(std::size_t j, bool neg, std::uint64_t mant, unsigned frac) {
        auto k = std::size_t((*slot)[j]);
        if (out[k])
            out[k][rows] = ml::csv_detail::decimal_value(neg, mant, frac);
        else
            decimals[k].push_back(pack_decimal(neg, mant, frac));
    }
    void text(std::size_t j, std::string_view v) {
        int k = (*slot)[j];
        if (k < 0) return;
        if (v.empty() || ml::is_missing_token(v))
            ++missing[std::size_t(k)];
        else
            texts[std::size_t(k)].add(v);
    }
    void row() { ++rows; }
};

// Without a chunk hook nothing needs whole rows: the file is taken in batches of byte ranges, each
// parsed by one thread into its own text counts (no string per cell) and its numbers. With
// keep_rows the records of each range are counted first and the numbers go straight to their rows
// in the profile's columns; without, they go to the range's buffers (kept for the next batch), from
// which each column's GridCounter counts them after the batch.
util::Status read_ranges(ml::CsvReader& reader, DatasetProfile& p, const ReadOptions& opts) {
    const auto& header = reader.header();
    std::vector<int> slot(header.size(), -1);
    std::vector<bool> is_text(header.size(), true); // columns not kept are skipped as text
    for (std::size_t k = 0; k < p.columns.size(); ++k) {
        auto j = std::size_t(std::find(header.begin(), header.end(), p.columns[k].name) - header.begin());
        slot[j] = int(k);
        is_text[j] = p.columns[k].type != ColumnType::numeric;
    }
    const unsigned threads = opts.threads ? opts.threads : util::default_jobs();
    const std::size_t batch = opts.chunk_bytes ? opts.chunk_bytes : std::size_t(threads) * (8 << 20);
    const std::size_t pieces = std::size_t(threads) * 2;
    const std::size_t start = reader.position();
    const bool rows_kept = opts.keep_rows;
    std::vector<GridCounter> grids(rows_kept ? 0 : p.columns.size());
    std::vector<RangeProfile> parts;
    while (!reader.done()) {
        auto ranges = reader.take(batch, pieces);
        std::vector<std::size_t> first(ranges.size() + 1, 0);
        if (rows_kept) {
            MLOPS_TRYV(util::parallel_for(ranges.size(), threads, [&](std::size_t i) -> util::Status {
                first[i + 1] = reader.count_records(ranges[i]);
                return {};
            }));
            for (std::size_t i = 0; i < ranges.size(); ++i) first[i + 1] += first[i];
            const std::size_t total = p.rows + first.back();
            // Room for the whole file at the bytes per row so far (5% over): the columns grow once.
            const auto expect = std::size_t(double(total) * double(reader.size() - start) / double(reader.position() - start) * 1.05);
            for (auto& col : p.columns) {
                if (col.type != ColumnType::numeric) continue;
                if (col.values.capacity() < total) col.values.reserve(std::max(expect, total));
                col.values.resize(total); // not zeroed: every row is written below
            }
        }
        parts.resize(ranges.size());
        MLOPS_TRYV(util::parallel_for(ranges.size(), threads, [&](std::size_t i) -> util::Status {
            // On this thread's stack while it scans: neighbours in `parts` share cache lines, and
            // the row counter changes every row. The buffers of the last batch are reused.
            RangeProfile part = std::move(parts[i]);
            part.slot = &slot;
            part.rows = 0;
            part.out.assign(p.columns.size(), nullptr);
            part.numbers.resize(p.columns.size());
            part.decimals.resize(p.columns.size());
            for (std::size_t k = 0; k < p.columns.size(); ++k) {
                part.numbers[k].clear();
                part.decimals[k].clear();
                if (rows_kept && p.columns[k].type == ColumnType::numeric) part.out[k] = p.columns[k].values.data() + p.rows + first[i];
            }
            part.missing.assign(p.columns.size(), 0);
            part.texts.assign(p.columns.size(), TextCounter());
            auto st = reader.scan(ranges[i], is_text, part);
            parts[i] = std::move(part);
            return st;
        }));
        std::size_t rows = 0;
        for (const auto& part : parts) rows += part.rows;
        MLOPS_TRYV(util::parallel_for(p.columns.size(), threads, [&](std::size_t k) -> util::Status {
            auto& col = p.columns[k];
            col.rows += rows;
            for (auto& part : parts) {
                col.missing += part.missing[k];
                part.texts[k].merge_into(col.counts);
                if (!rows_kept && col.type == ColumnType::numeric) {
                    grids[k].add_decimals(part.decimals[k]);
                    grids[k].add(part.numbers[k]);
                }
            }
            return {};
        }));
        p.rows += rows;
        reader.release_parsed();
    }
    for (std::size_t k = 0; k < grids.size(); ++k) {
        auto& col = p.columns[k];
        if (col.type != ColumnType::numeric) continue;
        if (grids[k].failed()) {
            col.values = std::move(grids[k].spilled());
        } else {
            col.counted = true;
            grids[k].finish(col.distinct, col.distinct_counts);
        }
    }
    return {};
}

} // namespace

util::Result<DatasetProfile> read_profile(const std::string& path, const std::string& label,
                                          const ReadOptions& opts, const ChunkHook& hook) {
    auto reader = ml::CsvReader::open(path);
    if (!reader) return util::fail(relabel(reader.error(), path, label));
    DatasetProfile p;
    p.label = label;
    p.path = path;
    std::set<std::string> text(opts.text_columns.begin(), opts.text_columns.end());
    for (const auto& name : opts.columns) {
        if (std::find(reader->header().begin(), reader->header().end(), name) == reader->header().end())
            return util::fail(util::Error::usage(fmt::format("{}: no column '{}'", label, name)));
        ColumnProfile c;
        c.name = name;
        c.type = text.count(name) ? ColumnType::categorical : ColumnType::numeric;
        p.columns.push_back(std::move(c));
    }
    if (!hook) {
        if (auto st = read_ranges(*reader, p, opts); !st) return util::fail(relabel(st.error(), path, label));
        if (p.rows == 0) return util::fail(util::Error::usage(fmt::format("{}: no data rows (only a header line)", label)));
        return p;
    }
    ml::CsvOptions csv;
    csv.text_columns = opts.text_columns;
    csv.threads = opts.threads;
    const std::size_t kept = p.columns.size();
    while (!reader->done()) {
        auto frame = reader->next(opts.chunk_rows, csv);
        if (!frame) return util::fail(relabel(frame.error(), path, label));
        if (frame->rows == 0) break;
        frame->path = label;
        MLOPS_TRYV(util::parallel_for(kept, opts.threads, [&](std::size_t i) -> util::Status {
            auto& col = p.columns[i];
            const ml::Column* src = frame->find(col.name);
            if (col.type == ColumnType::numeric) {
                col.values.insert(col.values.end(), src->numbers.begin(), src->numbers.end());
                col.rows += frame->rows;
                for (double v : src->numbers)
                    if (std::isnan(v)) ++col.missing;
            } else {
                for (const auto& v : src->texts) col.add_text(v);
            }
            return {};
        }));
        p.rows += frame->rows;
        if (hook) MLOPS_TRYV(hook(*frame, p));
        reader->release_parsed();
    }
    if (p.rows == 0) return util::fail(util::Error::usage(fmt::format("{}: no data rows (only a header line)", label)));
    return p;
}

} // namespace mlops::drift
