// Where stage commands run. The runner hands jobs to an Executor and waits for results; the local
// executor runs each job as a process (`sh -c CMD`) in its own process group, its output captured
// to a log file (and echoed to the terminal). A later executor (Slurm) implements the same interface.
#pragma once

#include <chrono>
#include <condition_variable>
#include <cstdint>
#include <deque>
#include <map>
#include <mutex>
#include <optional>
#include <string>
#include <thread>
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
    // The next finished job, or nullopt after `timeout` with none finished.
    virtual std::optional<JobResult> wait(std::chrono::milliseconds timeout) = 0;
    // Stops every running job (SIGTERM, then SIGKILL after a grace period).
    virtual void cancel_all() = 0;
    virtual std::size_t running() const = 0;
};

class LocalExecutor : public Executor {
  public:
    ~LocalExecutor() override;
    Status start(const Job& job) override;
    std::optional<JobResult> wait(std::chrono::milliseconds timeout) override;
    void cancel_all() override;
    std::size_t running() const override;

  private:
    void finish(JobResult r);
    mutable std::mutex m_mutex;
    std::condition_variable m_cv;
    std::deque<JobResult> m_done;
    std::map<std::size_t, int> m_pgids; // running job -> process group
    std::vector<std::thread> m_threads;
};

} // namespace mlops::pipeline
