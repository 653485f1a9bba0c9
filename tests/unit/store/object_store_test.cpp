#include <catch2/catch.hpp>

#include <sys/stat.h>

#include <mlops/store/object_store.hpp>
#include <mlops/util/fs.hpp>
#include <mlops/util/hash.hpp>

#include "scratch.hpp"

using namespace mlops;

TEST_CASE("put_bytes stores content under its SHA-256, once", "[store]") {
    test::Scratch s;
    store::ObjectStore objects(s / "objects", s / "tmp");
    auto a = objects.put_bytes("hello");
    REQUIRE(a);
    CHECK(a->oid == util::sha256_hex("hello"));
    CHECK(a->stored);
    CHECK(objects.exists(a->oid));
    CHECK(objects.path_of(a->oid) == s / ("objects/" + a->oid.substr(0, 2) + "/" + a->oid.substr(2)));
    auto again = objects.put_bytes("hello");
    REQUIRE(again);
    CHECK_FALSE(again->stored);
    // objects are read-only
    struct stat st;
    REQUIRE(::stat(objects.path_of(a->oid).c_str(), &st) == 0);
    CHECK((st.st_mode & 0222) == 0);
}

TEST_CASE("put_file handles small and large files; read verifies", "[store]") {
    test::Scratch s;
    store::ObjectStore objects(s / "objects", s / "tmp");
    std::string big(2 * 1024 * 1024 + 5, 'b');
    s.write("small", "tiny");
    s.write("big", big);
    auto small = objects.put_file(s / "small");
    auto large = objects.put_file(s / "big");
    REQUIRE(small);
    REQUIRE(large);
    CHECK(large->oid == util::sha256_hex(big));
    CHECK(large->size == big.size());
    auto back = objects.read(large->oid);
    REQUIRE(back);
    CHECK(*back == big);
    auto list = objects.list();
    REQUIRE(list);
    CHECK(list->size() == 2);
}

TEST_CASE("a batch publishes nothing before commit", "[store]") {
    test::Scratch s;
    store::ObjectStore objects(s / "objects", s / "tmp");
    store::WriteBatch batch;
    std::string big(3 * 1024 * 1024, 'z');
    s.write("big", big);
    auto a = objects.put_bytes("batched", &batch);
    auto b = objects.put_file(s / "big", &batch);
    REQUIRE(a);
    REQUIRE(b);
    CHECK_FALSE(objects.exists(a->oid));
    CHECK_FALSE(objects.exists(b->oid));
    CHECK(batch.size() == 2);
    REQUIRE(objects.commit(batch));
    CHECK(objects.exists(a->oid));
    CHECK(objects.exists(b->oid));
    auto temps = objects.stale_temp_files(0);
    REQUIRE(temps);
    CHECK(temps->empty());
}

TEST_CASE("an abandoned batch leaves only temporary files", "[store]") {
    test::Scratch s;
    store::ObjectStore objects(s / "objects", s / "tmp");
    {
        store::WriteBatch batch;
        REQUIRE(objects.put_bytes("never published", &batch));
    }
    auto list = objects.list();
    REQUIRE(list);
    CHECK(list->empty());
    auto temps = objects.stale_temp_files(0);
    REQUIRE(temps);
    CHECK(temps->size() == 1);
}

TEST_CASE("corrupt and missing objects are detected, never returned", "[store]") {
    test::Scratch s;
    store::ObjectStore objects(s / "objects", s / "tmp");
    auto a = objects.put_bytes("original");
    REQUIRE(a);
    std::string path = objects.path_of(a->oid);
    ::chmod(path.c_str(), 0644);
    s.write(path.substr(s.path().size() + 1), "tampered");
    auto r = objects.read(a->oid);
    REQUIRE_FALSE(r);
    CHECK(r.error().kind == util::ErrorKind::integrity);
    CHECK(r.error().message.find(a->oid) != std::string::npos);
    CHECK(objects.check(a->oid).value() == store::ObjectState::corrupt);
    std::string absent = util::sha256_hex("absent");
    CHECK(objects.check(absent).value() == store::ObjectState::missing);
    CHECK(objects.read(absent).error().kind == util::ErrorKind::integrity);
}

TEST_CASE("only objects noted as verified in this process are trusted without hashing", "[store]") {
    test::Scratch s;
    store::ObjectStore objects(s / "objects", s / "tmp");
    auto a = objects.put_bytes("fetched and verified");
    REQUIRE(a);
    CHECK_FALSE(objects.verified_here(a->oid)); // stored, but nobody said it was just verified
    objects.note_verified(a->oid);
    CHECK(objects.verified_here(a->oid));
    // Another store object of the same folder (another process, in effect) knows nothing of it.
    store::ObjectStore other(s / "objects", s / "tmp");
    CHECK_FALSE(other.verified_here(a->oid));
    // Reads still verify: the note only spares a pull's checkout a second hash.
    CHECK(objects.read(a->oid).value() == "fetched and verified");
}
