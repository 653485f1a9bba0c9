// A tracked directory as an object: a canonical, sorted list of (path, mode, size, oid).
// Text form, one entry per line after a header:  "<oid> <mode> <size>\t<path>\n"
// where mode is "644", "755" or "link" (a symlink inside the tree; its blob is the link target).
#pragma once

#include <cstdint>
#include <string>
#include <string_view>
#include <vector>

#include <mlops/util/error.hpp>

namespace mlops::store {

enum class EntryMode { file, executable, symlink };

struct TreeEntry {
    std::string path; // relative to the tracked directory, '/'-separated
    EntryMode mode = EntryMode::file;
    std::uint64_t size = 0;
    std::string oid;
    bool operator==(const TreeEntry&) const = default;
};

struct Tree {
    std::vector<TreeEntry> entries; // sorted by path (bytewise)

    void sort();
    std::string serialize() const; // requires sorted entries
    static util::Result<Tree> parse(std::string_view text, std::string_view oid);
    std::uint64_t total_size() const;
    const TreeEntry* find(std::string_view path) const;
};

const char* mode_name(EntryMode m);
// A relative path with no empty, "." or ".." component and no newline: safe to join to a root.
bool is_safe_relative_path(std::string_view path);

} // namespace mlops::store
