#include <mlops/pipeline/executor.hpp>

#include <algorithm>
#include <cerrno>
#include <csignal>
#include <cstring>
#include <fcntl.h>
#include <poll.h>
#include <spawn.h>
#include <sys/syscall.h>
#include <sys/wait.h>
#include <thread>
#include <unistd.h>

#include <mlops/util/fs.hpp>

extern char** environ;

namespace mlops::pipeline {

using util::Error;
using util::fail;

namespace {

// The environment of a job: ours, with the job's variables replacing any of the same name.
std::vector<std::string> job_environment(const Job& job) {
    std::vector<std::string> env;
    for (char** e = environ; *e; ++e) {
        std::string_view kv = *e;
        bool overridden = std::any_of(job.env.begin(), job.env.end(), [&](const auto& p) {
            return kv.size() > p.first.size() && kv.starts_with(p.first) && kv[p.first.size()] == '=';
        });
        if (!overridden) env.emplace_back(kv);
    }
    for (const auto& [k, v] : job.env) env.push_back(k + "=" + v);
    return env;
}

// RAII for the two posix_spawn argument objects.
struct SpawnArgs {
    posix_spawn_file_actions_t actions;
    posix_spawnattr_t attr;
    SpawnArgs() {
        posix_spawn_file_actions_init(&actions);
        posix_spawnattr_init(&attr);
    }
    ~SpawnArgs() {
        posix_spawn_file_actions_destroy(&actions);
        posix_spawnattr_destroy(&attr);
    }
    SpawnArgs(const SpawnArgs&) = delete;
    SpawnArgs& operator=(const SpawnArgs&) = delete;
};

int open_pidfd(pid_t pid) {
#ifdef SYS_pidfd_open
    int fd = int(::syscall(SYS_pidfd_open, pid, 0));
    if (fd >= 0) ::fcntl(fd, F_SETFD, FD_CLOEXEC);
    return fd;
#else
    (void)pid;
    return -1;
#endif
}

void write_stderr(const std::string& s) {
    (void)util::write_all(2, s.data(), s.size(), "stderr");
}

} // namespace

LocalExecutor::~LocalExecutor() {
    cancel_all();
}

Status LocalExecutor::start(const Job& job) {
    int log_fd = ::open(job.log_path.c_str(), O_WRONLY | O_CREAT | O_TRUNC | O_CLOEXEC, 0644);
    if (log_fd < 0) return fail(Error::from_errno(fmt::format("cannot create log {}", job.log_path), errno));
    Running r;
    r.job = job;
    if (job.echo) r.echo_fd = ::open(job.log_path.c_str(), O_RDONLY | O_CLOEXEC);

    auto env_strings = job_environment(job);
    std::vector<char*> envp;
    for (auto& s : env_strings) envp.push_back(s.data());
    envp.push_back(nullptr);
    const char* argv[] = {"sh", "-c", job.cmd.c_str(), nullptr};

    // The child: its own process group (so cancel_all reaches everything it starts), stdin from
    // /dev/null, stdout and stderr into the log, the stage's folder, default signal handling and
    // no blocked signals whatever we have.
    SpawnArgs args;
    posix_spawn_file_actions_addopen(&args.actions, 0, "/dev/null", O_RDONLY, 0);
    posix_spawn_file_actions_adddup2(&args.actions, log_fd, 1);
    posix_spawn_file_actions_adddup2(&args.actions, log_fd, 2);
    posix_spawn_file_actions_addchdir_np(&args.actions, job.cwd.c_str());
    sigset_t defaults, none;
    sigemptyset(&defaults);
    for (int sig : {SIGINT, SIGTERM, SIGQUIT, SIGPIPE}) sigaddset(&defaults, sig);
    sigemptyset(&none);
    posix_spawnattr_setflags(&args.attr, POSIX_SPAWN_SETPGROUP | POSIX_SPAWN_SETSIGDEF | POSIX_SPAWN_SETSIGMASK);
    posix_spawnattr_setpgroup(&args.attr, 0);
    posix_spawnattr_setsigdefault(&args.attr, &defaults);
    posix_spawnattr_setsigmask(&args.attr, &none);

    r.started_ns = util::now_ns();
    int rc = ::posix_spawn(&r.pid, "/bin/sh", &args.actions, &args.attr, const_cast<char* const*>(argv), envp.data());
    if (rc == EAGAIN || rc == ENOMEM) {
        ::close(log_fd);
        if (r.echo_fd >= 0) ::close(r.echo_fd);
        return fail(Error::from_errno("cannot start a process", rc));
    }
    if (rc != 0) {
        // As a shell would: the stage fails with status 127 and its log says why.
        auto msg = fmt::format("mlops: cannot run /bin/sh in {}: {}\n", job.cwd, std::strerror(rc));
        (void)util::write_all(log_fd, msg.data(), msg.size(), job.log_path);
        ::close(log_fd);
        echo(r, true);
        if (r.echo_fd >= 0) ::close(r.echo_fd);
        m_done.push_back({job.id, 127, 0, r.started_ns, util::now_ns(), {}});
        return {};
    }
    ::close(log_fd); // the child has its own copies
    r.pidfd = open_pidfd(r.pid);
    m_running.push_back(std::move(r));
    return {};
}

void LocalExecutor::echo(Running& r, bool final) {
    if (r.echo_fd < 0) return;
    char buf[65536];
    for (;;) {
        ssize_t n = ::pread(r.echo_fd, buf, sizeof buf, r.echoed);
        if (n < 0 && errno == EINTR) continue;
        if (n <= 0) break;
        r.echoed += n;
        if (r.job.prefix.empty()) {
            (void)util::write_all(2, buf, std::size_t(n), "stderr");
            continue;
        }
        r.partial.append(buf, std::size_t(n));
        std::size_t start = 0, nl;
        std::string lines;
        while ((nl = r.partial.find('\n', start)) != std::string::npos) {
            lines += r.job.prefix;
            lines.append(r.partial, start, nl + 1 - start);
            start = nl + 1;
        }
        r.partial.erase(0, start);
        if (!lines.empty()) write_stderr(lines);
    }
    if (final && !r.partial.empty()) {
        write_stderr(r.job.prefix + r.partial + "\n");
        r.partial.clear();
    }
}

void LocalExecutor::reap() {
    for (std::size_t i = 0; i < m_running.size();) {
        auto& r = m_running[i];
        int status = 0;
        pid_t got = ::waitpid(r.pid, &status, WNOHANG);
        if (got == 0 || (got < 0 && errno == EINTR)) {
            ++i;
            continue;
        }
        JobResult res;
        res.id = r.job.id;
        res.started_ns = r.started_ns;
        res.ended_ns = util::now_ns();
        if (got < 0) {
            res.exit_status = 127;
            res.error = fmt::format("lost track of the process: {}", std::strerror(errno));
        } else if (WIFEXITED(status)) {
            res.exit_status = WEXITSTATUS(status);
        } else if (WIFSIGNALED(status)) {
            res.signal = WTERMSIG(status);
            res.exit_status = 128 + res.signal;
        }
        echo(r, true);
        if (r.echo_fd >= 0) ::close(r.echo_fd);
        if (r.pidfd >= 0) ::close(r.pidfd);
        m_done.push_back(std::move(res));
        m_running.erase(m_running.begin() + long(i));
    }
}

std::optional<JobResult> LocalExecutor::wait(std::chrono::milliseconds timeout) {
    using clock = std::chrono::steady_clock;
    auto deadline = clock::now() + timeout;
    for (;;) {
        if (!m_done.empty()) {
            JobResult r = std::move(m_done.front());
            m_done.pop_front();
            return r;
        }
        if (m_running.empty()) return std::nullopt;
        auto left = std::chrono::duration_cast<std::chrono::milliseconds>(deadline - clock::now());
        if (left.count() <= 0) return std::nullopt;
        std::vector<pollfd> fds;
        long slice = long(left.count());
        for (auto& r : m_running) {
            echo(r, false);
            if (r.echo_fd >= 0) slice = std::min(slice, 50L); // how often the terminal sees output
            if (r.pidfd >= 0) fds.push_back({r.pidfd, POLLIN, 0});
            else slice = std::min(slice, 5L);
        }
        int n = ::poll(fds.data(), nfds_t(fds.size()), int(slice));
        reap();
        if (n < 0 && errno == EINTR && m_done.empty()) return std::nullopt; // a signal: let the caller look
    }
}

void LocalExecutor::cancel_all() {
    if (m_running.empty()) return;
    for (const auto& r : m_running) ::kill(-r.pid, SIGTERM);
    // A grace period, then force.
    for (int i = 0; i < 500 && !m_running.empty(); ++i) {
        reap();
        if (!m_running.empty()) std::this_thread::sleep_for(std::chrono::milliseconds(10));
    }
    for (const auto& r : m_running) ::kill(-r.pid, SIGKILL);
    while (!m_running.empty()) {
        reap();
        if (!m_running.empty()) std::this_thread::sleep_for(std::chrono::milliseconds(1));
    }
}

} // namespace mlops::pipeline
