#include <catch2/catch.hpp>

#include <mlops/pipeline/slurm.hpp>

using namespace mlops;
using nlohmann::json;

namespace {
pipeline::Stage stage_with(json resources) {
    pipeline::Stage s;
    s.name = "train";
    s.where = {"mlops.yaml", 3, 5};
    s.resources = std::move(resources);
    return s;
}
std::vector<std::string> args_of(json resources) {
    auto r = pipeline::sbatch_resource_args(stage_with(std::move(resources)));
    REQUIRE(r.has_value());
    return *r;
}
std::string error_of(json resources) {
    auto r = pipeline::sbatch_resource_args(stage_with(std::move(resources)));
    REQUIRE(!r.has_value());
    CHECK(r.error().kind == util::ErrorKind::usage);
    return r.error().message;
}
} // namespace

TEST_CASE("slurm: resources map to sbatch options in a fixed order", "[slurm]") {
    CHECK(args_of(nullptr).empty());
    CHECK(args_of(json::object()).empty());
    auto a = args_of(json::parse(R"({"partition": "gpu", "gpus": 1, "time": "1h", "mem": "8G", "cpus": 4,
                                      "sbatch_args": ["--qos=high", "--account=ml"]})"));
    CHECK(a == std::vector<std::string>{"--cpus-per-task=4", "--mem=8G", "--time=1:00:00", "--gpus=1", "--partition=gpu", "--qos=high",
                                        "--account=ml"});
    CHECK(args_of(json::parse(R"({"mem": 2048})")) == std::vector<std::string>{"--mem=2048M"});
    CHECK(args_of(json::parse(R"({"mem": "512Mi", "cpus": "2"})")) == std::vector<std::string>{"--cpus-per-task=2", "--mem=512M"});
    CHECK(args_of(json::parse(R"({"time": 90})")) == std::vector<std::string>{"--time=1:30:00"});
    CHECK(args_of(json::parse(R"({"time": "2-12:00:00"})")) == std::vector<std::string>{"--time=2-12:00:00"});
}

TEST_CASE("slurm: bad resources name the stage, its location and the field", "[slurm]") {
    CHECK(error_of(json::parse(R"({"cpus": 0})")) == "mlops.yaml:3:5: stage train: resources.cpus must be a whole number of CPUs, not 0");
    CHECK_THAT(error_of(json::parse(R"({"cpus": "four"})")), Catch::Contains("resources.cpus"));
    CHECK_THAT(error_of(json::parse(R"({"mem": "lots"})")), Catch::Contains("resources.mem must be a size"));
    CHECK_THAT(error_of(json::parse(R"({"mem": "8X"})")), Catch::Contains("resources.mem"));
    CHECK_THAT(error_of(json::parse(R"({"time": "soon"})")), Catch::Contains("resources.time must be a duration"));
    CHECK_THAT(error_of(json::parse(R"({"time": "0s"})")), Catch::Contains("resources.time"));
    CHECK_THAT(error_of(json::parse(R"({"gpus": -1})")), Catch::Contains("resources.gpus"));
    CHECK_THAT(error_of(json::parse(R"({"partition": "a b"})")), Catch::Contains("resources.partition"));
    CHECK_THAT(error_of(json::parse(R"({"gpu": 1})")), Catch::Contains("unknown resources key 'gpu'"));
    CHECK_THAT(error_of(json::parse(R"({"sbatch_args": "--qos=high"})")), Catch::Contains("must be a list"));
    CHECK_THAT(error_of(json::parse(R"({"sbatch_args": ["qos"]})")), Catch::Contains("starting with '-'"));
    CHECK_THAT(error_of(json::parse(R"({"sbatch_args": ["--dependency=afterany:1"]})")), Catch::Contains("mlops sets itself"));
    CHECK_THAT(error_of(json::parse(R"({"sbatch_args": ["-o", "x.out"]})")), Catch::Contains("sets -o"));
}

TEST_CASE("slurm: durations and sizes", "[slurm]") {
    CHECK(pipeline::parse_duration_seconds("90s") == 90);
    CHECK(pipeline::parse_duration_seconds("30m") == 1800);
    CHECK(pipeline::parse_duration_seconds("1h30m") == 5400);
    CHECK(pipeline::parse_duration_seconds("2d") == 172800);
    CHECK(pipeline::parse_duration_seconds("45") == 2700); // Slurm: a bare number is minutes
    CHECK(pipeline::parse_duration_seconds("1:30") == 90); // M:S
    CHECK(pipeline::parse_duration_seconds("1:00:00") == 3600);
    CHECK(pipeline::parse_duration_seconds("1-2") == 93600); // D-H
    CHECK(!pipeline::parse_duration_seconds(""));
    CHECK(!pipeline::parse_duration_seconds("h"));
    CHECK(!pipeline::parse_duration_seconds("10x"));
    CHECK(!pipeline::parse_duration_seconds("1:2:3:4"));
    CHECK(pipeline::slurm_time(59) == "0:00:59");
    CHECK(pipeline::slurm_time(86400 + 3661) == "1-1:01:01");
    CHECK(pipeline::slurm_memory("8G") == "8G");
    CHECK(pipeline::slurm_memory("8gb") == "8G");
    CHECK(pipeline::slurm_memory("100") == "100M");
    CHECK(!pipeline::slurm_memory("0"));
    CHECK(!pipeline::slurm_memory("8P"));
    CHECK(!pipeline::slurm_memory("G"));
}

TEST_CASE("slurm: scontrol -o show job is parsed into job states", "[slurm]") {
    // Real output of Slurm 22.05 (one line per job; trimmed of fields mlops does not read).
    std::string text =
        "JobId=12 JobName=mlops:train UserId=root(0) GroupId=root(0) Priority=4294901759 JobState=COMPLETED Reason=None "
        "Dependency=(null) Requeue=1 Restarts=0 BatchFlag=1 Reboot=0 ExitCode=0:0 RunTime=00:00:02 TimeLimit=UNLIMITED "
        "SubmitTime=2026-11-29T03:23:25 StartTime=2026-11-29T03:23:26 EndTime=2026-11-29T03:23:28 Partition=debug NodeList=vm\n"
        "JobId=13 JobName=wrap JobState=FAILED Reason=NonZeroExitCode Dependency=(null) ExitCode=3:0 StartTime=2026-11-29T03:23:30 "
        "EndTime=2026-11-29T03:23:30 NodeList=vm\n"
        "JobId=14 JobName=wrap JobState=PENDING Reason=DependencyNeverSatisfied Dependency=afterok:13(failed) ExitCode=0:0 "
        "StartTime=Unknown EndTime=Unknown NodeList=\n"
        "JobId=15 JobName=slow JobState=TIMEOUT Reason=TimeLimit ExitCode=0:15 NodeList=vm\n"
        "\n"
        "No jobs in the system\n";
    auto jobs = pipeline::parse_scontrol_jobs(text);
    REQUIRE(jobs.size() == 4);
    CHECK(jobs[0].id == "12");
    CHECK(jobs[0].name == "mlops:train");
    CHECK(jobs[0].state == "COMPLETED");
    CHECK(jobs[0].start_time == "2026-11-29T03:23:26");
    CHECK(jobs[0].node_list == "vm");
    CHECK(jobs[1].state == "FAILED");
    CHECK(jobs[1].exit_code == 3);
    CHECK(jobs[2].state == "PENDING");
    CHECK(jobs[2].reason == "DependencyNeverSatisfied");
    CHECK(jobs[2].node_list.empty());
    CHECK(jobs[3].exit_signal == 15);
    CHECK(pipeline::slurm_state_final("COMPLETED"));
    CHECK(pipeline::slurm_state_final("TIMEOUT"));
    CHECK(!pipeline::slurm_state_final("PENDING"));
    CHECK(!pipeline::slurm_state_final("RUNNING"));
    CHECK(!pipeline::slurm_state_final("COMPLETING"));
    CHECK(pipeline::slurm_failure_reason(jobs[3]) == "Slurm: TIMEOUT: the job ran past its time limit (Slurm reason: TimeLimit)");
    CHECK(pipeline::slurm_failure_reason(jobs[1]) == "Slurm: FAILED: exit status 3");
    CHECK(pipeline::parse_scontrol_jobs("No jobs in the system\n").empty());
}

TEST_CASE("slurm: a job array's tasks are jobs named <array>_<task>", "[slurm]") {
    // Slurm 22.05: a started task has a line of its own; the pending rest shares the array's line.
    std::string text =
        "JobId=21 ArrayJobId=20 ArrayTaskId=0 ArrayTaskThrottle=0 JobName=mlops:train JobState=RUNNING Reason=None ExitCode=0:0 NodeList=vm\n"
        "JobId=20 ArrayJobId=20 ArrayTaskId=1-2,5 ArrayTaskThrottle=0 JobName=mlops:train JobState=PENDING Reason=Resources ExitCode=0:0 "
        "NodeList=\n"
        "JobId=22 ArrayJobId=22 ArrayTaskId=3 JobName=mlops:other JobState=FAILED Reason=NonZeroExitCode ExitCode=1:0 NodeList=vm\n";
    auto jobs = pipeline::parse_scontrol_jobs(text);
    REQUIRE(jobs.size() == 5);
    CHECK(jobs[0].id == "20_0");
    CHECK(jobs[0].state == "RUNNING");
    CHECK(jobs[1].id == "20_1");
    CHECK(jobs[2].id == "20_2");
    CHECK(jobs[3].id == "20_5");
    CHECK(jobs[3].state == "PENDING");
    CHECK(jobs[3].reason == "Resources");
    CHECK(jobs[4].id == "22_3");
    CHECK(jobs[4].exit_code == 1);

    CHECK(pipeline::array_task_indices("7") == std::vector<long>{7});
    CHECK(pipeline::array_task_indices("0-3") == std::vector<long>{0, 1, 2, 3});
    CHECK(pipeline::array_task_indices("1,4,7-9") == std::vector<long>{1, 4, 7, 8, 9});
    CHECK(pipeline::array_task_indices("0-9:4") == std::vector<long>{0, 4, 8});
    CHECK(pipeline::array_task_indices("2-4%2") == std::vector<long>{2, 3, 4});
    CHECK(pipeline::array_task_indices("").empty());
    CHECK(pipeline::array_task_indices("x-3").empty());
    CHECK(pipeline::array_task_indices("0-3:0").empty());
    CHECK(pipeline::slurm_state_killed("TIMEOUT"));
    CHECK(pipeline::slurm_state_killed("NODE_FAIL"));
    CHECK(pipeline::slurm_state_killed("OUT_OF_MEMORY"));
    CHECK(!pipeline::slurm_state_killed("CANCELLED"));
    CHECK(!pipeline::slurm_state_killed("FAILED"));
}

TEST_CASE("slurm: why Slurm is killing a job, as its own step sees it at SIGTERM", "[slurm]") {
    // What `scontrol -o show job $SLURM_JOB_ID` said inside jobs of the test cluster when SIGTERM came.
    auto job = [](const std::string& line) { return pipeline::parse_scontrol_jobs(line).at(0); };
    CHECK(pipeline::slurm_kill_cause(job("JobId=1 JobState=COMPLETING Reason=TimeLimit ExitCode=0:0 NodeList=vm")) ==
          "Slurm: TIMEOUT: the job ran past its time limit (Slurm reason: TimeLimit)");
    CHECK(pipeline::slurm_kill_cause(job("JobId=2 JobState=NODE_FAIL Reason=NodeDown ExitCode=0:0 NodeList=vm")) ==
          "Slurm: NODE_FAIL: node vm failed (Slurm reason: NodeDown)");
    CHECK(pipeline::slurm_kill_cause(job("JobId=3 JobState=CANCELLED Reason=None ExitCode=0:15 NodeList=vm")).empty());
    CHECK(pipeline::slurm_kill_cause(job("JobId=4 JobState=COMPLETING Reason=None ExitCode=0:0 NodeList=vm")).empty());
    CHECK(pipeline::slurm_kill_cause(job("JobId=5 JobState=RUNNING Reason=None ExitCode=0:0 NodeList=vm")).empty());
}

TEST_CASE("slurm: commands run with their output captured and quoted for messages", "[slurm]") {
    auto r = pipeline::run_command({"sh", "-c", "echo out; echo err >&2; exit 3"}, std::chrono::seconds(10));
    CHECK(r.status == 3);
    CHECK(r.out == "out\n");
    CHECK(r.err == "err\n");
    auto missing = pipeline::run_command({"no-such-command-mlops-test"}, std::chrono::seconds(10));
    CHECK(missing.status == 127);
    auto slow = pipeline::run_command({"sleep", "5"}, std::chrono::milliseconds(200));
    CHECK(slow.status == 124);
    CHECK(pipeline::shell_join({"mlops", "stage-exec", "a b", "it's"}) == "mlops stage-exec 'a b' 'it'\\''s'");
}

TEST_CASE("slurm: a job killed for its memory, from slurmstepd's lines in its output", "[slurm]") {
    // Real output of a job over --mem=100M on the test cluster (jobacct_gather/linux, OverMemoryKill).
    std::string tail = "mlops: running hungry (never run)\n"
                       "slurmstepd-vm: error: StepId=1.batch exceeded memory limit (121798656 > 104857600), being killed\n"
                       "slurmstepd-vm: error: Exceeded job memory limit\n"
                       "slurmstepd-vm: error: *** JOB 1 ON vm CANCELLED AT 2026-11-29T07:43:07 ***\n";
    CHECK(pipeline::slurm_output_kill_reason(tail) ==
          "Slurm: OUT_OF_MEMORY: the job ran out of memory (slurmstepd-vm: error: StepId=1.batch exceeded memory limit (121798656 > "
          "104857600), being killed)");
    CHECK(pipeline::slurm_output_kill_reason("slurmstepd: error: Detected 1 oom-kill event(s) in StepId=7.batch.\n").starts_with(
        "Slurm: OUT_OF_MEMORY: the job ran out of memory (slurmstepd: error: Detected 1 oom-kill event(s)"));
    CHECK(pipeline::slurm_output_kill_reason("the command said: exceeded memory limit\n").empty()); // not slurmstepd's
    CHECK(pipeline::slurm_output_kill_reason("").empty());
}
