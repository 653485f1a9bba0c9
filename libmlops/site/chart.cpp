#include <mlops/site/chart.hpp>

#include <algorithm>
#include <cmath>
#include <limits>

#include <fmt/format.h>

#include <mlops/util/strings.hpp>

namespace mlops::site {

namespace {

std::string e(std::string_view s) { return util::markup_escape(s); }

// Coordinates with one decimal: enough on screen, and the same text on every machine.
std::string c(double v) { return fmt::format("{:.1f}", v); }

// Round steps (1, 2, 5 x 10^k) for about `n` ticks between lo and hi.
std::vector<double> nice_ticks(double lo, double hi, int n) {
    std::vector<double> out;
    double span = hi - lo;
    if (!(span > 0) || !std::isfinite(span)) return {lo};
    double raw = span / n, mag = std::pow(10.0, std::floor(std::log10(raw)));
    double step = mag;
    for (double m : {1.0, 2.0, 5.0, 10.0})
        if (m * mag >= raw) {
            step = m * mag;
            break;
        }
    for (double t = std::ceil(lo / step) * step; t <= hi + step * 1e-9; t += step) out.push_back(std::abs(t) < step * 1e-9 ? 0 : t);
    return out;
}

// At most k_max_vertices points: the first and last, and per bucket its lowest and highest point in
// x order (the envelope of the line is kept, spikes included).
std::vector<const Point*> decimate(const std::vector<Point>& pts) {
    std::vector<const Point*> out;
    if (pts.size() <= k_max_vertices) {
        for (const auto& p : pts) out.push_back(&p);
        return out;
    }
    std::size_t buckets = k_max_vertices / 2;
    double per = double(pts.size()) / double(buckets);
    for (std::size_t b = 0; b < buckets; ++b) {
        std::size_t lo = std::size_t(double(b) * per), hi = std::min(pts.size(), std::size_t(double(b + 1) * per));
        if (lo >= hi) continue;
        std::size_t mn = lo, mx = lo;
        for (std::size_t i = lo; i < hi; ++i) {
            if (pts[i].y < pts[mn].y) mn = i;
            if (pts[i].y > pts[mx].y) mx = i;
        }
        out.push_back(&pts[std::min(mn, mx)]);
        if (mn != mx) out.push_back(&pts[std::max(mn, mx)]);
    }
    if (out.front() != &pts.front()) out.insert(out.begin(), &pts.front());
    if (out.back() != &pts.back()) out.push_back(&pts.back());
    return out;
}

} // namespace

std::string format_number(double v) {
    if (std::isnan(v)) return "NaN";
    if (std::isinf(v)) return v > 0 ? "inf" : "-inf";
    if (v == std::floor(v) && std::abs(v) < 1e15) return fmt::format("{:.0f}", v);
    return fmt::format("{:.6g}", v);
}

const std::vector<std::string>& marker_shapes() {
    static const std::vector<std::string> k{"circle", "square", "triangle", "diamond", "cross", "triangle-down"};
    return k;
}

std::string marker_path(std::size_t index, double x, double y, double r) {
    switch (index % marker_shapes().size()) {
    case 0: // circle, as two arcs
        return fmt::format("M{},{} a{},{} 0 1,0 {},0 a{},{} 0 1,0 {},0 z", c(x - r), c(y), c(r), c(r), c(2 * r), c(r), c(r), c(-2 * r));
    case 1: return fmt::format("M{},{} h{} v{} h{} z", c(x - r), c(y - r), c(2 * r), c(2 * r), c(-2 * r));
    case 2: return fmt::format("M{},{} L{},{} L{},{} z", c(x), c(y - r * 1.2), c(x + r * 1.1), c(y + r * 0.9), c(x - r * 1.1), c(y + r * 0.9));
    case 3: return fmt::format("M{},{} L{},{} L{},{} L{},{} z", c(x), c(y - r * 1.3), c(x + r * 1.3), c(y), c(x), c(y + r * 1.3), c(x - r * 1.3), c(y));
    case 4:
        return fmt::format("M{},{} L{},{} M{},{} L{},{}", c(x - r), c(y - r), c(x + r), c(y + r), c(x - r), c(y + r), c(x + r), c(y - r));
    default: return fmt::format("M{},{} L{},{} L{},{} z", c(x), c(y + r * 1.2), c(x + r * 1.1), c(y - r * 0.9), c(x - r * 1.1), c(y - r * 0.9));
    }
}

std::string line_chart(const std::vector<Series>& series, const ChartOptions& o) {
    constexpr double k_left = 64, k_right = 48, k_top = 12, k_bottom = 40;
    double x0 = std::numeric_limits<double>::infinity(), x1 = -x0, y0 = x0, y1 = -x0;
    std::size_t total = 0;
    for (const auto& s : series)
        for (const auto& p : s.points) {
            if (!std::isfinite(p.y)) continue;
            x0 = std::min(x0, p.x), x1 = std::max(x1, p.x), y0 = std::min(y0, p.y), y1 = std::max(y1, p.y);
            ++total;
        }
    std::string out = fmt::format("<figure class=\"chart\"><figcaption>{}</figcaption>\n", e(o.title));
    if (total == 0) return out + "<p class=\"empty\">No values.</p></figure>\n";
    if (x0 == x1) x0 -= 1, x1 += 1;
    if (y0 == y1) {
        double pad = y0 == 0 ? 1 : std::abs(y0) * 0.1;
        y0 -= pad, y1 += pad;
    } else {
        double pad = (y1 - y0) * 0.06;
        y0 -= pad, y1 += pad;
    }
    double w = o.width, h = o.height, pw = w - k_left - k_right, ph = h - k_top - k_bottom;
    auto sx = [&](double x) { return k_left + (x - x0) / (x1 - x0) * pw; };
    auto sy = [&](double y) { return k_top + (1 - (y - y0) / (y1 - y0)) * ph; };
    out += fmt::format("<svg{} class=\"plot\" width=\"{}\" height=\"{}\" viewBox=\"0 0 {} {}\" role=\"img\" aria-label=\"{}\" data-points=\"{}\">\n",
                       o.id.empty() ? "" : fmt::format(" id=\"{}\"", e(o.id)), o.width, o.height, o.width, o.height, e(o.title), total);
    // Axes, grid and ticks.
    out += fmt::format("<path class=\"axis\" d=\"M{},{} V{} H{}\"/>\n", c(k_left), c(k_top), c(k_top + ph), c(k_left + pw));
    for (double t : nice_ticks(y0, y1, 4))
        out += fmt::format("<path class=\"grid\" d=\"M{},{} H{}\"/><text class=\"tick\" x=\"{}\" y=\"{}\" text-anchor=\"end\">{}</text>\n",
                           c(k_left), c(sy(t)), c(k_left + pw), c(k_left - 6), c(sy(t) + 4), e(format_number(t)));
    for (const auto& [x, label] : o.x_ticks)
        out += fmt::format("<text class=\"tick\" x=\"{}\" y=\"{}\" text-anchor=\"middle\">{}</text>\n", c(sx(x)), c(k_top + ph + 16), e(label));
    if (!o.x_label.empty())
        out += fmt::format("<text class=\"axis-label\" x=\"{}\" y=\"{}\" text-anchor=\"middle\">{}</text>\n", c(k_left + pw / 2), c(h - 4),
                           e(o.x_label));
    std::string legend;
    for (std::size_t si = 0; si < series.size(); ++si) {
        const auto& s = series[si];
        std::vector<Point> pts;
        for (const auto& p : s.points)
            if (std::isfinite(p.y)) pts.push_back(p);
        if (pts.empty()) continue;
        std::string cls = fmt::format("s{}", si % 6);
        std::string d;
        for (const auto* p : decimate(pts)) d += fmt::format("{}{},{}", d.empty() ? "M" : " L", c(sx(p->x)), c(sy(p->y)));
        out += fmt::format("<g class=\"series {}\" data-series=\"{}\"><path class=\"line\" d=\"{}\"/>\n", cls, e(s.name), d);
        std::size_t first = pts.size() > k_max_markers ? pts.size() - k_max_markers : 0;
        for (std::size_t i = first; i < pts.size(); ++i)
            out += fmt::format("<path class=\"marker\" d=\"{}\"><title>{} = {}{}{}</title></path>\n", marker_path(si, sx(pts[i].x), sy(pts[i].y), 3.5),
                               e(s.name), e(format_number(pts[i].y)), pts[i].label.empty() ? "" : " \u2014 ", e(pts[i].label));
        out += "</g>\n";
        legend += fmt::format("<li><svg width=\"14\" height=\"14\" aria-hidden=\"true\"><g class=\"series {}\"><path class=\"marker\" d=\"{}\"/></g></svg> {}{}</li>",
                              cls, marker_path(si, 7, 7, 4.5), e(s.name),
                              first ? fmt::format(" <small>(markers on the latest {} of {} points)</small>", k_max_markers, pts.size()) : "");
    }
    out += "</svg>\n";
    if (!legend.empty()) out += "<ul class=\"legend\">" + legend + "</ul>\n";
    return out + "</figure>\n";
}

} // namespace mlops::site
