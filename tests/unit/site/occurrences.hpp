// How often a piece of text occurs in a page (the site tests count rows, markers, links).
#pragma once

#include <string>

namespace mlops::test {

inline std::size_t occurrences(const std::string& hay, const std::string& needle) {
    std::size_t n = 0;
    for (auto p = hay.find(needle); p != std::string::npos; p = hay.find(needle, p + 1)) ++n;
    return n;
}

} // namespace mlops::test
