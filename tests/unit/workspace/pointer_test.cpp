#include <catch2/catch.hpp>

#include <mlops/workspace/pointer.hpp>

using namespace mlops;

TEST_CASE("pointers round-trip", "[pointer]") {
    workspace::Pointer p{1, workspace::Kind::dir, std::string(64, 'e'), 1234, 17};
    auto back = workspace::Pointer::parse(p.serialize(), "data.mlops");
    REQUIRE(back);
    CHECK(*back == p);
}

TEST_CASE("pointer errors name file, line and column", "[pointer]") {
    auto bad_yaml = workspace::Pointer::parse("version: 1\nkind: [file\n", "data.mlops");
    REQUIRE_FALSE(bad_yaml);
    CHECK(bad_yaml.error().message.find("data.mlops:") == 0);
    CHECK(bad_yaml.error().message.find("invalid YAML") != std::string::npos);
    std::string oid(64, 'f');
    auto typo = workspace::Pointer::parse("version: 1\nkind: file\noidd: " + oid + "\nsize: 1\n", "p.mlops");
    REQUIRE_FALSE(typo);
    CHECK(typo.error().message.find("p.mlops:3:1: unknown key 'oidd' (did you mean 'oid'?)") == 0);
    auto kind = workspace::Pointer::parse("version: 1\nkind: blob\noid: " + oid + "\nsize: 1\n", "p.mlops");
    REQUIRE_FALSE(kind);
    CHECK(kind.error().message.find("p.mlops:2:7: kind must be file or dir") == 0);
    auto missing = workspace::Pointer::parse("version: 1\nkind: file\nsize: 1\n", "p.mlops");
    REQUIRE_FALSE(missing);
    CHECK(missing.error().message.find("missing key 'oid'") != std::string::npos);
    auto version = workspace::Pointer::parse("version: 7\nkind: file\noid: " + oid + "\nsize: 1\n", "p.mlops");
    REQUIRE_FALSE(version);
    CHECK(version.error().message.find("not supported") != std::string::npos);
}

TEST_CASE("pointer paths", "[pointer]") {
    CHECK(workspace::pointer_path_for("data/x") == "data/x.mlops");
    CHECK(workspace::data_path_for("data/x.mlops").value() == "data/x");
    CHECK_FALSE(workspace::data_path_for(".mlops"));
    CHECK_FALSE(workspace::data_path_for("x.csv"));
}
