#include <catch2/catch.hpp>

#include <unistd.h>

#include <mlops/pipeline/record.hpp>
#include <mlops/pipeline/runner.hpp>

#include "scratch.hpp"

using namespace mlops;

namespace {
// A stage that sends SIGTERM to this process (as Slurm does at a job's time limit) and would then
// run on, and one downstream of it.
std::string killed_pipeline() {
    return "stages:\n"
           "  slow:\n"
           "    cmd: kill -TERM " +
           std::to_string(::getpid()) +
           " && sleep 20 && echo late > slow.txt\n"
           "    outs: [slow.txt]\n"
           "  after:\n"
           "    cmd: cat slow.txt > after.txt\n"
           "    deps: [slow.txt]\n"
           "    outs: [after.txt]\n";
}

pipeline::RunRecord record_of(workspace::Repository& repo, const std::string& run_id) {
    auto* index = repo.index().value();
    auto rows = index->runs_with_prefix(run_id).value();
    REQUIRE(rows.size() == 1);
    auto text = repo.objects().read(rows[0].oid);
    REQUIRE(text);
    auto rec = pipeline::parse_run_record(*text, rows[0].oid);
    REQUIRE(rec);
    return *rec;
}
} // namespace

TEST_CASE("runner: an interrupt with a cause is a failure with that cause, without one an interruption", "[runner]") {
    test::Scratch s;
    REQUIRE(workspace::Repository::init(s.path(), workspace::NoGit::yes));
    auto repo = std::move(workspace::Repository::discover(s.path()).value());
    s.write("mlops.yaml", killed_pipeline());

    SECTION("killed: Slurm's reason") {
        pipeline::RunOptions ro;
        int asked = 0;
        ro.interrupt_cause = [&] {
            ++asked;
            return std::string("Slurm: TIMEOUT: the job ran past its time limit");
        };
        auto report = pipeline::run(*repo, ro);
        REQUIRE(report);
        CHECK(asked == 1);
        CHECK_FALSE(report->interrupted);
        REQUIRE(report->stages.size() == 2);
        CHECK(report->stages[0].action == pipeline::Action::failed);
        CHECK(report->stages[0].reasons == std::vector<std::string>{"Slurm: TIMEOUT: the job ran past its time limit"});
        CHECK(report->stages[1].action == pipeline::Action::skipped);
        CHECK(report->stages[1].reasons.at(0) == "not run: Slurm: TIMEOUT: the job ran past its time limit");
        auto rec = record_of(*repo, report->stages[0].run_id);
        CHECK(rec.status == "failed");
        CHECK(rec.error == "Slurm: TIMEOUT: the job ran past its time limit");
    }
    SECTION("stopped: no cause (a person's Ctrl-C, scancel)") {
        pipeline::RunOptions ro;
        ro.interrupt_cause = [] { return std::string(); };
        auto report = pipeline::run(*repo, ro);
        REQUIRE(report);
        CHECK(report->interrupted);
        CHECK(report->stages[0].action == pipeline::Action::interrupted);
        CHECK(report->stages[1].action == pipeline::Action::interrupted);
        CHECK(record_of(*repo, report->stages[0].run_id).status == "interrupted");
    }
}
