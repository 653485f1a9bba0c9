#include <mlops/hooks/install.hpp>

#include <cerrno>
#include <unistd.h>

#include <mlops/util/fs.hpp>

namespace mlops::hooks {

using util::Error;
using util::fail;

namespace {

constexpr Hook k_all[] = {Hook::pre_commit, Hook::pre_push, Hook::post_checkout, Hook::post_merge};

// A value for a single-quoted shell word.
std::string shell_quote(const std::string& s) {
    std::string out = "'";
    for (char c : s) {
        if (c == '\'')
            out += "'\\''";
        else
            out += c;
    }
    return out + "'";
}

std::string path_of(const std::string& dir, Hook h) { return dir + "/" + hook_name(h); }
std::string chained_of(const std::string& dir, Hook h) { return path_of(dir, h) + std::string(k_chained_suffix); }

Result<bool> exists(const std::string& path) { return MLOPS_TRY(util::stat_path(path)).has_value(); }

} // namespace

std::span<const Hook> all_hooks() { return k_all; }

const char* hook_name(Hook h) {
    switch (h) {
    case Hook::pre_commit: return "pre-commit";
    case Hook::pre_push: return "pre-push";
    case Hook::post_checkout: return "post-checkout";
    case Hook::post_merge: return "post-merge";
    }
    return "?";
}

std::optional<Hook> parse_hook(std::string_view name) {
    for (Hook h : k_all)
        if (name == hook_name(h)) return h;
    return std::nullopt;
}

const char* action_name(InstallAction a) {
    switch (a) {
    case InstallAction::installed: return "installed";
    case InstallAction::chained: return "chained";
    case InstallAction::updated: return "updated";
    case InstallAction::unchanged: return "unchanged";
    }
    return "?";
}

const char* action_name(UninstallAction a) {
    switch (a) {
    case UninstallAction::removed: return "removed";
    case UninstallAction::restored: return "restored";
    case UninstallAction::not_installed: return "not_installed";
    }
    return "?";
}

std::string script_for(Hook h, const std::string& fallback_binary) {
    std::string name = hook_name(h);
    std::string s = "#!/bin/sh\n";
    s += std::string(k_marker) + name + "\n";
    s += "# Written by `mlops hooks install`; `mlops hooks uninstall` removes it and puts back the hook\n"
         "# that was here before, kept meanwhile as " + name + std::string(k_chained_suffix) + " and run first.\n";
    s += "mlops=$(command -v mlops 2>/dev/null) || mlops=" + shell_quote(fallback_binary) + "\n";
    s += "if [ ! -x \"$mlops\" ]; then\n"
         "    echo \"mlops " + name + " hook: mlops is not on PATH (nor at $mlops); install it, or skip the hook with --no-verify\" >&2\n"
         "    exit 2\n"
         "fi\n";
    s += "chained=\"$0" + std::string(k_chained_suffix) + "\"\n";
    switch (h) {
    case Hook::pre_commit:
        // A refusing hook stops the commit: the chained one first, then ours.
        s += "if [ -x \"$chained\" ]; then \"$chained\" \"$@\" || exit $?; fi\n";
        s += "exec \"$mlops\" hooks run " + name + " \"$@\"\n";
        break;
    case Hook::pre_push:
        // git writes the refs being pushed on stdin: both hooks read the same lines.
        s += "if [ -x \"$chained\" ]; then\n"
             "    input=$(mktemp) || exit 1\n"
             "    trap 'rm -f \"$input\"' EXIT\n"
             "    cat > \"$input\"\n"
             "    \"$chained\" \"$@\" < \"$input\" || exit $?\n"
             "    \"$mlops\" hooks run " + name + " \"$@\" < \"$input\"\n"
             "    exit $?\n"
             "fi\n";
        s += "exec \"$mlops\" hooks run " + name + " \"$@\"\n";
        break;
    case Hook::post_checkout:
    case Hook::post_merge:
        // Nothing can be refused after the fact: both run, and a failure of either is reported.
        s += "status=0\n"
             "if [ -x \"$chained\" ]; then \"$chained\" \"$@\" || status=$?; fi\n";
        s += "\"$mlops\" hooks run " + name + " \"$@\" || status=$?\n";
        s += "exit $status\n";
        break;
    }
    return s;
}

Result<HookState> state_of(const std::string& hooks_dir, Hook h) {
    std::string path = path_of(hooks_dir, h);
    auto st = MLOPS_TRY(util::stat_path(path));
    if (!st) return HookState::absent;
    if (!st->is_regular) return HookState::foreign; // a symlink (husky and friends) is someone else's
    auto text = MLOPS_TRY(util::read_file(path));
    auto nl = text.find('\n');
    if (nl == std::string::npos) return HookState::foreign;
    return std::string_view(text).substr(nl + 1).starts_with(k_marker) ? HookState::ours : HookState::foreign;
}

Result<std::vector<Installed>> install(const std::string& hooks_dir, std::span<const Hook> hooks,
                                       const std::string& fallback_binary) {
    MLOPS_TRYV(util::make_dirs(hooks_dir));
    // Plan everything before changing anything.
    std::vector<HookState> states;
    for (Hook h : hooks) {
        auto state = MLOPS_TRY(state_of(hooks_dir, h));
        if (state == HookState::foreign && MLOPS_TRY(exists(chained_of(hooks_dir, h))))
            return fail(Error::usage(fmt::format(
                "{}: a hook is there and {} is taken too, so it cannot be chained; move one of them away", path_of(hooks_dir, h),
                chained_of(hooks_dir, h))));
        states.push_back(state);
    }
    std::vector<Installed> out;
    for (std::size_t i = 0; i < hooks.size(); ++i) {
        Hook h = hooks[i];
        std::string path = path_of(hooks_dir, h), chained = chained_of(hooks_dir, h);
        std::string script = script_for(h, fallback_binary);
        Installed r{h, InstallAction::installed, path, ""};
        switch (states[i]) {
        case HookState::ours:
            if (MLOPS_TRY(util::read_file(path)) == script) {
                r.action = InstallAction::unchanged;
                break;
            }
            r.action = InstallAction::updated;
            MLOPS_TRYV(util::write_file_atomic(path, script, util::Durability::fsync, 0755));
            break;
        case HookState::absent:
            MLOPS_TRYV(util::write_file_atomic(path, script, util::Durability::fsync, 0755));
            break;
        case HookState::foreign: {
            // New script under a temporary name, the old hook's inode linked as the chained one,
            // then the rename: at every moment the hook's name holds a complete hook.
            r.action = InstallAction::chained;
            std::string tmp = util::temp_name_in(hooks_dir);
            MLOPS_TRYV(util::write_file_atomic(tmp, script, util::Durability::fsync, 0755));
            if (::link(path.c_str(), chained.c_str()) != 0) {
                int e = errno;
                ::unlink(tmp.c_str());
                return fail(Error::from_errno(fmt::format("cannot keep {} as {}", path, chained), e));
            }
            if (::rename(tmp.c_str(), path.c_str()) != 0) {
                int e = errno;
                ::unlink(tmp.c_str());
                ::unlink(chained.c_str());
                return fail(Error::from_errno(fmt::format("cannot write {}", path), e));
            }
            MLOPS_TRYV(util::fsync_dir(hooks_dir));
            break;
        }
        }
        if (MLOPS_TRY(exists(chained))) r.chained = chained;
        out.push_back(std::move(r));
    }
    return out;
}

Result<std::vector<Uninstalled>> uninstall(const std::string& hooks_dir, std::span<const Hook> hooks) {
    std::vector<Uninstalled> out;
    for (Hook h : hooks) {
        std::string path = path_of(hooks_dir, h), chained = chained_of(hooks_dir, h);
        Uninstalled r{h, UninstallAction::not_installed, path};
        if (MLOPS_TRY(state_of(hooks_dir, h)) == HookState::ours) {
            if (MLOPS_TRY(exists(chained))) {
                // One rename: the name goes straight from our script to the original hook.
                if (::rename(chained.c_str(), path.c_str()) != 0)
                    return fail(Error::from_errno(fmt::format("cannot restore {} from {}", path, chained), errno));
                r.action = UninstallAction::restored;
            } else {
                if (::unlink(path.c_str()) != 0) return fail(Error::from_errno(fmt::format("cannot remove {}", path), errno));
                r.action = UninstallAction::removed;
            }
            if (util::stat_path(hooks_dir)) MLOPS_TRYV(util::fsync_dir(hooks_dir));
        }
        out.push_back(std::move(r));
    }
    return out;
}

} // namespace mlops::hooks
