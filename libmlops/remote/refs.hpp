// Listed objects: records (run records, model registry entries and events) are objects that no
// pointer file names, so a clone could not find them on a remote by following references. A remote
// therefore lists them as empty keys "refs/<kind>/<oid>", each written only after its object is
// there; a fetch lists the kind and downloads the objects it lacks. Keys only grow, like objects.
#pragma once

#include <string>
#include <string_view>
#include <unordered_set>
#include <vector>

#include <mlops/remote/registry.hpp>
#include <mlops/workspace/repository.hpp>

namespace mlops::remote {

// The oids listed under refs/<kind>/ (malformed keys are ignored).
Result<std::unordered_set<std::string>> list_refs(OpenedRemote& remote, std::string_view kind);
// Lists every oid of `oids` that the remote does not list yet; returns how many were written. What
// is known to be listed is remembered in `.mlops/tmp/listed-<hash of the location>-<kind>` (a cache,
// safe to lose), so a push with nothing new asks nothing (folder remotes are always listed: it costs
// no round trip).
Result<std::size_t> publish_refs(workspace::Repository& repo, OpenedRemote& remote, std::string_view kind,
                                 const std::vector<std::string>& oids);

} // namespace mlops::remote
