#include <catch2/catch.hpp>

#include <mlops/ml/bundle.hpp>
#include <mlops/util/fs.hpp>
#include <mlops/util/hash.hpp>

#include "scratch.hpp"

using namespace mlops;

namespace {
// A bundle folder with a manifest listing model.pt.
void make_bundle(const test::Scratch& s, const std::string& dir) {
    s.sh("mkdir -p " + dir);
    s.write(dir + "/model.pt", "weights");
    nlohmann::json m{{"format", ml::k_bundle_format}};
    REQUIRE(ml::hash_bundle_files(s / dir, {"model.pt"}, m));
    s.write(dir + "/manifest.json", ml::json_text(m));
}
} // namespace

TEST_CASE("ml.bundle: files are verified against the manifest", "[ml]") {
    test::Scratch s;
    make_bundle(s, "b");
    auto m = ml::open_bundle(s / "b");
    REQUIRE(m);
    CHECK((*m)["files"]["model.pt"]["sha256"] == util::sha256_hex("weights"));
    CHECK((*m)["files"]["model.pt"]["size"] == 7);
    s.write("b/model.pt", "tampered");
    auto bad = ml::open_bundle(s / "b");
    REQUIRE_FALSE(bad);
    CHECK(bad.error().kind == util::ErrorKind::integrity);
    CHECK(bad.error().message.find("b/model.pt: does not match the manifest") != std::string::npos);
    s.sh("rm b/model.pt");
    CHECK(ml::open_bundle(s / "b").error().message.find("missing from the bundle") != std::string::npos);
    CHECK(ml::open_bundle(s / "nothing").error().kind == util::ErrorKind::usage);
}

TEST_CASE("ml.bundle: publishing replaces a bundle or an empty folder, never other folders", "[ml]") {
    test::Scratch s;
    make_bundle(s, "old");
    make_bundle(s, "new");
    s.write("new/extra", "x");
    REQUIRE(ml::publish_bundle(s / "new", s / "old"));
    CHECK(s.read("old/extra") == "x");
    s.sh("mkdir -p empty data && echo keep > data/train.csv");
    CHECK(ml::check_bundle_destination(s / "empty"));
    CHECK(ml::check_bundle_destination(s / "absent"));
    make_bundle(s, "tmp");
    auto refused = ml::publish_bundle(s / "tmp", s / "data");
    REQUIRE_FALSE(refused);
    CHECK(refused.error().message.find("not a model bundle; not replacing it") != std::string::npos);
    CHECK(s.read("data/train.csv") == "keep\n");
    auto tmp = ml::make_bundle_temp(s / "out/model");
    REQUIRE(tmp);
    CHECK(tmp->find("/out/.tmp-") != std::string::npos);
}
