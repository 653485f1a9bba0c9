// Data-parallel loops over an index range on a pool of threads sized to the cores.
#pragma once

#include <cstddef>
#include <functional>

#include <mlops/util/error.hpp>

namespace mlops::util {

unsigned default_jobs();

// Runs fn(i) for i in [0, n) on up to `jobs` threads (0 = one per core). Stops handing out work at
// the first error and returns it; other errors are dropped.
Status parallel_for(std::size_t n, unsigned jobs, const std::function<Status(std::size_t)>& fn);

} // namespace mlops::util
