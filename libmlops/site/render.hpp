// The project site's pages from the gathered data: a pure function, so the same data gives the same
// bytes (pages sorted by path, nothing from the clock or the machine). Every piece of data goes
// through util::markup_escape.
#pragma once

#include <map>
#include <string>

#include <mlops/site/gather.hpp>

namespace mlops::site {

struct RenderOptions {
    // The repository's root relative to the site folder ("../" for the default site/), for links
    // to objects such as a truncated log; "" when the site is outside the repository (no links).
    std::string repo_link;
    std::size_t runs_per_page = 1000;
    std::size_t max_columns = 24; // params and metrics columns of the runs table (the most common keys)
};

using Pages = std::map<std::string, std::string>; // path inside the site -> content

Pages render(const SiteData& d, const RenderOptions& opts);

// A run id as a file name (ids are hex; anything else is replaced).
std::string run_page(const std::string& run_id);

// Flattened params or metrics of a record: {"metrics/eval.json": {"a": {"b": 1}}} gives
// "metrics/eval.json:a.b" -> 1.
std::map<std::string, nlohmann::json> flatten(const nlohmann::json& by_file);

} // namespace mlops::site
