#include <catch2/catch.hpp>

#include <mlops/util/paths.hpp>
#include <mlops/util/strings.hpp>

#include "scratch.hpp"

using namespace mlops;

TEST_CASE("normalize_path", "[paths]") {
    CHECK(util::normalize_path("a/./b//c/") == "a/b/c");
    CHECK(util::normalize_path("a/../b") == "b");
    CHECK(util::normalize_path("../a") == "../a");
    CHECK(util::normalize_path("/x/../../y") == "/y");
    CHECK(util::normalize_path(".") == ".");
}

TEST_CASE("to_repo_relative keeps paths inside the work tree", "[paths]") {
    CHECK(util::to_repo_relative("/r", "/r", "data").value() == "data");
    CHECK(util::to_repo_relative("/r", "/r/sub", "../data/x").value() == "data/x");
    CHECK(util::to_repo_relative("/r", "/r", "/r/a/b").value() == "a/b");
    CHECK(util::to_repo_relative("/r", "/r", ".").value() == ".");
    auto out = util::to_repo_relative("/r", "/r", "../elsewhere");
    REQUIRE_FALSE(out);
    CHECK(out.error().message.find("outside the work tree") != std::string::npos);
    CHECK_FALSE(util::to_repo_relative("/r", "/r", "/rx/file"));
    CHECK_FALSE(util::to_repo_relative("/r", "/r", ".git/config"));
    CHECK_FALSE(util::to_repo_relative("/r", "/r", ".mlops/objects"));
}

TEST_CASE("resolves_inside follows symlinks", "[paths]") {
    test::Scratch s;
    s.write("repo/file", "x");
    s.write("outside", "y");
    REQUIRE(s.sh("ln -s ../outside repo/out && ln -s file repo/in") == 0);
    CHECK(util::resolves_inside(s / "repo", "in").value());
    CHECK_FALSE(util::resolves_inside(s / "repo", "out").value());
}

TEST_CASE("string helpers", "[strings]") {
    CHECK(util::trim("  a b \n") == "a b");
    CHECK(util::split("a,b,,c", ',').size() == 4);
    CHECK(util::split_lines("a\r\nb\n").size() == 2);
    CHECK(util::edit_distance("kitten", "sitting") == 3);
    CHECK(util::closest_match("oidd", {"oid", "size", "kind"}) == "oid");
    CHECK(util::closest_match("zzzzzz", {"oid", "size"}).empty());
}
