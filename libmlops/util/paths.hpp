// Path handling: user paths become normalized paths relative to the work tree root, and nothing
// may leave the work tree (through "..", an absolute path or a symlink).
#pragma once

#include <string>
#include <string_view>

#include <mlops/util/error.hpp>

namespace mlops::util {

// Lexically normalizes an absolute or relative path: removes ".", empty components and resolves
// ".." against preceding components ("a/../b" -> "b"). A leading ".." that cannot be resolved
// is kept.
std::string normalize_path(std::string_view path);

// Joins with a single slash; an empty side returns the other.
std::string join_path(std::string_view a, std::string_view b);

// `user_path` (as typed, relative to `cwd`) as a path relative to `root`, both absolute and
// normalized. Errors name the path when it is outside the work tree or goes through a symlinked
// folder.
Result<std::string> to_repo_relative(const std::string& root, const std::string& cwd,
                                     std::string_view user_path);

// True when the canonical (symlink-resolved) location of `rel` stays inside `root`.
Result<bool> resolves_inside(const std::string& root, const std::string& rel);

std::string parent_path(std::string_view path);
std::string file_name(std::string_view path);

// Current working directory (absolute).
std::string current_dir();

} // namespace mlops::util
