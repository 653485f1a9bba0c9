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

// Up to this many runs, each run has a page of its own (runs/<id>.html). Beyond it the run pages are
// grouped by the first characters of the id (runs/<prefix>.html#run-<id>, about 64 runs a page): ten
// thousand small files cost more to create and to replace than the pages are worth.
inline constexpr std::size_t k_single_run_pages = 2000;
// How many leading characters of the id name a run's page for a site of `runs` runs (0: one page each).
std::size_t run_group_chars(std::size_t runs);
// The link from the site's root to a run's page (or its section of a grouped page).
std::string run_href(std::size_t runs, const std::string& run_id);

// Flattened params or metrics of a record: {"metrics/eval.json": {"a": {"b": 1}}} gives
// "metrics/eval.json:a.b" -> 1.
std::map<std::string, nlohmann::json> flatten(const nlohmann::json& by_file);

} // namespace mlops::site
