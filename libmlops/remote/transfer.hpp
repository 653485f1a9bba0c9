// push, fetch and "what does the remote lack": everything reachable from a set of roots travels,
// and only what the other side lacks. A root is an object (a blob, or a tree whose entries come
// along); pointer files give the work tree's roots, and later features (run records, registry
// entries) hand in their own.
//
// Order keeps both sides consistent after a crash at any point: a push sends blobs, then the trees
// that list them; a fetch brings trees first (to learn their entries), and every downloaded object
// is hash-verified before it is published into the store (WriteBatch: one syncfs, then renames).
#pragma once

#include <cstdint>
#include <optional>
#include <string>
#include <vector>

#include <mlops/remote/registry.hpp>
#include <mlops/workspace/repository.hpp>

namespace mlops::util {
class Progress;
}

namespace mlops::remote {

struct Root {
    std::string oid;
    bool tree = false;
    std::string where; // names the root in messages ("data", "run 1f3a...")
    std::string sub;   // for a tree: only the entries under this folder ("" = all)
};

// A user path resolved against the pointer files: the tracked path, and the part of a tracked
// folder it names ("" when it is the tracked path itself).
struct Selection {
    std::string tracked;
    std::string sub;
};
// `paths` are repository-relative; empty: every tracked path. Errors (usage) name the path.
Result<std::vector<Selection>> select_paths(workspace::Repository& repo, const std::vector<std::string>& paths);
Result<std::vector<Root>> roots_for(workspace::Repository& repo, const std::vector<Selection>& sel);

struct Count {
    std::uint64_t objects = 0;
    std::uint64_t bytes = 0;
};

struct TransferStats {
    Count transferred; // sent (push) or received (fetch)
    Count skipped;     // already on the other side
    Count failed;
    std::vector<std::string> failures; // one line each: "data/a.csv (oid): why"
    // The error to exit with when something failed (kind decides the exit code).
    std::optional<util::Error> error;
};

struct TransferOptions {
    bool progress = false;
    // Push: ask the remote about every object, even those an earlier transfer recorded as there.
    bool recheck = false;
};

// A push asks the remote only about objects that no earlier push or fetch with this remote
// recorded as present (`.mlops/tmp/known-<hash of the remote's location>`, one oid per line, a cache
// that is safe to lose). Content-addressed remotes only grow, so a second push with nothing new costs
// no request; `recheck` ignores the record (use it after objects were deleted on the remote).
// Folder remotes are always asked: a lookup there costs no round trip.
//
// Push: fatal errors (credentials, bucket, server down after retries) come back as an error naming
// the remote; per-object problems (a local object missing or corrupt) are counted in `failed`.
Result<TransferStats> push(workspace::Repository& repo, OpenedRemote& remote, const std::vector<Root>& roots,
                           const TransferOptions& opts);
// Fetch: per-object problems (the remote lacks it, its content does not match its name) are
// counted in `failed` and such objects are never stored.
Result<TransferStats> fetch(workspace::Repository& repo, OpenedRemote& remote, const std::vector<Root>& roots,
                            const TransferOptions& opts);

struct RootReport {
    std::string where;
    std::uint64_t objects = 0;
    std::uint64_t bytes = 0;
    std::uint64_t missing_on_remote = 0;
    std::uint64_t missing_bytes = 0;
    std::uint64_t missing_locally = 0; // neither side has it (or the tree is unknown here)
    std::vector<std::string> missing; // "path\toid" of objects the remote lacks
};
// What each root's objects look like on the remote.
Result<std::vector<RootReport>> remote_status(workspace::Repository& repo, OpenedRemote& remote,
                                              const std::vector<Root>& roots);

// Writes the entries of tracked folder `tracked` under `sub` into the work tree (a partial pull);
// refuses to overwrite content that is not in the store unless `force`.
struct PartialCheckout {
    std::uint64_t written = 0;
    std::uint64_t unchanged = 0;
};
Result<PartialCheckout> checkout_part(workspace::Repository& repo, const Selection& sel, bool force);

} // namespace mlops::remote
