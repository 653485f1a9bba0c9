// gc and fsck. The root set is a list of sources, each naming objects that must be kept; a later
// feature (run records, registry entries) adds a source here and gc keeps what it reaches.
#pragma once

#include <functional>
#include <string>
#include <unordered_set>
#include <vector>

#include <mlops/workspace/pointer.hpp>
#include <mlops/workspace/repository.hpp>

namespace mlops::workspace {

// Collects reachable oids; tree objects are expanded to their entries.
class Reachable {
  public:
    explicit Reachable(Repository& repo) : m_repo(repo) {}
    // A pointer's object; for a folder also every entry of its tree. `where` names the reference
    // in errors (a tree object that is missing or corrupt stops gc: its children are unknown).
    Status add_pointer(const Pointer& p, const std::string& where);
    void add_oid(const std::string& oid) { m_oids.insert(oid); }
    bool contains(const std::string& oid) const { return m_oids.contains(oid); }
    std::size_t size() const { return m_oids.size(); }
    const std::unordered_set<std::string>& oids() const { return m_oids; }

  private:
    Repository& m_repo;
    std::unordered_set<std::string> m_oids;
    std::unordered_set<std::string> m_expanded;
};

enum class RootScope {
    worktree, // pointer files in the work tree and the git index
    history,  // ... and in every commit reachable from a branch or tag (the default for gc)
};

struct RootSource {
    const char* name;
    std::function<Status(Repository&, RootScope, Reachable&)> collect;
};
// The sources of the work tree itself (pointer files in the work tree, the git index and history).
// Features above this layer add theirs (pipeline::root_sources: lock files and run records); the
// CLI hands gc the whole list.
const std::vector<RootSource>& root_sources();

struct GcOptions {
    bool dry_run = false;
    RootScope scope = RootScope::history;
};
struct GcResult {
    std::uint64_t kept = 0;
    std::uint64_t removed = 0;
    std::uint64_t removed_bytes = 0;
    std::uint64_t temp_files_removed = 0;
};
Result<GcResult> gc(Repository& repo, const GcOptions& opts, const std::vector<RootSource>& sources);

struct FsckOptions {
    bool rebuild_index = false;
    bool progress = false;
};
struct FsckResult {
    std::uint64_t checked = 0;
    std::vector<std::string> corrupt;  // oids
    std::vector<std::string> missing;  // "path: oid" for work-tree references
    std::vector<std::string> temp_files;
    bool index_rebuilt = false;
    bool ok() const { return corrupt.empty() && missing.empty(); }
};
Result<FsckResult> fsck(Repository& repo, const FsckOptions& opts);

} // namespace mlops::workspace
