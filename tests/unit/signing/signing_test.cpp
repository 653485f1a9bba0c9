#include <catch2/catch.hpp>

#include <mlops/signing/signing.hpp>
#include <mlops/util/ed25519.hpp>

#include "scratch.hpp"

using namespace mlops;

TEST_CASE("signing: sign a folder, verify it, detect tampering", "[signing]") {
    test::Scratch s;
    s.write("m/model.pt", "weights");
    s.write("m/manifest.json", "{}");
    s.write("m/sub/extra.txt", "x");
    auto keys = util::ed25519_generate();
    REQUIRE(keys);
    auto other = util::ed25519_generate();
    REQUIRE(other);
    auto sig = signing::sign_folder(s / "m", keys->private_pem, "k.pem");
    REQUIRE(sig);
    CHECK(sig->files.entries.size() == 3);
    CHECK(sig->files.entries[2].path == "sub/extra.txt");
    CHECK(signing::verify_folder(*sig, s / "m", keys->public_pem, "k.pub.pem"));

    // The signature survives a round trip through its JSON form.
    auto back = signing::parse(signing::serialize(*sig), "sig");
    REQUIRE(back);
    CHECK(signing::verify_folder(*back, s / "m", keys->public_pem, "k.pub.pem"));

    auto wrong_key = signing::verify_folder(*sig, s / "m", other->public_pem, "o.pub.pem");
    REQUIRE_FALSE(wrong_key);
    CHECK(wrong_key.error().kind == util::ErrorKind::integrity);

    s.write("m/model.pt", "weightz");
    auto changed = signing::verify_folder(*sig, s / "m", keys->public_pem, "k.pub.pem");
    REQUIRE_FALSE(changed);
    CHECK(changed.error().message.find("model.pt: does not match the signed manifest") != std::string::npos);
    s.write("m/model.pt", "weights");
    s.write("m/new.txt", "n");
    auto added = signing::verify_folder(*sig, s / "m", keys->public_pem, "k.pub.pem");
    REQUIRE_FALSE(added);
    CHECK(added.error().message.find("new.txt: not in the signed manifest") != std::string::npos);
    REQUIRE(s.sh("rm new.txt 2>/dev/null; rm m/new.txt m/sub/extra.txt") == 0);
    auto missing = signing::verify_folder(*sig, s / "m", keys->public_pem, "k.pub.pem");
    REQUIRE_FALSE(missing);
    CHECK(missing.error().message.find("sub/extra.txt: missing") != std::string::npos);

    // A manifest altered to match altered files no longer verifies.
    s.write("m/sub/extra.txt", "y");
    auto forged = *sig;
    forged.files = signing::digest_folder(s / "m").value();
    auto f = signing::verify_folder(forged, s / "m", keys->public_pem, "k.pub.pem");
    REQUIRE_FALSE(f);
    CHECK(f.error().message.find("does not verify") != std::string::npos);
}

TEST_CASE("signing: keys are read back and ids are stable", "[signing]") {
    auto keys = util::ed25519_generate();
    REQUIRE(keys);
    CHECK(keys->private_pem.starts_with("-----BEGIN PRIVATE KEY-----"));
    CHECK(keys->public_pem.starts_with("-----BEGIN PUBLIC KEY-----"));
    CHECK(util::ed25519_public_from_private(keys->private_pem, "k").value() == keys->public_pem);
    CHECK(util::ed25519_key_id(keys->public_pem, "k").value().size() == 64);
    auto bad = util::ed25519_key_id("not a key", "x.pem");
    REQUIRE_FALSE(bad);
    CHECK(bad.error().message == "x.pem: not a PEM public key");
    auto sig = util::ed25519_sign(keys->private_pem, "hello", "k");
    REQUIRE(sig);
    CHECK(util::ed25519_verify(keys->public_pem, "hello", *sig, "k").value());
    CHECK_FALSE(util::ed25519_verify(keys->public_pem, "hellO", *sig, "k").value());
    CHECK_FALSE(util::ed25519_verify(keys->public_pem, "hello", "AAAA", "k").value());
}
