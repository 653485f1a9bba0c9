#include <catch2/catch.hpp>

#include <chrono>
#include <csignal>
#include <cstdio>
#include <set>
#include <thread>
#include <unistd.h>

#include <mlops/pipeline/executor.hpp>

#include "scratch.hpp"

using namespace mlops;
using namespace std::chrono_literals;

namespace {

pipeline::Job job(const test::Scratch& s, std::size_t id, const std::string& cmd) {
    pipeline::Job j;
    j.id = id;
    j.name = "s" + std::to_string(id);
    j.cmd = cmd;
    j.cwd = s.path();
    j.log_path = s / ("job" + std::to_string(id) + ".log");
    j.echo = false;
    return j;
}

// Waits (at most a minute: a generous bound for a loaded machine, not a timing assertion).
pipeline::JobResult next(pipeline::LocalExecutor& ex) {
    for (int i = 0; i < 600; ++i)
        if (auto r = ex.wait(100ms)) return *r;
    FAIL("no job finished within a minute");
    return {};
}

} // namespace

TEST_CASE("local executor: exit status, log of stdout and stderr, folder, environment, stdin",
          "[executor]") {
    test::Scratch s;
    s.sh("mkdir -p sub");
    pipeline::LocalExecutor ex;
    auto j = job(s, 7, "echo out; echo err >&2; pwd; echo \"$MLOPS_STAGE $HOME_X\"; cat; exit 3");
    j.cwd = s / "sub";
    j.env = {{"MLOPS_STAGE", "train@small"}, {"HOME_X", "x"}};
    REQUIRE(ex.start(j));
    CHECK(ex.running() == 1);
    auto r = next(ex);
    CHECK(r.id == 7);
    CHECK(r.exit_status == 3);
    CHECK(r.signal == 0);
    CHECK(r.ended_ns >= r.started_ns);
    CHECK(ex.running() == 0);
    CHECK(s.read("job7.log") == "out\nerr\n" + s.path() + "/sub\ntrain@small x\n");
}

TEST_CASE("local executor: several jobs at once, each in its own process group", "[executor]") {
    test::Scratch s;
    pipeline::LocalExecutor ex;
    for (std::size_t i = 0; i < 3; ++i)
        REQUIRE(ex.start(job(s, i, "cut -d' ' -f5 /proc/$$/stat; echo $$")));
    std::set<std::size_t> done;
    for (int i = 0; i < 3; ++i) {
        auto r = next(ex);
        CHECK(r.exit_status == 0);
        done.insert(r.id);
        auto log = s.read("job" + std::to_string(r.id) + ".log");
        auto nl = log.find('\n');
        REQUIRE(nl != std::string::npos);
        CHECK(log.substr(0, nl) + "\n" == log.substr(nl + 1)); // pgid == pid of sh
        CHECK(log.substr(0, nl) != std::to_string(::getpgrp()));
    }
    CHECK(done == std::set<std::size_t>{0, 1, 2});
    CHECK_FALSE(ex.wait(10ms));
}

TEST_CASE("local executor: a folder that does not exist fails the job with 127", "[executor]") {
    test::Scratch s;
    pipeline::LocalExecutor ex;
    auto j = job(s, 1, "true");
    j.cwd = s / "missing";
    REQUIRE(ex.start(j));
    auto r = next(ex);
    CHECK(r.exit_status == 127);
    CHECK(s.read("job1.log").find("missing") != std::string::npos);
}

TEST_CASE("local executor: cancel_all stops the whole process group, even a job ignoring SIGTERM",
          "[executor]") {
    test::Scratch s;
    pipeline::LocalExecutor ex;
    // A child of the shell that outlives a SIGTERM to the shell alone, and a job ignoring SIGTERM
    // (cancel_all then sends SIGKILL after its grace period).
    REQUIRE(ex.start(job(s, 1, "sleep 60 & echo $! > child.pid; wait")));
    REQUIRE(ex.start(job(s, 2, "trap '' TERM; echo ready; while :; do sleep 0.1; done")));
    for (int i = 0; i < 600 && (s.sh("test -s child.pid") != 0 || s.sh("grep -q ready job2.log") != 0); ++i)
        std::this_thread::sleep_for(10ms);
    ex.cancel_all();
    CHECK(ex.running() == 0);
    std::set<std::size_t> ids;
    while (auto r = ex.wait(10ms)) {
        CHECK(r->exit_status > 128);
        ids.insert(r->id);
    }
    CHECK(ids == std::set<std::size_t>{1, 2});
    auto child = std::stoi(s.read("child.pid"));
    // The orphaned sleep got the SIGTERM of its group (it may linger a moment as a zombie of init).
    bool gone = false;
    for (int i = 0; i < 600 && !gone; ++i) {
        gone = ::kill(child, 0) != 0 || s.sh("grep -q '^State:.*Z' /proc/" + std::to_string(child) + "/status") == 0;
        if (!gone) std::this_thread::sleep_for(10ms);
    }
    CHECK(gone);
}

TEST_CASE("local executor: echo copies the log to stderr with a line prefix", "[executor]") {
    test::Scratch s;
    pipeline::LocalExecutor ex;
    auto j = job(s, 4, "printf 'a\\nb\\nno newline'");
    j.echo = true;
    j.prefix = "[s4] ";
    // Our stderr goes to a file for the duration of the test.
    int saved = ::dup(2);
    FILE* f = std::fopen((s / "stderr.txt").c_str(), "w");
    REQUIRE(f);
    ::dup2(::fileno(f), 2);
    REQUIRE(ex.start(j));
    auto r = next(ex);
    ::dup2(saved, 2);
    ::close(saved);
    std::fclose(f);
    CHECK(r.exit_status == 0);
    CHECK(s.read("stderr.txt") == "[s4] a\n[s4] b\n[s4] no newline\n");
}
