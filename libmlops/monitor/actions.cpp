#include <mlops/monitor/actions.hpp>

#include <cerrno>
#include <chrono>
#include <csignal>
#include <cstring>
#include <spawn.h>
#include <sys/mman.h>
#include <sys/wait.h>
#include <thread>
#include <unistd.h>

#include <fmt/format.h>

#include <mlops/remote/http.hpp>

extern char** environ;

namespace mlops::monitor {

namespace {

util::Status run_command(const Action& a, const nlohmann::json& event, const DeliveryOptions& opts) {
    auto what = fmt::format("command '{}'", a.target);
    // The event goes to stdin from an anonymous file: the command reads it at its own pace.
    int in = ::memfd_create("mlops-alert", MFD_CLOEXEC);
    if (in < 0) return util::fail(util::Error::from_errno(what, errno));
    auto text = event.dump() + "\n";
    bool ok = ::write(in, text.data(), text.size()) == ssize_t(text.size()) && ::lseek(in, 0, SEEK_SET) == 0;
    if (!ok) {
        int e = errno;
        ::close(in);
        return util::fail(util::Error::from_errno(what, e));
    }
    posix_spawn_file_actions_t fa;
    posix_spawn_file_actions_init(&fa);
    posix_spawn_file_actions_adddup2(&fa, in, 0);
    posix_spawn_file_actions_adddup2(&fa, 2, 1); // keep our stdout for --json
    std::vector<std::string> env;
    for (char** e = environ; *e; ++e) env.emplace_back(*e);
    env.push_back("MLOPS_ALERT_RULE=" + event.value("rule", ""));
    env.push_back("MLOPS_ALERT_STATE=" + event.value("state", ""));
    env.push_back("MLOPS_ALERT_SEVERITY=" + event.value("severity", ""));
    std::vector<char*> envp;
    for (auto& e : env) envp.push_back(e.data());
    envp.push_back(nullptr);
    std::string sh = "/bin/sh", dash_c = "-c", cmd = a.target;
    char* argv[] = {sh.data(), dash_c.data(), cmd.data(), nullptr};
    pid_t pid = -1;
    int rc = ::posix_spawn(&pid, "/bin/sh", &fa, nullptr, argv, envp.data());
    posix_spawn_file_actions_destroy(&fa);
    ::close(in);
    if (rc != 0) return util::fail(util::Error::from_errno(what, rc));
    auto deadline = std::chrono::steady_clock::now() + std::chrono::duration<double>(opts.command_timeout_s);
    int status = 0;
    for (;;) {
        pid_t r = ::waitpid(pid, &status, WNOHANG);
        if (r == pid) break;
        if (r < 0 && errno != EINTR) return util::fail(util::Error::from_errno(what, errno));
        if (std::chrono::steady_clock::now() > deadline) {
            ::kill(pid, SIGKILL);
            ::waitpid(pid, &status, 0);
            return util::fail(util::Error::io(fmt::format("{}: still running after {} s, killed", what, opts.command_timeout_s)));
        }
        std::this_thread::sleep_for(std::chrono::milliseconds(5));
    }
    if (WIFEXITED(status) && WEXITSTATUS(status) == 0) return {};
    if (WIFSIGNALED(status)) return util::fail(util::Error::io(fmt::format("{}: killed by signal {}", what, WTERMSIG(status))));
    return util::fail(util::Error::io(fmt::format("{}: exit status {}", what, WEXITSTATUS(status))));
}

util::Status post_webhook(const Action& a, const nlohmann::json& event, const DeliveryOptions& opts) {
    remote::HttpOptions ho;
    ho.connect_timeout_ms = long(opts.webhook_timeout_s * 1000);
    ho.stall_timeout_s = long(opts.webhook_timeout_s);
    remote::HttpClient client(ho);
    auto body = event.dump();
    remote::HttpRequest req;
    req.method = "POST";
    req.url = a.target;
    req.headers = {"Content-Type: application/json", "User-Agent: mlops/" MLOPS_VERSION};
    req.body = body;
    auto what = fmt::format("webhook {}", a.target);
    std::string last;
    for (int attempt = 1; attempt <= opts.webhook_attempts; ++attempt) {
        auto res = client.perform(req, "POST " + a.target);
        if (res && res->status >= 200 && res->status < 300) return {};
        bool retry;
        if (!res) {
            last = res.error().message;
            retry = res.error().fault == remote::Fault::transient;
        } else {
            last = fmt::format("HTTP {}", res->status);
            retry = res->status >= 500 || res->status == 429;
        }
        if (!retry || attempt == opts.webhook_attempts) break;
        std::this_thread::sleep_for(std::chrono::milliseconds(250 << (attempt - 1)));
    }
    return util::fail(util::Error::remote(fmt::format("{}: {}", what, last)));
}

} // namespace

util::Status deliver(const Action& a, const nlohmann::json& event, const DeliveryOptions& opts) {
    switch (a.kind) {
    case Action::Kind::command: return run_command(a, event, opts);
    case Action::Kind::webhook: return post_webhook(a, event, opts);
    default: return {};
    }
}

} // namespace mlops::monitor
