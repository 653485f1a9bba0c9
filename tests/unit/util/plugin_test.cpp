#include <catch2/catch.hpp>

#include <cstdlib>

#include <mlops/util/plugin.hpp>

using namespace mlops;

struct TestTable {
    int version;
    int (*add)(int, int);
};

TEST_CASE("plugins load from MLOPS_PLUGIN_DIR and expose their table", "[plugin]") {
    ::setenv("MLOPS_PLUGIN_DIR", MLOPS_TEST_PLUGIN_DIR, 1);
    auto p = util::Plugin::load("libtest_plugin.so", "mlops_test_plugin_v1");
    REQUIRE(p);
    auto* t = static_cast<const TestTable*>(p->table());
    CHECK(t->version == 1);
    CHECK(t->add(2, 3) == 5);
    auto wrong_entry = util::Plugin::load("libtest_plugin.so", "no_such_entry");
    REQUIRE_FALSE(wrong_entry);
    CHECK(wrong_entry.error().message.find("no_such_entry") != std::string::npos);
    ::unsetenv("MLOPS_PLUGIN_DIR");
    auto missing = util::Plugin::load("libnot_there.so", "x");
    REQUIRE_FALSE(missing);
    CHECK(missing.error().message.find("cannot load libnot_there.so") == 0);
}
