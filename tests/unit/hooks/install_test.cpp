#include <catch2/catch.hpp>

#include <sys/stat.h>

#include <mlops/hooks/install.hpp>

#include "scratch.hpp"

using namespace mlops;

namespace {
unsigned mode_of(const std::string& path) {
    struct stat st;
    REQUIRE(::stat(path.c_str(), &st) == 0);
    return st.st_mode & 07777;
}
bool exists(const std::string& path) {
    struct stat st;
    return ::lstat(path.c_str(), &st) == 0;
}
} // namespace

TEST_CASE("hook names round-trip", "[hooks]") {
    for (auto h : hooks::all_hooks()) CHECK(hooks::parse_hook(hooks::hook_name(h)) == h);
    CHECK_FALSE(hooks::parse_hook("pre-rebase"));
    CHECK(hooks::all_hooks().size() == 4);
}

TEST_CASE("scripts call mlops hooks run and are recognised as ours", "[hooks]") {
    test::Scratch s;
    auto script = hooks::script_for(hooks::Hook::pre_push, "/opt/it's/mlops");
    CHECK(script.starts_with("#!/bin/sh\n# mlops-hook: pre-push\n"));
    CHECK(script.find("hooks run pre-push \"$@\"") != std::string::npos);
    CHECK(script.find("'/opt/it'\\''s/mlops'") != std::string::npos); // quoted for sh
    s.write("hooks/pre-push", script);
    CHECK(hooks::state_of(s / "hooks", hooks::Hook::pre_push).value() == hooks::HookState::ours);
    CHECK(hooks::state_of(s / "hooks", hooks::Hook::pre_commit).value() == hooks::HookState::absent);
    s.write("hooks/pre-commit", "#!/bin/sh\n# mlops-hook: pre-commit\n");
    CHECK(hooks::state_of(s / "hooks", hooks::Hook::pre_commit).value() == hooks::HookState::ours);
    s.write("hooks/pre-commit", "#!/bin/sh\necho hi\n# mlops-hook: pre-commit\n");
    CHECK(hooks::state_of(s / "hooks", hooks::Hook::pre_commit).value() == hooks::HookState::foreign);
}

TEST_CASE("install chains a hook already there; uninstall restores it byte for byte", "[hooks]") {
    test::Scratch s;
    std::string dir = s / "git/hooks"; // created by install
    std::string user = "#!/bin/sh\necho user hook \"$@\"\n";
    s.write("git/hooks/pre-commit", user);
    REQUIRE(::chmod((dir + "/pre-commit").c_str(), 0750) == 0);
    struct stat before;
    REQUIRE(::stat((dir + "/pre-commit").c_str(), &before) == 0);

    auto done = hooks::install(dir, hooks::all_hooks(), "/usr/bin/mlops");
    REQUIRE(done);
    REQUIRE(done->size() == 4);
    CHECK((*done)[0].action == hooks::InstallAction::chained);
    CHECK((*done)[0].chained == dir + "/pre-commit.mlops-chained");
    CHECK((*done)[1].action == hooks::InstallAction::installed);
    CHECK((*done)[1].chained.empty());
    CHECK(s.read("git/hooks/pre-commit.mlops-chained") == user);
    CHECK(mode_of(dir + "/pre-commit.mlops-chained") == 0750);
    CHECK((mode_of(dir + "/pre-push") & 0100) != 0);
    CHECK(s.read("git/hooks/pre-commit") == hooks::script_for(hooks::Hook::pre_commit, "/usr/bin/mlops"));

    // Idempotent: a second install changes nothing, and does not chain our own script.
    auto again = hooks::install(dir, hooks::all_hooks(), "/usr/bin/mlops");
    REQUIRE(again);
    for (const auto& r : *again) CHECK(r.action == hooks::InstallAction::unchanged);
    CHECK(s.read("git/hooks/pre-commit.mlops-chained") == user);
    // Another binary path: the script is updated in place.
    auto moved = hooks::install(dir, std::vector{hooks::Hook::pre_push}, "/other/mlops");
    REQUIRE(moved);
    CHECK(moved->front().action == hooks::InstallAction::updated);

    auto gone = hooks::uninstall(dir, hooks::all_hooks());
    REQUIRE(gone);
    CHECK((*gone)[0].action == hooks::UninstallAction::restored);
    CHECK((*gone)[1].action == hooks::UninstallAction::removed);
    CHECK(s.read("git/hooks/pre-commit") == user);
    struct stat after;
    REQUIRE(::stat((dir + "/pre-commit").c_str(), &after) == 0);
    CHECK(after.st_ino == before.st_ino); // the very file, not a copy
    CHECK(mode_of(dir + "/pre-commit") == 0750);
    CHECK_FALSE(exists(dir + "/pre-commit.mlops-chained"));
    CHECK_FALSE(exists(dir + "/pre-push"));
    CHECK_FALSE(exists(dir + "/post-merge"));
    // Nothing of ours left: a second uninstall touches nothing.
    auto twice = hooks::uninstall(dir, hooks::all_hooks());
    REQUIRE(twice);
    for (const auto& r : *twice) CHECK(r.action == hooks::UninstallAction::not_installed);
    CHECK(s.read("git/hooks/pre-commit") == user);
}

TEST_CASE("install refuses, changing nothing, when a chained name is taken", "[hooks]") {
    test::Scratch s;
    s.write("hooks/post-merge", "#!/bin/sh\necho mine\n");
    s.write("hooks/post-merge.mlops-chained", "#!/bin/sh\necho older\n");
    auto r = hooks::install(s / "hooks", hooks::all_hooks(), "/usr/bin/mlops");
    REQUIRE_FALSE(r);
    CHECK(r.error().kind == util::ErrorKind::usage);
    CHECK(r.error().message.find("post-merge.mlops-chained") != std::string::npos);
    CHECK_FALSE(exists(s / "hooks/pre-commit")); // the checks come before any write
    CHECK(s.read("hooks/post-merge") == "#!/bin/sh\necho mine\n");
}

TEST_CASE("a symlinked hook is chained as the link itself", "[hooks]") {
    test::Scratch s;
    s.write("elsewhere/hook.sh", "#!/bin/sh\nexit 0\n");
    s.write("hooks/.keep", "");
    REQUIRE(::symlink("../elsewhere/hook.sh", (s / "hooks/pre-commit").c_str()) == 0);
    REQUIRE(hooks::install(s / "hooks", std::vector{hooks::Hook::pre_commit}, "mlops"));
    struct stat st;
    REQUIRE(::lstat((s / "hooks/pre-commit.mlops-chained").c_str(), &st) == 0);
    CHECK(S_ISLNK(st.st_mode));
    REQUIRE(hooks::uninstall(s / "hooks", std::vector{hooks::Hook::pre_commit}));
    REQUIRE(::lstat((s / "hooks/pre-commit").c_str(), &st) == 0);
    CHECK(S_ISLNK(st.st_mode));
}
