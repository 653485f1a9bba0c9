#include <catch2/catch.hpp>

#include <mlops/registry/registry.hpp>

using namespace mlops;

namespace {
registry::VersionEntry entry(std::string oid, int claimed, std::int64_t t, std::string user = "ann") {
    registry::VersionEntry v;
    v.oid = std::move(oid);
    v.name = "iris";
    v.claimed = claimed;
    v.model_oid = std::string(64, 'f');
    v.created_ns = t;
    v.user = std::move(user);
    return v;
}
registry::AliasEvent event(std::string oid, std::string to, std::int64_t t, std::string parent, std::string action = "set") {
    registry::AliasEvent e;
    e.oid = std::move(oid);
    e.name = "iris";
    e.alias = "production";
    e.action = std::move(action);
    e.to_entry = std::move(to);
    e.time_ns = t;
    e.parent = std::move(parent);
    return e;
}
} // namespace

TEST_CASE("model references: NAME, NAME@ALIAS, NAME:VERSION and MLflow URIs", "[registry]") {
    auto r = registry::parse_model_ref("iris@production").value();
    CHECK(r.name == "iris");
    CHECK(r.alias == "production");
    CHECK(registry::parse_model_ref("iris:3").value().version == 3);
    CHECK(registry::parse_model_ref("models:/iris/2").value().version == 2);
    CHECK(registry::parse_model_ref("iris").value().version == 0);
    CHECK_FALSE(registry::parse_model_ref("iris:0"));
    CHECK_FALSE(registry::parse_model_ref("iris:x"));
    CHECK_FALSE(registry::parse_model_ref("-iris"));
    CHECK_FALSE(registry::parse_model_ref("iris@"));
    CHECK(registry::looks_like_model_ref("iris@production"));
    CHECK_FALSE(registry::looks_like_model_ref("data/train.csv"));
}

TEST_CASE("version entries and alias events round-trip through their objects", "[registry]") {
    auto v = entry("", 2, 42);
    v.tags = {{"team", "vision"}};
    v.metrics = {{"accuracy", 0.97}};
    v.run_id = "abc";
    auto back = registry::parse_version(registry::serialize_version(v), std::string(64, 'a')).value();
    CHECK(back.claimed == 2);
    CHECK(back.tags.at("team") == "vision");
    CHECK(back.metrics["accuracy"] == 0.97);
    CHECK(back.run_id == "abc");
    auto e = event("", std::string(64, 'b'), 7, "");
    e.gates = nlohmann::json::array({{{"gate", "f1>=0.9"}, {"ok", true}}});
    auto eb = registry::parse_event(registry::serialize_event(e), std::string(64, 'c')).value();
    CHECK(eb.to_entry == std::string(64, 'b'));
    CHECK(eb.from_entry.empty());
    CHECK(eb.gates.size() == 1);
    CHECK_FALSE(registry::parse_version("{\"type\": \"mlops-run\"}", std::string(64, 'd')));
    CHECK_FALSE(registry::parse_event("not json", std::string(64, 'd')));
}

TEST_CASE("two clones that registered the same version number are reconciled", "[registry]") {
    // Both clones saw version 1 and registered "version 2"; the earlier keeps 2, the later is 3.
    auto s = registry::fold("iris", {entry("a", 1, 10), entry("c", 2, 30, "bob"), entry("b", 2, 20)}, {});
    REQUIRE(s.versions.size() == 3);
    CHECK(s.version(2)->oid == "b");
    CHECK(s.version(3)->oid == "c");
    REQUIRE(s.conflicts.size() == 1);
    CHECK(s.conflicts[0].find("version 2 was registered twice") != std::string::npos);
    // The same objects in any order give the same state.
    auto t = registry::fold("iris", {entry("b", 2, 20), entry("c", 2, 30, "bob"), entry("a", 1, 10)}, {});
    CHECK(t.version(3)->oid == "c");
}

TEST_CASE("aliases: the latest event wins, concurrent moves are reported, rollback walks back", "[registry]") {
    std::vector<registry::VersionEntry> vs = {entry("v1", 1, 1), entry("v2", 2, 2), entry("v3", 3, 3)};
    auto s = registry::fold("iris", vs, {event("e1", "v1", 10, ""), event("e2", "v2", 20, "e1")});
    CHECK(s.holder("production")->oid == "v2");
    CHECK(s.previous_holder("production").value() == "v1");
    CHECK(s.conflicts.empty());
    // Two clones moved production from e2 at once: both events stay, the later one holds.
    auto c = registry::fold("iris", vs, {event("e1", "v1", 10, ""), event("e2", "v2", 20, "e1"), event("x", "v3", 31, "e2"),
                                         event("y", "v1", 30, "e2")});
    CHECK(c.holder("production")->oid == "v3");
    REQUIRE(c.conflicts.size() == 1);
    CHECK(c.conflicts[0].find("alias production was moved concurrently") != std::string::npos);
    // A rollback pops: after v1 -> v2 -> v3 and a rollback to v2, the previous holder is v1.
    auto r = registry::fold("iris", vs, {event("e1", "v1", 10, ""), event("e2", "v2", 20, "e1"), event("e3", "v3", 30, "e2"),
                                         event("e4", "v2", 40, "e3", "rollback")});
    CHECK(r.holder("production")->oid == "v2");
    CHECK(r.previous_holder("production").value() == "v1");
    // A delete leaves no holder.
    auto d = registry::fold("iris", vs, {event("e1", "v1", 10, ""), event("e2", "", 20, "e1", "delete")});
    CHECK(d.holder("production") == nullptr);
    CHECK(d.aliases.empty());
}
