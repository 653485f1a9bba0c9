#include <mlops/pipeline/executor.hpp>

#include <cerrno>
#include <csignal>
#include <cstring>
#include <fcntl.h>
#include <sys/wait.h>
#include <unistd.h>

#include <mlops/util/fs.hpp>

extern char** environ;

namespace mlops::pipeline {

using util::Error;
using util::fail;

LocalExecutor::~LocalExecutor() {
    cancel_all();
    for (auto& t : m_threads)
        if (t.joinable()) t.join();
}

std::size_t LocalExecutor::running() const {
    std::lock_guard lock(m_mutex);
    return m_pgids.size();
}

void LocalExecutor::finish(JobResult r) {
    {
        std::lock_guard lock(m_mutex);
        m_pgids.erase(r.id);
        m_done.push_back(std::move(r));
    }
    m_cv.notify_all();
}

Status LocalExecutor::start(const Job& job) {
    int log_fd = ::open(job.log_path.c_str(), O_WRONLY | O_CREAT | O_TRUNC | O_CLOEXEC, 0644);
    if (log_fd < 0) return fail(Error::from_errno(fmt::format("cannot create log {}", job.log_path), errno));
    int pipefd[2];
    if (::pipe2(pipefd, O_CLOEXEC) != 0) {
        ::close(log_fd);
        return fail(Error::from_errno("cannot create a pipe", errno));
    }
    // Everything the child needs is prepared before fork: after it only async-signal-safe calls.
    std::vector<std::string> env_strings;
    for (char** e = environ; *e; ++e) {
        std::string_view kv = *e;
        bool overridden = false;
        for (const auto& [k, v] : job.env)
            if (kv.starts_with(k + "=")) overridden = true;
        if (!overridden) env_strings.emplace_back(kv);
    }
    for (const auto& [k, v] : job.env) env_strings.push_back(k + "=" + v);
    std::vector<char*> envp;
    for (auto& s : env_strings) envp.push_back(s.data());
    envp.push_back(nullptr);
    const char* argv[] = {"sh", "-c", job.cmd.c_str(), nullptr};
    std::int64_t started = util::now_ns();
    pid_t pid = ::fork();
    if (pid < 0) {
        int e = errno;
        ::close(pipefd[0]);
        ::close(pipefd[1]);
        ::close(log_fd);
        return fail(Error::from_errno("cannot start a process", e));
    }
    if (pid == 0) {
        ::setpgid(0, 0);
        int devnull = ::open("/dev/null", O_RDONLY);
        if (devnull >= 0) ::dup2(devnull, 0);
        ::dup2(pipefd[1], 1);
        ::dup2(pipefd[1], 2);
        if (::chdir(job.cwd.c_str()) != 0) {
            const char msg[] = "mlops: cannot enter the stage's working folder\n";
            (void)!::write(2, msg, sizeof msg - 1);
            ::_exit(127);
        }
        struct sigaction sa{};
        sa.sa_handler = SIG_DFL;
        ::sigaction(SIGINT, &sa, nullptr);
        ::sigaction(SIGTERM, &sa, nullptr);
        ::execve("/bin/sh", const_cast<char* const*>(argv), envp.data());
        ::_exit(127);
    }
    ::setpgid(pid, pid); // also in the parent: no race with cancel_all
    ::close(pipefd[1]);
    {
        std::lock_guard lock(m_mutex);
        m_pgids[job.id] = pid;
    }
    m_threads.emplace_back([this, job, pid, read_fd = pipefd[0], log_fd, started] {
        std::string partial;
        char buf[65536];
        for (;;) {
            ssize_t n = ::read(read_fd, buf, sizeof buf);
            if (n < 0 && errno == EINTR) continue;
            if (n <= 0) break;
            (void)util::write_all(log_fd, buf, std::size_t(n), job.log_path);
            if (!job.echo) continue;
            if (job.prefix.empty()) {
                (void)util::write_all(2, buf, std::size_t(n), "stderr");
                continue;
            }
            partial.append(buf, std::size_t(n));
            std::size_t nl;
            while ((nl = partial.find('\n')) != std::string::npos) {
                std::string line = job.prefix + partial.substr(0, nl + 1);
                (void)util::write_all(2, line.data(), line.size(), "stderr");
                partial.erase(0, nl + 1);
            }
        }
        if (job.echo && !partial.empty()) {
            std::string line = job.prefix + partial + "\n";
            (void)util::write_all(2, line.data(), line.size(), "stderr");
        }
        ::close(read_fd);
        ::close(log_fd); // not synced: the runner stores the log as an object, which is
        int status = 0;
        while (::waitpid(pid, &status, 0) < 0 && errno == EINTR) {
        }
        JobResult r;
        r.id = job.id;
        r.started_ns = started;
        r.ended_ns = util::now_ns();
        if (WIFEXITED(status)) {
            r.exit_status = WEXITSTATUS(status);
        } else if (WIFSIGNALED(status)) {
            r.signal = WTERMSIG(status);
            r.exit_status = 128 + r.signal;
        }
        finish(std::move(r));
    });
    return {};
}

std::optional<JobResult> LocalExecutor::wait(std::chrono::milliseconds timeout) {
    std::unique_lock lock(m_mutex);
    if (!m_cv.wait_for(lock, timeout, [this] { return !m_done.empty(); })) return std::nullopt;
    JobResult r = std::move(m_done.front());
    m_done.pop_front();
    return r;
}

void LocalExecutor::cancel_all() {
    std::vector<int> groups;
    {
        std::lock_guard lock(m_mutex);
        for (auto& [id, pg] : m_pgids) groups.push_back(pg);
    }
    if (groups.empty()) return;
    for (int pg : groups) ::kill(-pg, SIGTERM);
    // A grace period, then force.
    for (int i = 0; i < 50; ++i) {
        if (running() == 0) return;
        std::this_thread::sleep_for(std::chrono::milliseconds(100));
    }
    std::lock_guard lock(m_mutex);
    for (auto& [id, pg] : m_pgids) ::kill(-pg, SIGKILL);
}

} // namespace mlops::pipeline
