// Publishing the site folder in one step: every page is written into a temporary folder next to the
// target, which then takes the target's place (an atomic exchange where the filesystem has one), so
// a reader or a failed run never leaves half a site. A target that exists must be an earlier site
// (it holds the marker file), so a mistyped -o never replaces someone's folder.
#pragma once

#include <cstdint>
#include <string>

#include <mlops/site/render.hpp>
#include <mlops/util/error.hpp>

namespace mlops::site {

inline constexpr const char* k_marker = ".mlops-site";

struct Written {
    std::size_t pages = 0;        // .html files
    std::uint64_t bytes = 0;      // all files
    std::string largest;          // the largest page's path inside the site
    std::uint64_t largest_bytes = 0;
};

// `target` is an absolute path; its parent must exist. Errors name the target.
util::Result<Written> write_site(const std::string& target, const Pages& pages);

} // namespace mlops::site
