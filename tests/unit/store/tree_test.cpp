#include <catch2/catch.hpp>

#include <mlops/store/tree.hpp>
#include <mlops/util/hash.hpp>

using namespace mlops;

static std::string oid_of(const char* s) { return util::sha256_hex(s); }

TEST_CASE("trees serialize canonically and parse back", "[tree]") {
    store::Tree t;
    t.entries.push_back({"b/z.csv", store::EntryMode::file, 3, oid_of("z")});
    t.entries.push_back({"a.bin", store::EntryMode::executable, 10, oid_of("a")});
    t.entries.push_back({"link", store::EntryMode::symlink, 5, oid_of("l")});
    t.sort();
    std::string text = t.serialize();
    CHECK(text.starts_with("mlops-tree 1\n"));
    CHECK(text.find(oid_of("a") + " 755 10\ta.bin\n") != std::string::npos);
    auto back = store::Tree::parse(text, "x");
    REQUIRE(back);
    CHECK(back->entries == t.entries);
    CHECK(back->total_size() == 18);
    REQUIRE(back->find("b/z.csv"));
    CHECK(back->find("nope") == nullptr);
    // Same entries in another order give the same bytes (and so the same oid).
    store::Tree u;
    u.entries = {t.entries[2], t.entries[0], t.entries[1]};
    u.sort();
    CHECK(u.serialize() == text);
}

TEST_CASE("tree parsing rejects damage with the line", "[tree]") {
    std::string good = "mlops-tree 1\n" + oid_of("a") + " 644 1\ta\n";
    REQUIRE(store::Tree::parse(good, "t"));
    auto expect_bad = [](const std::string& text, const char* what) {
        auto r = store::Tree::parse(text, "t");
        REQUIRE_FALSE(r);
        CHECK(r.error().message.find(what) != std::string::npos);
    };
    expect_bad("garbage", "bad header");
    expect_bad("mlops-tree 1\n" + oid_of("a") + " 999 1\ta\n", "line 2: unknown mode");
    expect_bad("mlops-tree 1\n" + oid_of("a") + " 644 x\ta\n", "malformed size");
    expect_bad("mlops-tree 1\n" + oid_of("a") + " 644 1\t../escape\n", "unsafe path");
    expect_bad("mlops-tree 1\n" + oid_of("a") + " 644 1\t/abs\n", "unsafe path");
    expect_bad("mlops-tree 1\n" + oid_of("a") + " 644 1\tb\n" + oid_of("a") + " 644 1\ta\n", "not sorted");
    expect_bad("mlops-tree 1\n" + oid_of("a") + " 644 1\ta", "missing newline");
}

TEST_CASE("safe relative paths", "[tree]") {
    CHECK(store::is_safe_relative_path("a/b.csv"));
    CHECK_FALSE(store::is_safe_relative_path(""));
    CHECK_FALSE(store::is_safe_relative_path("a/../b"));
    CHECK_FALSE(store::is_safe_relative_path("./a"));
    CHECK_FALSE(store::is_safe_relative_path("a//b"));
    CHECK_FALSE(store::is_safe_relative_path("a\nb"));
}
