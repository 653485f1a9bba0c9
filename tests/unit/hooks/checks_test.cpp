#include <catch2/catch.hpp>

#include <mlops/hooks/checks.hpp>

using namespace mlops;

TEST_CASE("pre-push input is parsed line by line", "[hooks]") {
    std::string a(40, 'a'), z(40, '0'), b(40, 'b');
    auto refs = hooks::parse_pre_push("refs/heads/main " + a + " refs/heads/main " + b + "\n\n" +
                                      "(delete) " + z + " refs/heads/old " + a + "\r\n");
    REQUIRE(refs);
    REQUIRE(refs->size() == 2);
    CHECK((*refs)[0].local_ref == "refs/heads/main");
    CHECK((*refs)[0].local_sha == a);
    CHECK((*refs)[0].remote_sha == b);
    CHECK_FALSE((*refs)[0].deletes());
    CHECK((*refs)[1].deletes());
    CHECK(hooks::parse_pre_push("").value().empty());

    auto bad = hooks::parse_pre_push("refs/heads/main " + a + " refs/heads/main\n");
    REQUIRE_FALSE(bad);
    CHECK(bad.error().message.find("pre-push input line 1") == 0);
    auto not_hex = hooks::parse_pre_push("refs/heads/main " + a + " refs/heads/main " + std::string(40, 'x'));
    REQUIRE_FALSE(not_hex);
}

TEST_CASE("a problem is one line naming the path and the fix", "[hooks]") {
    hooks::Problem p{"data", "modified since `mlops add`", "`mlops add data`"};
    CHECK(p.line() == "data: modified since `mlops add` (fix: `mlops add data`)");
}
