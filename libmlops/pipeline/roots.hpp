// What the pipeline keeps alive in gc: the outputs named by mlops.lock (in the work tree and in
// history) and everything a run record names (the record, its log, its outputs).
#pragma once

#include <vector>

#include <mlops/workspace/maintenance.hpp>

namespace mlops::pipeline {

const std::vector<workspace::RootSource>& root_sources();

} // namespace mlops::pipeline
