#include <catch2/catch.hpp>

#include <atomic>
#include <fcntl.h>
#include <sys/file.h>
#include <unistd.h>

#include <mlops/util/fs.hpp>
#include <mlops/util/parallel.hpp>

#include "scratch.hpp"

using namespace mlops;

TEST_CASE("write_file_atomic replaces whole files", "[fs]") {
    test::Scratch s;
    REQUIRE(util::write_file_atomic(s / "f", "one", util::Durability::fsync));
    REQUIRE(util::write_file_atomic(s / "f", "two", util::Durability::none));
    CHECK(s.read("f") == "two");
}

TEST_CASE("LockFile: exclusive, commit publishes, rollback leaves the target", "[fs]") {
    test::Scratch s;
    s.write("target", "old");
    {
        auto lock = util::LockFile::acquire(s / "target");
        REQUIRE(lock);
        auto second = util::LockFile::acquire(s / "target", std::chrono::milliseconds(50));
        REQUIRE_FALSE(second);
        CHECK(second.error().kind == util::ErrorKind::lock);
        CHECK(second.error().message.find("target.lock") != std::string::npos);
    }
    CHECK(s.read("target") == "old");
    CHECK(::access((s / "target.lock").c_str(), F_OK) != 0);
    auto lock = util::LockFile::acquire(s / "target");
    REQUIRE(lock);
    REQUIRE(lock->commit("new"));
    CHECK(s.read("target") == "new");
}

TEST_CASE("a stale lock file left by a dead process is broken", "[fs]") {
    test::Scratch s;
    s.write("target", "old");
    // A lock file nobody holds an flock on, older than two seconds: its creator died.
    s.write("target.lock", "half-written");
    REQUIRE(s.sh("touch -d '10 seconds ago' target.lock") == 0);
    auto lock = util::LockFile::acquire(s / "target", std::chrono::milliseconds(200));
    REQUIRE(lock);
    REQUIRE(lock->commit("fresh"));
    CHECK(s.read("target") == "fresh");
}

TEST_CASE("FileLock: shared locks coexist, exclusive waits", "[fs]") {
    test::Scratch s;
    auto a = util::FileLock::acquire(s / "lock", util::LockMode::shared, "test");
    auto b = util::FileLock::acquire(s / "lock", util::LockMode::shared, "test");
    REQUIRE(a);
    REQUIRE(b);
    auto c = util::FileLock::acquire(s / "lock", util::LockMode::exclusive, "test", std::chrono::milliseconds(50));
    REQUIRE_FALSE(c);
    CHECK(c.error().kind == util::ErrorKind::lock);
}

TEST_CASE("parallel_for runs everything and reports the first error", "[parallel]") {
    std::atomic<int> sum{0};
    REQUIRE(util::parallel_for(1000, 4, [&](std::size_t i) -> util::Status {
        sum += int(i);
        return {};
    }));
    CHECK(sum == 999 * 1000 / 2);
    auto r = util::parallel_for(100, 2, [&](std::size_t i) -> util::Status {
        if (i == 42) return util::fail(util::Error::usage("boom at 42"));
        return {};
    });
    REQUIRE_FALSE(r);
    CHECK(r.error().message == "boom at 42");
    CHECK(util::parallel_for(0, 2, [](std::size_t) -> util::Status { return {}; }));
}

TEST_CASE("read_file_tail: the last bytes only, all of a smaller file, an error for a missing one", "[fs]") {
    test::Scratch s;
    s.write("log", std::string(100000, 'a') + "end of the log\n");
    auto tail = util::read_file_tail(s / "log", 15);
    REQUIRE(tail);
    CHECK(*tail == "end of the log\n");
    s.write("short", "abc");
    CHECK(util::read_file_tail(s / "short", 8192).value() == "abc");
    CHECK_FALSE(util::read_file_tail(s / "missing", 10));
}
