#include <mlops/monitor/log.hpp>

#include <charconv>
#include <chrono>
#include <cmath>

#include <fmt/format.h>

#include <mlops/util/fs.hpp>

namespace mlops::monitor {

namespace {

// Reads exactly `n` digits at `p` into `out`.
bool digits(std::string_view s, std::size_t& p, std::size_t n, int& out) {
    if (p + n > s.size()) return false;
    int v = 0;
    for (std::size_t i = 0; i < n; ++i) {
        char c = s[p + i];
        if (c < '0' || c > '9') return false;
        v = v * 10 + (c - '0');
    }
    p += n;
    out = v;
    return true;
}

bool expect(std::string_view s, std::size_t& p, char c) {
    if (p < s.size() && s[p] == c) {
        ++p;
        return true;
    }
    return false;
}

} // namespace

std::optional<double> parse_time(std::string_view s) {
    std::size_t p = 0;
    int y, mo, d, h = 0, mi = 0, sec = 0;
    if (!digits(s, p, 4, y) || !expect(s, p, '-') || !digits(s, p, 2, mo) || !expect(s, p, '-') || !digits(s, p, 2, d))
        return std::nullopt;
    std::chrono::year_month_day ymd{std::chrono::year(y), std::chrono::month(unsigned(mo)), std::chrono::day(unsigned(d))};
    if (!ymd.ok()) return std::nullopt;
    double frac = 0;
    int offset = 0; // seconds east of UTC
    if (p < s.size()) {
        if (s[p] != 'T' && s[p] != 't' && s[p] != ' ') return std::nullopt;
        ++p;
        if (!digits(s, p, 2, h) || !expect(s, p, ':') || !digits(s, p, 2, mi)) return std::nullopt;
        if (expect(s, p, ':')) {
            if (!digits(s, p, 2, sec)) return std::nullopt;
            if (expect(s, p, '.') || expect(s, p, ',')) {
                double scale = 0.1;
                std::size_t start = p;
                while (p < s.size() && s[p] >= '0' && s[p] <= '9') frac += (s[p++] - '0') * scale, scale /= 10;
                if (p == start) return std::nullopt;
            }
        }
        if (h > 23 || mi > 59 || sec > 60) return std::nullopt;
        if (p < s.size()) {
            if (s[p] == 'Z' || s[p] == 'z') {
                ++p;
            } else if (s[p] == '+' || s[p] == '-') {
                int sign = s[p++] == '+' ? 1 : -1, oh, om = 0;
                if (!digits(s, p, 2, oh)) return std::nullopt;
                expect(s, p, ':');
                if (p < s.size() && !digits(s, p, 2, om)) return std::nullopt;
                if (oh > 23 || om > 59) return std::nullopt;
                offset = sign * (oh * 3600 + om * 60);
            }
        }
        if (p != s.size()) return std::nullopt;
    }
    auto days = std::chrono::sys_days(ymd).time_since_epoch().count();
    return double(days) * 86400.0 + h * 3600 + mi * 60 + sec - offset + frac;
}

std::string format_time(double t) {
    double whole = std::floor(t);
    auto secs = std::int64_t(whole);
    int ms = int(std::llround((t - whole) * 1000));
    if (ms == 1000) ++secs, ms = 0;
    auto days = secs >= 0 ? secs / 86400 : (secs - 86399) / 86400;
    auto rem = secs - days * 86400;
    std::chrono::year_month_day ymd{std::chrono::sys_days(std::chrono::days(days))};
    auto base = fmt::format("{:04}-{:02}-{:02}T{:02}:{:02}:{:02}", int(ymd.year()), unsigned(ymd.month()), unsigned(ymd.day()),
                            rem / 3600, rem / 60 % 60, rem % 60);
    return ms ? fmt::format("{}.{:03}Z", base, ms) : base + "Z";
}

util::Result<double> parse_duration(std::string_view text, const std::string& what) {
    auto bad = [&] {
        return util::fail(util::Error::usage(fmt::format("{} '{}': give a duration such as 30s, 5m, 1h, 1d or 1h30m", what, text)));
    };
    if (text.empty()) return bad();
    double total = 0;
    std::size_t p = 0;
    while (p < text.size()) {
        double v = 0;
        auto [end, ec] = std::from_chars(text.data() + p, text.data() + text.size(), v);
        if (ec != std::errc() || v < 0) return bad();
        p = std::size_t(end - text.data());
        double unit = 1;
        if (p < text.size()) {
            switch (text[p]) {
            case 's': unit = 1; break;
            case 'm': unit = 60; break;
            case 'h': unit = 3600; break;
            case 'd': unit = 86400; break;
            case 'w': unit = 7 * 86400; break;
            default: return bad();
            }
            ++p;
        } else if (total != 0) {
            return bad(); // "1h30" is ambiguous
        }
        total += v * unit;
    }
    if (!(total > 0) || !std::isfinite(total)) return bad();
    return total;
}

std::string format_duration(double seconds) {
    auto s = std::int64_t(std::llround(seconds));
    if (double(s) != seconds) return fmt::format("{}s", seconds);
    if (s != 0 && s % 86400 == 0) return fmt::format("{}d", s / 86400);
    std::string out;
    if (s >= 3600) out += fmt::format("{}h", s / 3600), s %= 3600;
    if (s >= 60) out += fmt::format("{}m", s / 60), s %= 60;
    if (s || out.empty()) out += fmt::format("{}s", s);
    return out;
}

util::Status make_local_dir(const std::string& dir) {
    MLOPS_TRYV(util::make_dirs(dir));
    auto ignore = dir + "/.gitignore";
    if (!MLOPS_TRY(util::stat_path(ignore)))
        MLOPS_TRYV(util::write_file_atomic(ignore, "# Written by mlops: this machine's state, not for git.\n*\n", util::Durability::none));
    return {};
}

namespace {

util::Error bad(std::string m) { return util::Error::usage(std::move(m)); }

// A row list from a single value or an array of them.
std::vector<nlohmann::json> rows_of(const nlohmann::json& v) {
    if (v.is_array()) return std::vector<nlohmann::json>(v.begin(), v.end());
    return {v};
}

} // namespace

util::Result<LogRecord> parse_record(std::string_view line) {
    auto doc = nlohmann::json::parse(line, nullptr, false);
    if (doc.is_discarded()) return util::fail(bad("not JSON"));
    if (!doc.is_object()) return util::fail(bad("not a JSON object"));
    LogRecord r;
    auto ts = doc.find("timestamp");
    if (ts == doc.end()) ts = doc.find("time");
    if (ts == doc.end()) return util::fail(bad("no timestamp"));
    if (ts->is_number()) {
        double v = ts->get<double>();
        if (!std::isfinite(v)) return util::fail(bad("timestamp is not a time"));
        r.time = v > 1e11 ? v / 1000 : v; // milliseconds since the epoch
    } else if (ts->is_string()) {
        auto t = parse_time(ts->get_ref<const std::string&>());
        if (!t) return util::fail(bad(fmt::format("timestamp '{}' is not an RFC 3339 time", ts->get_ref<const std::string&>())));
        r.time = *t;
    } else {
        return util::fail(bad("timestamp is not a time"));
    }
    if (auto st = doc.find("status"); st != doc.end() && !st->is_null()) {
        if (st->is_number_integer()) {
            r.status = st->get<int>();
        } else if (st->is_string()) {
            const auto& s = st->get_ref<const std::string&>();
            if (s == "ok" || s == "success") r.status = 200;
            else if (s == "error" || s == "failed") r.status = 500;
            else return util::fail(bad(fmt::format("status '{}' is not an HTTP status, \"ok\" or \"error\"", s)));
        } else {
            return util::fail(bad("status is not an HTTP status"));
        }
    }
    if (auto l = doc.find("latency_ms"); l != doc.end() && !l->is_null()) {
        if (!l->is_number() || !std::isfinite(l->get<double>()) || l->get<double>() < 0)
            return util::fail(bad("latency_ms is not a non-negative number"));
        r.latency_ms = l->get<double>();
    }
    if (auto in = doc.find("inputs"); in != doc.end() && !in->is_null()) {
        r.inputs = rows_of(*in);
        for (const auto& row : r.inputs)
            if (!row.is_object()) return util::fail(bad("inputs is not an object or a list of objects"));
    }
    if (auto out = doc.find("output"); out != doc.end() && !out->is_null()) {
        r.outputs = r.inputs.size() > 1 || (out->is_array() && r.inputs.empty()) ? rows_of(*out) : std::vector<nlohmann::json>{*out};
        if (r.inputs.size() > 1 && r.outputs.size() != r.inputs.size())
            return util::fail(bad(fmt::format("{} input rows but {} outputs", r.inputs.size(), r.outputs.size())));
    }
    auto lab = doc.find("labels");
    if (lab == doc.end()) lab = doc.find("label");
    if (lab != doc.end() && !lab->is_null()) {
        r.labels = r.outputs.size() > 1 ? rows_of(*lab) : std::vector<nlohmann::json>{*lab};
        if (!r.outputs.empty() && r.labels.size() != r.outputs.size())
            return util::fail(bad(fmt::format("{} outputs but {} labels", r.outputs.size(), r.labels.size())));
    }
    if (auto m = doc.find("model"); m != doc.end() && m->is_string()) r.model = m->get<std::string>();
    if (auto v = doc.find("version"); v != doc.end() && v->is_number_integer()) r.version = v->get<int>();
    return r;
}

} // namespace mlops::monitor
