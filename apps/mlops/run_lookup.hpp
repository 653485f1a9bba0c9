// Finding a recorded run by its id or a unique prefix of it, for every command that names runs
// (`runs show`, `metrics diff --runs`).
#pragma once

#include <string>

#include <mlops/pipeline/record.hpp>

#include "context.hpp"

namespace mlops::cli {

// The run record whose id starts with `prefix`; stops the command (usage error) when no run or
// more than one run matches, listing the candidates.
pipeline::RunRecord load_run_record(Context& ctx, const std::string& prefix);

} // namespace mlops::cli
