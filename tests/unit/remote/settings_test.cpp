#include <catch2/catch.hpp>

#include <cstdlib>

#include <mlops/remote/credentials.hpp>
#include <mlops/remote/settings.hpp>

#include "scratch.hpp"

using namespace mlops;

TEST_CASE("remote settings are checked, with a suggestion for typos", "[remote][settings]") {
    CHECK(remote::validate_setting("endpoint", "http://127.0.0.1:9000"));
    CHECK(remote::validate_setting("path_style", "true"));
    CHECK(remote::validate_setting("jobs", "16"));
    CHECK(remote::validate_setting("part_size", "8M"));
    CHECK_FALSE(remote::validate_setting("part_size", "1M"));
    CHECK_FALSE(remote::validate_setting("jobs", "0"));
    CHECK_FALSE(remote::validate_setting("path_style", "maybe"));
    CHECK_FALSE(remote::validate_setting("url", "s3://"));
    auto typo = remote::validate_setting("regoin", "x");
    REQUIRE_FALSE(typo);
    CHECK(typo.error().message.find("did you mean 'region'") != std::string::npos);
}

TEST_CASE("secrets are recognised by key", "[remote][settings]") {
    CHECK(remote::is_secret_key("remote.origin.secret_access_key"));
    CHECK(remote::is_secret_key("remote.origin.session_token"));
    CHECK_FALSE(remote::is_secret_key("remote.origin.access_key_id"));
    CHECK_FALSE(remote::is_secret_key("core.secret_access_key"));
}

TEST_CASE("sizes", "[remote][settings]") {
    CHECK(*remote::parse_size("64M") == 64ull << 20);
    CHECK(*remote::parse_size("8MiB") == 8ull << 20);
    CHECK(*remote::parse_size("1g") == 1ull << 30);
    CHECK(*remote::parse_size("1048576") == 1048576);
    CHECK_FALSE(remote::parse_size("lots"));
    CHECK_FALSE(remote::parse_size("5T"));
}

TEST_CASE("find_remote picks the default, the only one, or says what exists", "[remote][settings]") {
    test::Scratch s;
    s.write("config", "[remote \"a\"]\n\turl = /x\n[remote \"b\"]\n\turl = s3://bucket/p\n\tregion = eu-west-1\n");
    auto cfg = config::Config::load(s.path());
    REQUIRE(cfg);
    auto none = remote::find_remote(*cfg, "");
    REQUIRE_FALSE(none);
    CHECK(none.error().message.find("several remotes (a, b)") != std::string::npos);
    auto b = remote::find_remote(*cfg, "b");
    REQUIRE(b);
    CHECK(b->url.bucket == "bucket");
    CHECK(b->get("region") == "eu-west-1");
    auto missing = remote::find_remote(*cfg, "c");
    REQUIRE_FALSE(missing);
    CHECK(missing.error().kind == util::ErrorKind::usage);
    CHECK(missing.error().message.find("remote 'c' does not exist") != std::string::npos);
    s.write("config", "[core]\n\tremote = b\n[remote \"a\"]\n\turl = /x\n[remote \"b\"]\n\turl = s3://bucket/p\n");
    CHECK(remote::find_remote(*config::Config::load(s.path()), "")->name == "b");
}

TEST_CASE("credentials: remote settings, profile, environment, default profile", "[remote][credentials]") {
    test::Scratch s;
    s.write("credentials", "[default]\naws_access_key_id = DEFAULTID\naws_secret_access_key = defaultsecret\n"
                           "[profile team]\naws_access_key_id=TEAMID\naws_secret_access_key=teamsecret\n"
                           "aws_session_token = tok\n");
    ::setenv("AWS_SHARED_CREDENTIALS_FILE", (s / "credentials").c_str(), 1);
    ::unsetenv("AWS_ACCESS_KEY_ID");
    ::unsetenv("AWS_SECRET_ACCESS_KEY");
    ::unsetenv("AWS_PROFILE");
    auto d = remote::resolve_credentials({}, "r");
    REQUIRE(d);
    CHECK(d->access_key_id == "DEFAULTID");
    auto team = remote::resolve_credentials({"", "", "", "team"}, "r");
    REQUIRE(team);
    CHECK(team->session_token == "tok");
    ::setenv("AWS_ACCESS_KEY_ID", "ENVID", 1);
    ::setenv("AWS_SECRET_ACCESS_KEY", "envsecret", 1);
    CHECK(remote::resolve_credentials({}, "r")->access_key_id == "ENVID");
    CHECK(remote::resolve_credentials({"CFGID", "cfgsecret", "", ""}, "r")->access_key_id == "CFGID");
    auto half = remote::resolve_credentials({"CFGID", "", "", ""}, "r");
    REQUIRE_FALSE(half);
    CHECK(half.error().fault == remote::Fault::denied);
    ::unsetenv("AWS_ACCESS_KEY_ID");
    ::unsetenv("AWS_SECRET_ACCESS_KEY");
    auto bad = remote::resolve_credentials({"", "", "", "nope"}, "r");
    REQUIRE_FALSE(bad);
    CHECK(bad.error().message.find("profile 'nope'") != std::string::npos);
    CHECK(bad.error().message.find("secret") == std::string::npos);
    ::unsetenv("AWS_SHARED_CREDENTIALS_FILE");
}
