// Inline-SVG line charts for the project site: one series per stage (or figure), each with its own
// colour and marker shape (never colour alone), a <title> on every marker so hovering shows the
// value and where it came from, and bounded size: a series of more than k_max_vertices points is
// drawn through the minimum and maximum of each bucket, and only its latest k_max_markers points
// get markers.
#pragma once

#include <string>
#include <utility>
#include <vector>

namespace mlops::site {

inline constexpr std::size_t k_max_vertices = 1000;
inline constexpr std::size_t k_max_markers = 400;

struct Point {
    double x = 0;      // position along the x axis (a run's sequence number, a window's start)
    double y = 0;
    std::string label; // what hovering says after the value: "run 1f3a… (train), commit 9c2e…"
};

struct Series {
    std::string name;
    std::vector<Point> points; // by x
};

struct ChartOptions {
    std::string title;   // the accessible name, also shown above
    std::string id;      // an id for the <svg>, "" = none
    std::string x_label;
    std::vector<std::pair<double, std::string>> x_ticks; // labelled positions along x
    int width = 720, height = 260;
};

// Shape names in the order series get them (the legend shows the same shapes).
const std::vector<std::string>& marker_shapes();
// The path of a marker of shape `index` (modulo the number of shapes) centred at (x, y).
std::string marker_path(std::size_t index, double x, double y, double r);

std::string line_chart(const std::vector<Series>& series, const ChartOptions& opts);

// A number as charts and tables print it: up to 6 significant digits, no trailing zeros.
std::string format_number(double v);

} // namespace mlops::site
