// Small string helpers shared by the parsers and the CLI.
#pragma once

#include <string>
#include <string_view>
#include <vector>

namespace mlops::util {

std::string_view trim(std::string_view s);
std::vector<std::string_view> split(std::string_view s, char sep);
// Lines without their terminators; a final line without '\n' counts, a trailing '\n' does not
// start an empty one.
std::vector<std::string_view> split_lines(std::string_view s);
std::size_t edit_distance(std::string_view a, std::string_view b);
// The candidate nearest to `word` if it is close enough to be a likely typo, else "".
std::string closest_match(std::string_view word, const std::vector<std::string>& candidates);
// Text safe inside HTML or XML content and attribute values: & < > " ' escaped.
std::string markup_escape(std::string_view s);

} // namespace mlops::util
