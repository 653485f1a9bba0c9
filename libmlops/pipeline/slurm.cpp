#include <mlops/pipeline/slurm.hpp>

#include <cctype>
#include <algorithm>
#include <csignal>
#include <cstring>
#include <fcntl.h>
#include <poll.h>
#include <spawn.h>
#include <sys/wait.h>
#include <unistd.h>

#include <fmt/format.h>

extern char** environ;

namespace mlops::pipeline {

using util::Error;
using util::fail;

namespace {

std::string scalar_text(const nlohmann::json& v) {
    if (v.is_string()) return v.get<std::string>();
    if (v.is_number_integer()) return std::to_string(v.get<long long>());
    return v.dump();
}

bool positive_int(const nlohmann::json& v, long& out) {
    if (v.is_number_integer() && v.get<long long>() > 0) {
        out = long(v.get<long long>());
        return true;
    }
    if (v.is_string()) {
        auto s = v.get<std::string>();
        if (s.empty() || s.size() > 9 || !std::all_of(s.begin(), s.end(), [](unsigned char c) { return std::isdigit(c); })) return false;
        out = std::stol(s);
        return out > 0;
    }
    return false;
}

bool all_digits(std::string_view s) {
    return !s.empty() && std::all_of(s.begin(), s.end(), [](unsigned char c) { return std::isdigit(c); });
}

} // namespace

std::optional<long> parse_duration_seconds(const std::string& text) {
    std::string t;
    for (char c : text)
        if (!std::isspace(static_cast<unsigned char>(c))) t += char(std::tolower(static_cast<unsigned char>(c)));
    if (t.empty()) return std::nullopt;
    if (all_digits(t)) return t.size() > 7 ? std::nullopt : std::optional<long>(std::stol(t) * 60);
    // Slurm's own forms: [D-]H:MM:SS, M:SS, [D-]H:MM, D-H.
    if (t.find(':') != std::string::npos || t.find('-') != std::string::npos) {
        long days = 0;
        std::string rest = t;
        if (auto dash = t.find('-'); dash != std::string::npos) {
            if (!all_digits(t.substr(0, dash)) || dash > 4) return std::nullopt;
            days = std::stol(t.substr(0, dash));
            rest = t.substr(dash + 1);
        }
        std::vector<std::string> parts;
        std::size_t start = 0;
        for (;;) {
            auto c = rest.find(':', start);
            parts.push_back(rest.substr(start, c == std::string::npos ? std::string::npos : c - start));
            if (c == std::string::npos) break;
            start = c + 1;
        }
        if (parts.size() > 3) return std::nullopt;
        for (const auto& p : parts)
            if (!all_digits(p) || p.size() > 4) return std::nullopt;
        std::vector<long> n;
        for (const auto& p : parts) n.push_back(std::stol(p));
        long secs = 0;
        bool has_days = t.find('-') != std::string::npos;
        if (has_days) {
            // D-H, D-H:M, D-H:M:S
            secs = n[0] * 3600 + (n.size() > 1 ? n[1] * 60 : 0) + (n.size() > 2 ? n[2] : 0);
        } else if (n.size() == 2) {
            secs = n[0] * 60 + n[1]; // M:S
        } else if (n.size() == 3) {
            secs = n[0] * 3600 + n[1] * 60 + n[2];
        } else {
            return std::nullopt;
        }
        return days * 86400 + secs;
    }
    // Units: 1h30m, 90s, 2d.
    long total = 0;
    std::size_t i = 0;
    while (i < t.size()) {
        std::size_t j = i;
        while (j < t.size() && std::isdigit(static_cast<unsigned char>(t[j]))) ++j;
        if (j == i || j - i > 7 || j == t.size()) return std::nullopt;
        long v = std::stol(t.substr(i, j - i));
        std::size_t k = j;
        while (k < t.size() && std::isalpha(static_cast<unsigned char>(t[k]))) ++k;
        auto unit = t.substr(j, k - j);
        if (unit == "s" || unit == "sec" || unit == "secs") total += v;
        else if (unit == "m" || unit == "min" || unit == "mins") total += v * 60;
        else if (unit == "h" || unit == "hr" || unit == "hrs") total += v * 3600;
        else if (unit == "d" || unit == "day" || unit == "days") total += v * 86400;
        else return std::nullopt;
        i = k;
    }
    return total;
}

std::string slurm_time(long seconds) {
    long d = seconds / 86400, h = seconds % 86400 / 3600, m = seconds % 3600 / 60, s = seconds % 60;
    return d > 0 ? fmt::format("{}-{}:{:02}:{:02}", d, h, m, s) : fmt::format("{}:{:02}:{:02}", h, m, s);
}

std::optional<std::string> slurm_memory(const std::string& text) {
    std::string t;
    for (char c : text)
        if (!std::isspace(static_cast<unsigned char>(c))) t += char(std::toupper(static_cast<unsigned char>(c)));
    std::size_t j = 0;
    while (j < t.size() && std::isdigit(static_cast<unsigned char>(t[j]))) ++j;
    if (j == 0 || j > 9) return std::nullopt;
    auto digits = t.substr(0, j);
    if (std::stol(digits) == 0) return std::nullopt;
    auto unit = t.substr(j);
    if (unit == "B" || unit.empty()) return unit.empty() ? std::optional<std::string>(digits + "M") : std::nullopt;
    if (unit.size() == 2 && (unit[1] == 'B' || unit[1] == 'I')) unit = unit.substr(0, 1);
    if (unit == "K" || unit == "M" || unit == "G" || unit == "T") return digits + unit;
    return std::nullopt;
}

Result<std::vector<std::string>> sbatch_resource_args(const Stage& stage) {
    std::vector<std::string> args;
    const auto& r = stage.resources;
    if (r.is_null()) return args;
    auto bad = [&](const std::string& field, const std::string& why) {
        return fail(Error::usage(fmt::format("{}: stage {}: resources.{} {}", stage.where.str(), stage.name, field, why)));
    };
    if (!r.is_object()) return bad("", "must be a mapping");
    static const std::vector<std::string> known = {"cpus", "mem", "time", "gpus", "partition", "sbatch_args"};
    for (const auto& [k, v] : r.items())
        if (std::find(known.begin(), known.end(), k) == known.end())
            return fail(Error::usage(fmt::format("{}: stage {}: unknown resources key '{}' (known: cpus, mem, time, gpus, partition, sbatch_args)",
                                                 stage.where.str(), stage.name, k)));
    long n = 0;
    if (r.contains("cpus")) {
        if (!positive_int(r["cpus"], n)) return bad("cpus", fmt::format("must be a whole number of CPUs, not {}", r["cpus"].dump()));
        args.push_back(fmt::format("--cpus-per-task={}", n));
    }
    if (r.contains("mem")) {
        auto m = slurm_memory(scalar_text(r["mem"]));
        if (!m) return bad("mem", fmt::format("must be a size like 512M, 8G or 1T (a bare number is megabytes), not {}", r["mem"].dump()));
        args.push_back("--mem=" + *m);
    }
    if (r.contains("time")) {
        auto s = parse_duration_seconds(scalar_text(r["time"]));
        if (!s || *s <= 0) return bad("time", fmt::format("must be a duration like 90s, 30m, 1h30m or 1:30:00 (a bare number is minutes), not {}", r["time"].dump()));
        args.push_back("--time=" + slurm_time(*s));
    }
    if (r.contains("gpus")) {
        if (!positive_int(r["gpus"], n)) return bad("gpus", fmt::format("must be a whole number of GPUs, not {}", r["gpus"].dump()));
        args.push_back(fmt::format("--gpus={}", n));
    }
    if (r.contains("partition")) {
        const auto& p = r["partition"];
        if (!p.is_string() || p.get<std::string>().empty() || p.get<std::string>().find_first_of(" \t\n") != std::string::npos)
            return bad("partition", fmt::format("must be a partition name, not {}", p.dump()));
        args.push_back("--partition=" + p.get<std::string>());
    }
    if (r.contains("sbatch_args")) {
        const auto& a = r["sbatch_args"];
        if (!a.is_array()) return bad("sbatch_args", "must be a list of sbatch options, e.g. [--qos=high]");
        for (const auto& x : a) {
            if (!x.is_string() || x.get<std::string>().empty() || x.get<std::string>()[0] != '-')
                return bad("sbatch_args", fmt::format("holds {}: every entry is one sbatch option starting with '-'", x.dump()));
            static const std::vector<std::string> ours = {"--dependency", "-d", "--parsable", "--wrap", "--output", "-o", "--error", "-e",
                                                          "--chdir", "-D", "--job-name", "-J", "--kill-on-invalid-dep"};
            auto opt = x.get<std::string>().substr(0, x.get<std::string>().find('='));
            if (std::find(ours.begin(), ours.end(), opt) != ours.end())
                return bad("sbatch_args", fmt::format("sets {}, which mlops sets itself for every job", opt));
            args.push_back(x.get<std::string>());
        }
    }
    return args;
}

std::vector<SlurmJob> parse_scontrol_jobs(const std::string& text) {
    std::vector<SlurmJob> jobs;
    std::size_t pos = 0;
    while (pos < text.size()) {
        auto nl = text.find('\n', pos);
        std::string_view line(text.data() + pos, (nl == std::string::npos ? text.size() : nl) - pos);
        pos = nl == std::string::npos ? text.size() : nl + 1;
        SlurmJob job;
        std::string array_job, array_tasks;
        bool any = false;
        std::size_t i = 0;
        while (i < line.size()) {
            while (i < line.size() && line[i] == ' ') ++i;
            auto end = line.find(' ', i);
            if (end == std::string_view::npos) end = line.size();
            auto word = line.substr(i, end - i);
            i = end;
            auto eq = word.find('=');
            if (eq == std::string_view::npos) continue;
            auto key = word.substr(0, eq);
            std::string value(word.substr(eq + 1));
            if (key == "JobId") {
                job.id = value;
                any = true;
            } else if (key == "ArrayJobId") array_job = value;
            else if (key == "ArrayTaskId") array_tasks = value;
            else if (key == "JobName") job.name = value;
            else if (key == "JobState") job.state = value;
            else if (key == "Reason") job.reason = value;
            else if (key == "StartTime") job.start_time = value;
            else if (key == "EndTime") job.end_time = value;
            else if (key == "NodeList") job.node_list = value;
            else if (key == "ExitCode") {
                auto colon = value.find(':');
                auto a = value.substr(0, colon);
                auto b = colon == std::string::npos ? std::string() : value.substr(colon + 1);
                if (all_digits(a) && a.size() < 6) job.exit_code = std::stoi(a);
                if (all_digits(b) && b.size() < 6) job.exit_signal = std::stoi(b);
            }
        }
        if (!any || job.id.empty()) continue;
        if (array_job.empty() || array_tasks.empty()) {
            jobs.push_back(std::move(job));
            continue;
        }
        // An array's tasks: one line each once started, one line for the pending rest.
        for (auto t : array_task_indices(array_tasks)) {
            SlurmJob task = job;
            task.id = fmt::format("{}_{}", array_job, t);
            jobs.push_back(std::move(task));
        }
    }
    return jobs;
}

std::vector<long> array_task_indices(std::string_view spec) {
    std::vector<long> out;
    if (auto pct = spec.find('%'); pct != std::string_view::npos) spec = spec.substr(0, pct); // "0-9%2": at most 2 at once
    constexpr std::size_t k_max = 1'000'000;
    std::size_t pos = 0;
    while (pos <= spec.size()) {
        auto comma = spec.find(',', pos);
        auto part = spec.substr(pos, (comma == std::string_view::npos ? spec.size() : comma) - pos);
        pos = comma == std::string_view::npos ? spec.size() + 1 : comma + 1;
        long step = 1;
        if (auto colon = part.find(':'); colon != std::string_view::npos) {
            auto st = part.substr(colon + 1);
            if (!all_digits(st) || st.size() > 9 || (step = std::stol(std::string(st))) <= 0) return {};
            part = part.substr(0, colon);
        }
        auto dash = part.find('-');
        auto a = part.substr(0, dash), b = dash == std::string_view::npos ? part : part.substr(dash + 1);
        if (!all_digits(a) || !all_digits(b) || a.size() > 9 || b.size() > 9) return {};
        for (long t = std::stol(std::string(a)), end = std::stol(std::string(b)); t <= end && out.size() < k_max; t += step) out.push_back(t);
    }
    return out;
}

bool slurm_state_final(const std::string& state) {
    static const std::vector<std::string> final_states = {"COMPLETED", "FAILED", "CANCELLED", "TIMEOUT", "OUT_OF_MEMORY", "NODE_FAIL",
                                                          "PREEMPTED", "BOOT_FAIL", "DEADLINE", "REVOKED", "SPECIAL_EXIT"};
    return std::find(final_states.begin(), final_states.end(), state) != final_states.end();
}

bool slurm_state_killed(const std::string& state) {
    return state == "TIMEOUT" || state == "OUT_OF_MEMORY" || state == "NODE_FAIL" || state == "PREEMPTED" || state == "BOOT_FAIL" ||
           state == "DEADLINE";
}

std::string slurm_kill_cause(const SlurmJob& job) {
    if (slurm_state_killed(job.state)) return slurm_failure_reason(job);
    if (job.state != "COMPLETING" && job.state != "RUNNING") return {};
    static const std::pair<const char*, const char*> k_reasons[] = {
        {"TimeLimit", "TIMEOUT"}, {"NodeDown", "NODE_FAIL"}, {"Preempted", "PREEMPTED"}, {"DeadLine", "DEADLINE"}, {"OutOfMemory", "OUT_OF_MEMORY"}};
    for (const auto& [reason, state] : k_reasons)
        if (job.reason == reason) {
            SlurmJob ending = job;
            ending.state = state;
            return slurm_failure_reason(ending);
        }
    return {};
}

std::string slurm_output_kill_reason(std::string_view tail) {
    std::string_view found;
    std::size_t pos = 0;
    while (pos < tail.size()) {
        auto nl = tail.find('\n', pos);
        auto line = tail.substr(pos, (nl == std::string_view::npos ? tail.size() : nl) - pos);
        pos = nl == std::string_view::npos ? tail.size() : nl + 1;
        if (!line.starts_with("slurmstepd")) continue;
        if (line.find("xceeded job memory limit") != std::string_view::npos || line.find("exceeded memory limit") != std::string_view::npos ||
            line.find("oom-kill") != std::string_view::npos)
            if (found.empty()) found = line; // the first says most ("... (121798656 > 104857600), being killed")
    }
    if (found.empty()) return {};
    while (!found.empty() && (found.back() == '\r' || found.back() == ' ')) found.remove_suffix(1);
    return fmt::format("Slurm: OUT_OF_MEMORY: the job ran out of memory ({})", found);
}

std::string slurm_failure_reason(const SlurmJob& job) {
    std::string why;
    if (job.state == "TIMEOUT") why = "the job ran past its time limit";
    else if (job.state == "OUT_OF_MEMORY") why = "the job ran out of memory";
    else if (job.state == "NODE_FAIL") why = fmt::format("node {} failed", job.node_list.empty() ? "?" : job.node_list);
    else if (job.state == "CANCELLED") why = job.reason == "DependencyNeverSatisfied" ? "an upstream job failed" : "the job was cancelled";
    else if (job.state == "PREEMPTED") why = "the job was preempted";
    else if (job.state == "BOOT_FAIL") why = "the node failed to boot";
    else if (job.state == "DEADLINE") why = "the job missed its deadline";
    else if (job.state == "FAILED") why = job.exit_signal ? fmt::format("killed by signal {}", job.exit_signal) : fmt::format("exit status {}", job.exit_code);
    else why = job.state;
    std::string reason = job.reason;
    if (!reason.empty() && reason != "None" && reason != "NonZeroExitCode") why += fmt::format(" (Slurm reason: {})", reason);
    return fmt::format("Slurm: {}: {}", job.state, why);
}

std::string shell_quote(const std::string& word) {
    if (!word.empty() && word.find_first_not_of("ABCDEFGHIJKLMNOPQRSTUVWXYZabcdefghijklmnopqrstuvwxyz0123456789@%_+=:,./-") == std::string::npos)
        return word;
    std::string out = "'";
    for (char c : word) out += c == '\'' ? std::string("'\\''") : std::string(1, c);
    return out + "'";
}

std::string shell_join(const std::vector<std::string>& argv) {
    std::string out;
    for (const auto& a : argv) out += (out.empty() ? "" : " ") + shell_quote(a);
    return out;
}

CommandOutput run_command(const std::vector<std::string>& argv, std::chrono::milliseconds timeout) {
    CommandOutput r;
    int out_pipe[2], err_pipe[2];
    if (::pipe2(out_pipe, O_CLOEXEC) != 0) return {127, "", "cannot make a pipe"};
    if (::pipe2(err_pipe, O_CLOEXEC) != 0) {
        ::close(out_pipe[0]);
        ::close(out_pipe[1]);
        return {127, "", "cannot make a pipe"};
    }
    posix_spawn_file_actions_t fa;
    posix_spawn_file_actions_init(&fa);
    posix_spawn_file_actions_addopen(&fa, 0, "/dev/null", O_RDONLY, 0);
    posix_spawn_file_actions_adddup2(&fa, out_pipe[1], 1);
    posix_spawn_file_actions_adddup2(&fa, err_pipe[1], 2);
    std::vector<char*> args;
    for (const auto& a : argv) args.push_back(const_cast<char*>(a.c_str()));
    args.push_back(nullptr);
    pid_t pid = -1;
    int rc = ::posix_spawnp(&pid, args[0], &fa, nullptr, args.data(), environ);
    posix_spawn_file_actions_destroy(&fa);
    ::close(out_pipe[1]);
    ::close(err_pipe[1]);
    if (rc != 0) {
        ::close(out_pipe[0]);
        ::close(err_pipe[0]);
        return {127, "", fmt::format("{}: {}", argv[0], std::strerror(rc))};
    }
    auto deadline = std::chrono::steady_clock::now() + timeout;
    pollfd fds[2] = {{out_pipe[0], POLLIN, 0}, {err_pipe[0], POLLIN, 0}};
    bool timed_out = false;
    int open_fds = 2;
    char buf[8192];
    while (open_fds > 0) {
        auto left = std::chrono::duration_cast<std::chrono::milliseconds>(deadline - std::chrono::steady_clock::now()).count();
        if (left <= 0) {
            timed_out = true;
            break;
        }
        int n = ::poll(fds, 2, int(std::min<long long>(left, 1000)));
        if (n < 0 && errno != EINTR) break;
        for (int k = 0; k < 2; ++k) {
            if (fds[k].fd < 0 || !(fds[k].revents & (POLLIN | POLLHUP | POLLERR))) continue;
            auto got = ::read(fds[k].fd, buf, sizeof buf);
            if (got > 0) (k == 0 ? r.out : r.err).append(buf, std::size_t(got));
            else if (got == 0 || errno != EINTR) {
                ::close(fds[k].fd);
                fds[k].fd = -1;
                --open_fds;
            }
        }
    }
    for (auto& f : fds)
        if (f.fd >= 0) ::close(f.fd);
    if (timed_out) ::kill(pid, SIGKILL);
    int status = 0;
    while (::waitpid(pid, &status, 0) < 0 && errno == EINTR) {}
    if (timed_out) r.status = 124;
    else if (WIFEXITED(status)) r.status = WEXITSTATUS(status);
    else r.status = 128 + WTERMSIG(status);
    if (!timed_out && r.status == 127 && r.err.empty()) r.err = fmt::format("{}: not found", argv[0]);
    return r;
}

} // namespace mlops::pipeline
