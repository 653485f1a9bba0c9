// Installing git hooks: each hook is a small shell script that calls `mlops hooks run NAME "$@"`,
// so the logic is in C++ (checks.hpp). A hook already in place is chained, not replaced: it is
// kept as `<hook>.mlops-chained` (the same inode, so its bytes and mode are untouched) and runs
// first; uninstalling renames it back. Every step leaves a complete hook under the hook's name.
#pragma once

#include <optional>
#include <span>
#include <string>
#include <string_view>
#include <vector>

#include <mlops/util/error.hpp>

namespace mlops::hooks {

using util::Result;
using util::Status;

enum class Hook { pre_commit, pre_push, post_checkout, post_merge };
std::span<const Hook> all_hooks();
const char* hook_name(Hook h); // "pre-commit", ...
std::optional<Hook> parse_hook(std::string_view name);

// The second line of every script mlops writes: how a hook is recognised as ours.
inline constexpr std::string_view k_marker = "# mlops-hook: ";
inline constexpr std::string_view k_chained_suffix = ".mlops-chained";

// The script for `h`. It runs `mlops` from PATH, else `fallback_binary` (the mlops that installed
// it), so a hook keeps working in a shell whose PATH lacks mlops.
std::string script_for(Hook h, const std::string& fallback_binary);

enum class HookState {
    absent,  // no file under the hook's name
    ours,    // a script mlops wrote
    foreign, // anything else (another tool's hook, a user's script)
};
Result<HookState> state_of(const std::string& hooks_dir, Hook h);

enum class InstallAction { installed, chained, updated, unchanged };
const char* action_name(InstallAction a);
struct Installed {
    Hook hook;
    InstallAction action;
    std::string path;    // the hook
    std::string chained; // where the hook that was there is kept ("" when none)
};
// Checks every hook first (a foreign hook whose `.mlops-chained` name is taken is a usage error
// naming both files) and changes nothing unless all can be installed. Running it twice changes
// nothing the second time. Creates `hooks_dir` when it is missing.
Result<std::vector<Installed>> install(const std::string& hooks_dir, std::span<const Hook> hooks,
                                       const std::string& fallback_binary);

enum class UninstallAction { removed, restored, not_installed };
const char* action_name(UninstallAction a);
struct Uninstalled {
    Hook hook;
    UninstallAction action;
    std::string path;
};
// Removes mlops's scripts and puts back, by rename, what was chained. A foreign hook is left alone
// (`not_installed`).
Result<std::vector<Uninstalled>> uninstall(const std::string& hooks_dir, std::span<const Hook> hooks);

} // namespace mlops::hooks
