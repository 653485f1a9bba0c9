// util::parallel_for for remote operations: keeps the first remote::Error whole (its Fault decides
// retries and messages), where util::parallel_for would slice it to a util::Error.
#pragma once

#include <cstddef>
#include <functional>

#include <mlops/remote/backend.hpp>

namespace mlops::remote {

Status run_parallel(std::size_t n, unsigned jobs, const std::function<Status(std::size_t)>& fn);

} // namespace mlops::remote
