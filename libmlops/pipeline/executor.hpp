// Where stage commands run. The runner hands jobs to an Executor and waits for results; the local
// executor runs each job as a process (`sh -c CMD`) in its own process group, its output written
// straight to a log file (and echoed to the terminal). A later executor (Slurm) implements the same
// interface.
#pragma once

#include <chrono>
#include <cstdint>
#include <deque>
#include <optional>
#include <string>
#include <sys/types.h>
#include <vector>

#include <mlops/util/error.hpp>

namespace mlops::pipeline {

using util::Result;
using util::Status;

struct Job {
    std::size_t id = 0;
    std::string name;      // stage name
    std::string cmd;
    std::string cwd;       // absolute
    std::vector<std::pair<std::string, std::string>> env; // added to the environment
    std::string log_path;  // stdout and stderr together
    bool echo = true;      // copy output to our stderr
    std::string prefix;    // put before every echoed line ("" = none)
};

struct JobResult {
    std::size_t id = 0;
    int exit_status = 0;   // 0..255; 128+signal when killed
    int signal = 0;
    std::int64_t started_ns = 0;
    std::int64_t ended_ns = 0;
    std::string error;     // the job could not be started
};

class Executor {
  public:
    virtual ~Executor() = default;
    virtual Status start(const Job& job) = 0;
    // The next finished job, or nullopt after `timeout` with none finished (or earlier, when a
    // signal arrived: the caller checks for Ctrl-C and calls again).
    virtual std::optional<JobResult> wait(std::chrono::milliseconds timeout) = 0;
    // Stops every running job (SIGTERM, then SIGKILL after a grace period); their results are
    // then returned by `wait`.
    virtual void cancel_all() = 0;
    virtual std::size_t running() const = 0;
};

// Single-threaded: start, wait and cancel_all are called from one thread. A job is started with
// posix_spawn (vfork-like: no copy of our page tables, which made fork cost milliseconds) and writes
// its stdout and stderr to its log file itself, so it never blocks on us; `wait` polls the jobs'
// pidfds and copies what the logs gained to the terminal.
class LocalExecutor : public Executor {
  public:
    LocalExecutor() = default;
    LocalExecutor(const LocalExecutor&) = delete;
    LocalExecutor& operator=(const LocalExecutor&) = delete;
    ~LocalExecutor() override;
    Status start(const Job& job) override;
    std::optional<JobResult> wait(std::chrono::milliseconds timeout) override;
    void cancel_all() override;
    std::size_t running() const override { return m_running.size(); }

  private:
    struct Running {
        Job job;
        pid_t pid = -1;
        int pidfd = -1;       // -1 when the kernel has no pidfd_open: polled with waitpid
        int echo_fd = -1;     // the log, read from `echoed` on; -1 without echo
        off_t echoed = 0;
        std::string partial;  // an echoed line without its newline yet (with a prefix)
        std::int64_t started_ns = 0;
    };
    void echo(Running& r, bool final);
    // Reaps the jobs that exited (non-blocking) into m_done.
    void reap();
    std::vector<Running> m_running;
    std::deque<JobResult> m_done;
};

} // namespace mlops::pipeline
