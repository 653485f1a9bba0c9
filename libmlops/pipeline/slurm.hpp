// The Slurm executor's pure parts (docs/pipelines.md, "Running on Slurm"): a stage's `resources`
// mapped to sbatch options, Slurm's job states read from `scontrol -o show job`, and running a
// Slurm command with its output captured. The submission and the wait live in the CLI
// (apps/mlops/slurm_cli.cpp); the step inside each job is `mlops stage-exec`.
#pragma once

#include <chrono>
#include <map>
#include <optional>
#include <string>
#include <string_view>
#include <vector>

#include <mlops/pipeline/spec.hpp>

namespace mlops::pipeline {

// `resources: {cpus: 4, mem: 8G, time: 1h, gpus: 1, partition: gpu, sbatch_args: [...]}` as sbatch
// options, in that order ("--cpus-per-task=4", "--mem=8G", "--time=1:00:00", "--gpus=1",
// "--partition=gpu", then the free-form arguments as written). A bad value is a usage error naming
// the stage's location and the field.
Result<std::vector<std::string>> sbatch_resource_args(const Stage& stage);

// "90s", "30m", "1h", "2d", "1h30m", 45 (minutes, as Slurm reads a bare number), "1:30:00" or
// "2-12:00:00" (Slurm's own forms) -> seconds; nullopt when not a duration.
std::optional<long> parse_duration_seconds(const std::string& text);
// Seconds -> Slurm's "[D-]H:MM:SS".
std::string slurm_time(long seconds);
// "8G", "512M", "8GB", "8Gi", 2048 (megabytes) -> Slurm's "8G", "512M", "2048M"; nullopt when not a size.
std::optional<std::string> slurm_memory(const std::string& text);

// One job as `scontrol -o show job` prints it (one line per job, KEY=VALUE separated by spaces).
struct SlurmJob {
    std::string id;
    std::string name;
    std::string state;  // PENDING, RUNNING, COMPLETED, FAILED, CANCELLED, TIMEOUT, OUT_OF_MEMORY, NODE_FAIL, ...
    std::string reason; // "None", "Dependency", "DependencyNeverSatisfied", "NonZeroExitCode", ...
    int exit_code = 0;  // ExitCode=3:0 -> 3
    int exit_signal = 0; // ExitCode=0:9 -> 9
    std::string start_time; // "2026-11-29T03:23:26", "Unknown"
    std::string end_time;
    std::string node_list;
};
// Every job in `text` (lines without JobId= are ignored; a value may hold spaces only where Slurm
// puts none, which holds for the fields read here).
// An array's tasks are one job each, named "<ArrayJobId>_<task>" (what scancel and
// --dependency=afterok: accept): the pending rest ("ArrayTaskId=3-9") becomes one job per index.
std::vector<SlurmJob> parse_scontrol_jobs(const std::string& text);
// "0-3", "1,4,7-9", "0-9:3", "0-99%4" -> the indices; empty when malformed.
std::vector<long> array_task_indices(std::string_view spec);
// A state after which the job will not change again.
bool slurm_state_final(const std::string& state);
// A final state in which Slurm ended the job itself (time limit, memory, node failure, preemption,
// deadline), as opposed to the job's own exit or a person's scancel.
bool slurm_state_killed(const std::string& state);
// Why Slurm is ending a job it killed, as slurm_failure_reason says it: from the final state, or,
// while the job is still COMPLETING (what the job's own step sees when SIGTERM comes for a time
// limit), from its reason (TimeLimit: TIMEOUT, NodeDown: NODE_FAIL, ...). Empty when Slurm did not
// kill it (it ended by itself, or a person cancelled it).
std::string slurm_kill_cause(const SlurmJob& job);
// What slurmstepd wrote at the end of a job's output when it killed the job for its memory
// ("Exceeded job memory limit", "Detected 1 oom-kill event(s)"): Slurm then calls the job FAILED
// (JobLaunchFailure) or OUT_OF_MEMORY depending on how memory is enforced. Returns
// "Slurm: OUT_OF_MEMORY: ..." with slurmstepd's line, or empty.
std::string slurm_output_kill_reason(std::string_view output_tail);
// Why a job that did not complete ended, for people: "TIMEOUT: the job ran past its time limit".
std::string slurm_failure_reason(const SlurmJob& job);

// Runs `argv` (looked up on PATH) with its stdout and stderr captured, killed after `timeout`.
struct CommandOutput {
    int status = 0; // exit status; 127 when it could not be started; 124 when killed by the timeout
    std::string out;
    std::string err;
};
CommandOutput run_command(const std::vector<std::string>& argv, std::chrono::milliseconds timeout);
// `argv` for error messages: "sbatch --parsable ...", each word quoted for sh when it needs it.
std::string shell_join(const std::vector<std::string>& argv);
std::string shell_quote(const std::string& word);

} // namespace mlops::pipeline
