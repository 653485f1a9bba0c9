// `mlops run`: decides which stages are out of date (and why), restores from the run cache what was
// run before, runs the rest in dependency order on an executor, stores outputs, records every run
// as an object, and updates mlops.lock for the stages that succeeded.
#pragma once

#include <csignal>
#include <functional>
#include <map>
#include <memory>
#include <string>
#include <vector>

#include <mlops/pipeline/graph.hpp>
#include <mlops/pipeline/lock.hpp>
#include <mlops/pipeline/spec.hpp>
#include <mlops/workspace/repository.hpp>

namespace mlops::pipeline {

// The pipeline file, parsed, with its graph.
struct Loaded {
    std::unique_ptr<Pipeline> pipeline;
    Graph graph;
    std::string lock_file; // repository-relative
    LockData lock;
};
// `file` is repository-relative ("mlops.yaml" by default).
Result<Loaded> load(workspace::Repository& repo, const std::string& file);

// Why a stage is out of date; empty when it is up to date.
struct StageState {
    LockedStage now;                 // cmd, deps and params as they are now (outs from the lock)
    std::vector<std::string> reasons;
    std::string fingerprint;
    bool missing_deps = false;
};
Result<StageState> stage_state(workspace::Repository& repo, const Stage& stage, const LockedStage* locked);

enum class Action { up_to_date, ran, restored, failed, skipped, would_run, frozen, interrupted };
const char* action_name(Action a);

struct StageOutcome {
    std::string stage;
    Action action = Action::up_to_date;
    std::vector<std::string> reasons;
    std::string run_id;
    int exit_status = 0;
    double seconds = 0;
    std::string log_path; // where the output is captured while the stage runs
    std::string log_tail; // for failed stages: the last lines of the captured output
};

struct RunOptions {
    std::string file = "mlops.yaml";
    std::vector<std::string> stages; // empty: all
    unsigned jobs = 1;
    bool force = false;
    bool dry_run = false;
    bool keep_going = false;
    bool downstream = false;
    bool run_cache = true;
    // Only the named stages, not what they need (`mlops stage-exec` inside a Slurm job: the
    // upstream stages are jobs of their own).
    bool no_upstream = false;
    // Leave mlops.lock alone (inside a Slurm job: the submitting side locks what succeeded).
    bool write_lock = true;
    bool echo = true; // stage output to stderr
    // Progress lines ("running train", "train: done in 1.2 s").
    std::function<void(const std::string&)> say = [](const std::string&) {};
    // Asked when the run was interrupted (SIGINT, SIGTERM) or a stage's command ended by a signal
    // (until it answers): a non-empty answer means the stage was killed for that reason, not stopped
    // by a person (inside a Slurm job: "Slurm: TIMEOUT: the job ran past its time limit"), and its
    // run is recorded as failed with it.
    std::function<std::string()> interrupt_cause;
};

struct RunReport {
    std::vector<StageOutcome> stages;
    std::map<std::string, LockedStage> locked; // the entries of the stages that ran or were restored
    bool interrupted = false;
    bool ok() const;
};

Result<RunReport> run(workspace::Repository& repo, const RunOptions& opts);

// While one lives, SIGINT and SIGTERM set a flag (interrupt_requested) instead of ending the
// process; the previous handlers come back when it goes. `run` holds one; so does the Slurm
// executor's wait.
class InterruptGuard {
  public:
    InterruptGuard();
    ~InterruptGuard();
    InterruptGuard(const InterruptGuard&) = delete;
    InterruptGuard& operator=(const InterruptGuard&) = delete;

  private:
    struct sigaction m_int{}, m_term{};
};
bool interrupt_requested();

} // namespace mlops::pipeline
