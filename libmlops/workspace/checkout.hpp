// mlops checkout: make the work tree match the pointer files. Objects are verified as they are
// read; local changes (content that is not in the store) are never overwritten without --force.
#pragma once

#include <string>
#include <vector>

#include <mlops/workspace/repository.hpp>
#include <mlops/workspace/status.hpp>

namespace mlops::workspace {

enum class Force { no, yes };

struct CheckoutOptions {
    std::vector<std::string> paths; // repository-relative; empty: everything tracked
    Force force = Force::no;
    bool progress = false;
};

struct CheckoutResult {
    std::string path;
    std::uint64_t written = 0;
    std::uint64_t removed = 0;
    bool unchanged = false;
};

Result<std::vector<CheckoutResult>> checkout(Repository& repo, const CheckoutOptions& opts);

// The tree (or single-entry list) a pointer names, read from the store and verified.
Result<store::Tree> target_tree(Repository& repo, const Pointer& p, const std::string& path);

} // namespace mlops::workspace
