// Snapshots of work-tree paths: what a tracked file or folder holds now, as oids. The stat cache
// in the index means a file that has not changed since it was last hashed is not read again.
// In StoreMode::store the same pass also writes the content into the object store (mlops add).
#pragma once

#include <optional>
#include <string>
#include <vector>

#include <mlops/index/index.hpp>
#include <mlops/store/tree.hpp>
#include <mlops/workspace/pointer.hpp>
#include <mlops/workspace/repository.hpp>

namespace mlops::util {
class Progress;
}

namespace mlops::workspace {

enum class StoreMode { hash_only, store };
// Whether the caller needs a folder's entries or only its oid. With oid_only, a folder whose stat
// cache vouches for every file (and that holds no other file) takes its tree oid from the cache:
// no tree is built, serialised or hashed, and Snapshot::tree stays empty.
enum class TreeEntries { needed, oid_only };

struct Snapshot {
    Pointer pointer;        // what a pointer file for this state would say
    store::Tree tree;       // entries, for a folder (empty when tree_from_cache)
    bool tree_from_cache = false; // the folder's oid came from the stat cache (TreeEntries::oid_only)
    std::uint64_t hashed_files = 0;
    std::uint64_t hashed_bytes = 0;
    std::uint64_t new_objects = 0;
    // The path's new stat cache, when it changed (store it with Index::store_stat_set).
    std::optional<index::StatSet> stat_set;
};

struct ScanOptions {
    StoreMode mode = StoreMode::hash_only;
    store::WriteBatch* batch = nullptr; // required with StoreMode::store
    bool progress = false;              // show a progress bar for the hashing
    const char* progress_label = "hashing";
    TreeEntries entries = TreeEntries::needed;
};

// `rel` is a work-tree relative path that exists (file or folder). Errors name the offending path:
// symlinks leading outside the work tree, special files, unreadable files.
Result<Snapshot> snapshot(Repository& repo, const std::string& rel, const ScanOptions& opts);

// The work-tree pointer files (`*.mlops`), as repository-relative paths of the data they track,
// sorted. Skips .git, .mlops and tracked folders.
Result<std::vector<std::string>> find_tracked_paths(const Repository& repo);

} // namespace mlops::workspace
