// Data sets named on the command line the way `mlops drift` takes them: a CSV path, a tracked
// path at a git revision (`data/train.csv@HEAD~3`) or an object id.
#pragma once

#include <string>

#include <mlops/drift/source.hpp>

#include "context.hpp"

namespace mlops::cli {

// The file to read and the label to show; throws CommandError (usage) naming `text` when it names
// nothing.
drift::Input data_input(Context& ctx, const std::string& text);

} // namespace mlops::cli
