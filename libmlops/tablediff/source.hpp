// The versions `mlops diff --rows` compares: a CSV file in the work tree, or as it was at a git
// revision: the object its pointer file named there (from the store, hash-verified), or, for a
// file committed to git itself, its blob (copied to a temporary file).
#pragma once

#include <optional>
#include <string>

#include <mlops/tablediff/tablediff.hpp>
#include <mlops/util/error.hpp>
#include <mlops/workspace/repository.hpp>

namespace mlops::tablediff {

struct Version {
    Side side;
    std::string temporary; // a file to remove afterwards (a git blob's copy), or empty
    Version() = default;
    Version(Version&&) noexcept;
    Version& operator=(Version&&) noexcept;
    ~Version();
};

// `rel` is repository-relative; `rev` nullopt means the work tree. `tmp_dir` receives blob copies.
util::Result<Version> version_at(workspace::Repository& repo, const std::string& rel, const std::optional<std::string>& rev,
                                 const std::string& tmp_dir);

} // namespace mlops::tablediff
