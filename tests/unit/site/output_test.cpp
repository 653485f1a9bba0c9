#include <catch2/catch.hpp>

#include "scratch.hpp"

#include <mlops/site/output.hpp>

using namespace mlops;

TEST_CASE("site: the folder is written whole and replaced whole", "[site]") {
    test::Scratch s;
    site::Pages pages{{"index.html", "<p>one</p>"}, {"runs/a.html", "<p>a</p>"}, {"style.css", "x"}};
    auto w = site::write_site(s / "site", pages);
    REQUIRE(w);
    CHECK(w->pages == 2);
    CHECK(w->largest == "index.html");
    CHECK(s.read("site/runs/a.html") == "<p>a</p>");
    CHECK(s.sh("test -f site/.mlops-site") == 0);
    // Again with fewer pages: nothing of the old site is left, no temporary folder either.
    site::Pages again{{"index.html", "<p>two</p>"}};
    REQUIRE(site::write_site(s / "site", again));
    CHECK(s.read("site/index.html") == "<p>two</p>");
    CHECK(s.sh("test ! -e site/runs") == 0);
    CHECK(s.sh("test -z \"$(ls -A | grep -v '^site$')\"") == 0);
}

TEST_CASE("site: a temporary folder left by a process that died is removed", "[site]") {
    test::Scratch s;
    s.write(".site.tmp-999999999/index.html", "half"); // no such process
    REQUIRE(site::write_site(s / "site", {{"index.html", "x"}}));
    CHECK(s.sh("test ! -e .site.tmp-999999999") == 0);
    CHECK(s.read("site/index.html") == "x");
}

TEST_CASE("site: a folder that is not a site, or a missing parent, is refused and left alone", "[site]") {
    test::Scratch s;
    s.write("mine/notes.txt", "keep me");
    auto w = site::write_site(s / "mine", {{"index.html", "x"}});
    REQUIRE_FALSE(w);
    CHECK(w.error().kind == util::ErrorKind::usage);
    CHECK(w.error().message.find("not a site made by") != std::string::npos);
    CHECK(s.read("mine/notes.txt") == "keep me");
    auto m = site::write_site(s / "no/such/site", {{"index.html", "x"}});
    REQUIRE_FALSE(m);
    CHECK(m.error().message.find("does not exist") != std::string::npos);
    s.write("file", "x");
    CHECK_FALSE(site::write_site(s / "file", {{"index.html", "x"}}));
    CHECK(s.sh("test -z \"$(ls -A | grep -v -e '^mine$' -e '^file$')\"") == 0);
}
