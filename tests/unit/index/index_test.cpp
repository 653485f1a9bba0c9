#include <catch2/catch.hpp>

#include <sqlite3.h>

#include <mlops/index/index.hpp>

#include "scratch.hpp"

using namespace mlops;

TEST_CASE("a new index has the application id and schema version", "[index]") {
    test::Scratch s;
    auto idx = index::Index::open(s / "index.db");
    REQUIRE(idx);
    sqlite3_stmt* st = nullptr;
    sqlite3_prepare_v2((*idx)->handle(), "PRAGMA application_id", -1, &st, nullptr);
    REQUIRE(sqlite3_step(st) == SQLITE_ROW);
    CHECK(sqlite3_column_int(st, 0) == index::k_application_id);
    sqlite3_finalize(st);
    sqlite3_prepare_v2((*idx)->handle(), "PRAGMA journal_mode", -1, &st, nullptr);
    REQUIRE(sqlite3_step(st) == SQLITE_ROW);
    CHECK(std::string(reinterpret_cast<const char*>(sqlite3_column_text(st, 0))) == "wal");
    sqlite3_finalize(st);
}

TEST_CASE("stat sets round-trip per tracked path", "[index]") {
    test::Scratch s;
    auto idx = index::Index::open(s / "index.db").value();
    index::StatSet set = {{{"a.csv", 1, 2, 3, 4, std::string(64, 'a'), 5}, {"b/c.csv", 6, 7, 8, 9, std::string(64, 'b'), 10}},
                          std::string(64, 'f')};
    REQUIRE(idx->store_stat_set("data", set));
    REQUIRE(idx->store_stat_set("model.pt", {{{"", 11, 12, 13, 14, std::string(64, 'c'), 15}}, ""}));
    auto back = idx->load_stat_set("data");
    REQUIRE(back);
    REQUIRE(back->size() == 2);
    CHECK(back->at(1).path == "b/c.csv");
    CHECK(back->at(1).inode == 6);
    CHECK(back->at(1).cached_at_ns == 10);
    CHECK(back->at(1).oid == std::string(64, 'b'));
    CHECK(back->tree_oid() == std::string(64, 'f'));
    CHECK(idx->load_stat_set("model.pt").value().size() == 1);
    CHECK(idx->load_stat_set("model.pt").value().tree_oid().empty());
    CHECK(idx->load_stat_set("unknown").value().empty());
}

TEST_CASE("a damaged stat set reads as empty (it is only a cache)", "[index]") {
    auto packed = index::pack_stat_set({{{"x", 1, 2, 3, 4, std::string(64, 'd'), 5}}, ""});
    CHECK(index::unpack_stat_set(packed, "p").value().size() == 1);
    CHECK_FALSE(index::unpack_stat_set(packed.substr(0, packed.size() - 1), "p"));
    CHECK_FALSE(index::unpack_stat_set("junk", "p"));
    test::Scratch s;
    auto idx = index::Index::open(s / "index.db").value();
    sqlite3_exec(idx->handle(), "INSERT INTO stat_cache VALUES ('data', x'00ff')", nullptr, nullptr, nullptr);
    auto set = idx->load_stat_set("data");
    REQUIRE(set);
    CHECK(set->empty());
}

TEST_CASE("a stat set written before tree oids were recorded (msc1) still reads", "[index]") {
    // msc1: magic, row count, then rows (path length, path, inode, size, mtime, ctime, cached_at, oid).
    std::string v1 = "msc1";
    auto put = [&](auto v) { v1.append(reinterpret_cast<const char*>(&v), sizeof v); };
    put(std::uint32_t(1));
    put(std::uint32_t(5));
    v1 += "a.csv";
    for (std::int64_t v : {7, 8, 9, 10, 11}) put(v);
    v1 += std::string(64, 'e');
    auto set = index::unpack_stat_set(v1, "data");
    REQUIRE(set);
    REQUIRE(set->size() == 1);
    CHECK(set->at(0).path == "a.csv");
    CHECK(set->at(0).ctime_ns == 10);
    CHECK(set->at(0).cached_at_ns == 11);
    CHECK(set->at(0).oid == std::string(64, 'e'));
    CHECK(set->tree_oid().empty()); // unknown: the next scan computes and records it
    // A row count larger than the blob can hold is damage, not a huge allocation.
    std::string big = v1;
    big[4] = '\xff';
    big[5] = '\xff';
    CHECK_FALSE(index::unpack_stat_set(big, "data"));
}

TEST_CASE("artifacts upsert and clear", "[index]") {
    test::Scratch s;
    auto idx = index::Index::open(s / "index.db").value();
    REQUIRE(idx->upsert_artifact({"data", std::string(64, 'b'), "dir", 10, 2}));
    REQUIRE(idx->upsert_artifact({"data", std::string(64, 'c'), "dir", 11, 3}));
    auto a = idx->artifacts().value();
    REQUIRE(a.size() == 1);
    CHECK(a[0].size == 11);
    REQUIRE(idx->clear());
    CHECK(idx->artifacts().value().empty());
}

TEST_CASE("a damaged index file is moved aside and rebuilt", "[index]") {
    test::Scratch s;
    s.write("index.db", std::string(8192, 'G'));
    auto idx = index::Index::open(s / "index.db");
    REQUIRE(idx);
    REQUIRE((*idx)->upsert_artifact({"x", std::string(64, 'd'), "file", 1, 1}));
    CHECK(s.sh("ls index.db.corrupt-* >/dev/null 2>&1") == 0);
}

TEST_CASE("a newer schema is refused, not clobbered", "[index]") {
    test::Scratch s;
    {
        auto idx = index::Index::open(s / "index.db").value();
        sqlite3_exec(idx->handle(), "PRAGMA user_version=99", nullptr, nullptr, nullptr);
    }
    auto again = index::Index::open(s / "index.db");
    REQUIRE_FALSE(again);
    CHECK(again.error().message.find("newer") != std::string::npos);
}

TEST_CASE("an index whose tables do not match its version is moved aside and rebuilt", "[index]") {
    test::Scratch s;
    {
        // What an early development build left: the current version number, an older stat_cache.
        auto idx = index::Index::open(s / "index.db").value();
        REQUIRE(sqlite3_exec(idx->handle(),
                             "DROP TABLE stat_cache; CREATE TABLE stat_cache (path TEXT PRIMARY KEY, oid TEXT)",
                             nullptr, nullptr, nullptr) == SQLITE_OK);
    }
    auto idx = index::Index::open(s / "index.db");
    REQUIRE(idx);
    CHECK(s.sh("ls index.db.corrupt-* >/dev/null 2>&1") == 0);
    REQUIRE((*idx)->store_stat_set("data", {{{"a", 1, 2, 3, 4, std::string(64, 'a'), 5}}, ""}));
    CHECK((*idx)->load_stat_set("data").value().size() == 1);
}

TEST_CASE("registry rows list by model in time order and ignore duplicates", "[index]") {
    test::Scratch s;
    auto idx = index::Index::open(s / "index.db").value();
    REQUIRE(idx->insert_registry_objects({{std::string(64, 'b'), "alias", "iris", 20},
                                          {std::string(64, 'a'), "version", "iris", 10},
                                          {std::string(64, 'c'), "version", "wine", 5}}));
    REQUIRE(idx->insert_registry_objects({{std::string(64, 'a'), "version", "iris", 10}}));
    auto iris = idx->registry_objects("iris").value();
    REQUIRE(iris.size() == 2);
    CHECK(iris[0].kind == "version");
    CHECK(iris[1].time_ns == 20);
    CHECK(idx->registry_objects("").value().size() == 3);
    REQUIRE(idx->clear());
    CHECK(idx->registry_objects("").value().empty());
}

TEST_CASE("an index of schema version 2 is migrated in place, keeping its runs", "[index]") {
    test::Scratch s;
    {
        sqlite3* db = nullptr;
        REQUIRE(sqlite3_open((s / "index.db").c_str(), &db) == SQLITE_OK);
        const char* v2 = R"sql(
            CREATE TABLE stat_cache (path TEXT PRIMARY KEY, data BLOB NOT NULL) WITHOUT ROWID;
            CREATE TABLE artifacts (path TEXT PRIMARY KEY, oid TEXT NOT NULL, kind TEXT NOT NULL,
                                    size INTEGER NOT NULL, files INTEGER NOT NULL) WITHOUT ROWID;
            CREATE TABLE runs (run_id TEXT PRIMARY KEY, oid TEXT NOT NULL, stage TEXT NOT NULL,
                pipeline TEXT NOT NULL, status TEXT NOT NULL, started_ns INTEGER NOT NULL,
                ended_ns INTEGER NOT NULL, fingerprint TEXT NOT NULL, git_commit TEXT NOT NULL) WITHOUT ROWID;
            CREATE TABLE run_cache (fingerprint TEXT PRIMARY KEY, run_id TEXT NOT NULL) WITHOUT ROWID;
            INSERT INTO runs VALUES ('r1', 'oid', 'train', 'mlops.yaml', 'succeeded', 1, 2, 'fp', '');
            PRAGMA application_id=1835822960; PRAGMA user_version=2;)sql";
        REQUIRE(sqlite3_exec(db, v2, nullptr, nullptr, nullptr) == SQLITE_OK);
        sqlite3_close(db);
    }
    auto idx = index::Index::open(s / "index.db").value();
    CHECK(idx->runs("", 0).value().size() == 1);
    REQUIRE(idx->insert_registry_objects({{std::string(64, 'a'), "version", "iris", 10}}));
    CHECK(idx->registry_objects("iris").value().size() == 1);
}
