// The drift report as one self-contained HTML page: inline CSS and SVG, no script, nothing fetched
// from the network, the same bytes for the same report.
#pragma once

#include <string>

#include <mlops/drift/report.hpp>

namespace mlops::drift {

std::string to_html(const Report& r);

// Text made safe for HTML element content and attribute values.
std::string html_escape(std::string_view s);

} // namespace mlops::drift
