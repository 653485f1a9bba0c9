// Putting objects into the work tree: each file is written (or linked) under a temporary name and
// renamed into place, after its object's hash has been verified. Link strategies come from
// cache.type; reflink falls back to the next one where the filesystem cannot clone.
#pragma once

#include <string>
#include <vector>

#include <mlops/store/tree.hpp>
#include <mlops/workspace/add.hpp>

namespace mlops::workspace {

// Writes object `oid` to `dest_abs` (replacing what is there).
Status materialize_file(Repository& repo, const std::string& oid, store::EntryMode mode,
                        const std::string& dest_abs, const std::vector<LinkType>& links);

// After `add` with hardlink or symlink strategies: replaces the work-tree files of `rel` with links
// into the store.
Status link_into_worktree(Repository& repo, const std::string& rel, const Snapshot& snap,
                          const std::vector<LinkType>& links);

} // namespace mlops::workspace
