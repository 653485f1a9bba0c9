// Where a drift input comes from: a CSV file, a tracked path at a git revision
// (`data/train.csv@HEAD~3`: its pointer file read from that commit through libgit2, the object from
// the store, hash-verified), or an object id (full or a unique prefix).
#pragma once

#include <optional>
#include <string>

#include <mlops/util/error.hpp>
#include <mlops/workspace/repository.hpp>

namespace mlops::drift {

struct Input {
    std::string label; // as the user typed it
    std::string path;  // the file to read
};

struct InputSpec {
    enum class Kind { file, revision, object } kind = Kind::file;
    std::string path; // file, revision: the path as typed
    std::string rev;  // revision
    std::string oid;  // object: a hex prefix
};

// `exists` says whether the text names an existing file (that wins over the other readings).
InputSpec parse_input(const std::string& text, bool exists);

// The object a tracked path (repository-relative) had at a revision; `label` names it in errors.
util::Result<Input> tracked_at(workspace::Repository& repo, const std::string& rel_path, const std::string& rev,
                               const std::string& label);
// The blob object with this id or unique id prefix.
util::Result<Input> object_input(workspace::Repository& repo, const std::string& prefix, const std::string& label);

} // namespace mlops::drift
