#include <catch2/catch.hpp>

#include <mlops/config/config.hpp>

#include "scratch.hpp"

using namespace mlops;

TEST_CASE("config files parse git-style sections and keys", "[config]") {
    auto f = config::ConfigFile::parse(
        "# comment\n[core]\n\tjobs = 4\n[remote \"origin\"]\n\turl = s3://bucket/p ; trailing\n"
        "\tquoted = \"a # b\"\n",
        "cfg");
    REQUIRE(f);
    CHECK(f->get("core.jobs").value() == "4");
    CHECK(f->get("remote.origin.url").value() == "s3://bucket/p");
    CHECK(f->get("remote.origin.quoted").value() == "a # b");
    CHECK_FALSE(f->get("core.missing"));
    auto entries = f->entries();
    REQUIRE(entries.size() == 3);
    CHECK(entries[1].first == "remote.origin.url");
}

TEST_CASE("config errors name file and line", "[config]") {
    auto r = config::ConfigFile::parse("[core]\njobs = 1\n[broken\n", "/x/config");
    REQUIRE_FALSE(r);
    CHECK(r.error().message.find("/x/config:3:") == 0);
    auto k = config::ConfigFile::parse("jobs = 1\n", "c");
    REQUIRE_FALSE(k);
    CHECK(k.error().message.find("c:1:") == 0);
}

TEST_CASE("set keeps comments and order; unset removes", "[config]") {
    auto f = config::ConfigFile::parse("# keep me\n[core]\n\tjobs = 1\n", "c").value();
    f.set("core.jobs", "8");
    f.set("cache.type", "hardlink");
    f.set("remote.my.remote.url", "/tmp/x"); // subsection with a dot
    CHECK(f.text() == "# keep me\n[core]\n\tjobs = 8\n[cache]\n\ttype = hardlink\n[remote \"my.remote\"]\n\turl = /tmp/x\n");
    auto again = config::ConfigFile::parse(f.text(), "c").value();
    CHECK(again.get("remote.my.remote.url").value() == "/tmp/x");
    CHECK(f.unset("core.jobs"));
    CHECK_FALSE(f.unset("core.jobs"));
    CHECK_FALSE(f.get("core.jobs"));
}

TEST_CASE("levels: local overrides repo overrides global", "[config]") {
    test::Scratch s;
    ::setenv("MLOPS_CONFIG_GLOBAL", (s / "global").c_str(), 1);
    s.write("global", "[core]\n\tjobs = 1\n\tprogress = false\n");
    s.write(".mlops/config", "[core]\n\tjobs = 2\n");
    s.write(".mlops/config.local", "[core]\n\tjobs = 3\n");
    auto c = config::Config::load(s / ".mlops");
    REQUIRE(c);
    CHECK(c->get("core.jobs").value() == "3");
    CHECK(c->get("core.progress").value() == "false");
    CHECK(c->origin("core.jobs") == s / ".mlops/config.local");
    CHECK(c->get_int("core.jobs", 0).value() == 3);
    ::unsetenv("MLOPS_CONFIG_GLOBAL");
}

TEST_CASE("validate knows the core and cache keys", "[config]") {
    CHECK(config::validate("core.jobs", "4"));
    CHECK_FALSE(config::validate("core.jobs", "four"));
    auto typo = config::validate("core.jbos", "4");
    REQUIRE_FALSE(typo);
    CHECK(typo.error().message.find("did you mean 'core.jobs'") != std::string::npos);
    CHECK(config::validate("cache.type", "reflink,copy"));
    CHECK_FALSE(config::validate("cache.type", "teleport"));
    CHECK(config::validate("remote.origin.url", "anything")); // other sections are free-form
    CHECK_FALSE(config::split_key("nodot"));
}
