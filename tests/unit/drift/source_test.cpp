#include <catch2/catch.hpp>

#include <mlops/drift/source.hpp>

using namespace mlops;

TEST_CASE("drift.source: how an input is read", "[drift]") {
    using K = drift::InputSpec::Kind;
    CHECK(drift::parse_input("data.csv", true).kind == K::file);
    CHECK(drift::parse_input("a@b.csv", true).kind == K::file); // an existing file wins
    auto r = drift::parse_input("data/train.csv@HEAD~3", false);
    CHECK(r.kind == K::revision);
    CHECK(r.path == "data/train.csv");
    CHECK(r.rev == "HEAD~3");
    auto o = drift::parse_input("3fa9c0", false);
    CHECK(o.kind == K::object);
    CHECK(o.oid == "3fa9c0");
    CHECK(drift::parse_input("abc", false).kind == K::file);      // too short for an id
    CHECK(drift::parse_input("missing.csv", false).kind == K::file); // the caller says "no such file"
    CHECK(drift::parse_input("@HEAD", false).kind == K::file);
}
