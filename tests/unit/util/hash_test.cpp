#include <catch2/catch.hpp>

#include <mlops/util/hash.hpp>

#include "scratch.hpp"

using namespace mlops;

TEST_CASE("sha256 of known vectors", "[hash]") {
    CHECK(util::sha256_hex("") == "e3b0c44298fc1c149afbf4c8996fb92427ae41e4649b934ca495991b7852b855");
    CHECK(util::sha256_hex("abc") == "ba7816bf8f01cfea414140de5dae2223b00361a396177a9cb410ff61f20015ad");
    util::Sha256 h;
    h.update("ab");
    h.update("c");
    CHECK(h.finish().hex() == util::sha256_hex("abc"));
    // finish() resets the context for reuse
    CHECK(h.finish().hex() == util::sha256_hex(""));
}

TEST_CASE("sha256_file streams large files and names missing ones", "[hash]") {
    test::Scratch s;
    std::string big(3 * 1024 * 1024 + 17, 'x');
    s.write("big", big);
    auto r = util::sha256_file(s / "big");
    REQUIRE(r);
    CHECK(*r == util::sha256_hex(big));
    auto missing = util::sha256_file(s / "nope");
    REQUIRE_FALSE(missing);
    CHECK(missing.error().message.find("nope") != std::string::npos);
}

TEST_CASE("is_oid accepts exactly 64 lowercase hex digits", "[hash]") {
    CHECK(util::is_oid(std::string(64, 'a')));
    CHECK_FALSE(util::is_oid(std::string(63, 'a')));
    CHECK_FALSE(util::is_oid(std::string(64, 'A')));
    CHECK_FALSE(util::is_oid(std::string(63, 'a') + "g"));
}
