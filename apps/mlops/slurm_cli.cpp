#include "slurm_cli.hpp"

#include <atomic>
#include <csignal>
#include <filesystem>
#include <map>
#include <random>
#include <set>
#include <thread>
#include <unistd.h>

#include <mlops/pipeline/record.hpp>
#include <mlops/pipeline/runner.hpp>
#include <mlops/pipeline/slurm.hpp>
#include <mlops/remote/transfer.hpp>
#include <mlops/util/fs.hpp>
#include <mlops/util/paths.hpp>
#include <mlops/workspace/add.hpp>
#include <mlops/workspace/checkout.hpp>
#include <mlops/workspace/materialize.hpp>
#include <mlops/workspace/scan.hpp>

#include "records_cli.hpp"
#include "remote_cli.hpp"

namespace mlops::cli {

using util::CommandError;
using util::Error;

namespace {

std::string hex_of(const std::string& s) {
    std::string out;
    for (unsigned char c : s) out += fmt::format("{:02x}", c);
    return out;
}

std::chrono::milliseconds poll_interval() {
    if (const char* v = std::getenv("MLOPS_SLURM_POLL_MS"); v && *v) return std::chrono::milliseconds(std::max(50, std::atoi(v)));
    return std::chrono::milliseconds(2000);
}

constexpr auto k_slurm_timeout = std::chrono::seconds(60);
// Slurm's default MaxArraySize is 1001 (indices 0-1000): larger groups go as several arrays.
constexpr std::size_t k_max_array = 1000;

// Runs a Slurm command; a command that cannot be started or that fails stops ours with one line
// naming it and Slurm's own words.
// Slurm's own words about a failure: the last line it printed ("sbatch: error: Batch job submission
// failed: Invalid partition name specified").
std::string slurm_words(const pipeline::CommandOutput& r) {
    std::string words = r.err.empty() ? r.out : r.err;
    while (!words.empty() && (words.back() == '\n' || words.back() == ' ')) words.pop_back();
    if (auto nl = words.rfind('\n'); nl != std::string::npos) words = words.substr(nl + 1);
    return words;
}

pipeline::CommandOutput slurm_command(const std::vector<std::string>& argv, bool throw_on_failure = true) {
    auto r = pipeline::run_command(argv, k_slurm_timeout);
    if (!throw_on_failure || r.status == 0) return r;
    std::string words = slurm_words(r);
    if (r.status == 127)
        throw CommandError(Error::usage(fmt::format("cannot run `{}`: {} (is Slurm installed and on PATH?)", argv[0], words)));
    if (r.status == 124)
        throw CommandError(Error::io(fmt::format("`{}` timed out after {} s (is the Slurm controller up?)", pipeline::shell_join(argv),
                                                 k_slurm_timeout.count())));
    bool unreachable = words.find("Unable to contact") != std::string::npos || words.find("Connection refused") != std::string::npos;
    std::string cmd = argv.size() > 3 ? fmt::format("{} {} ...", argv[0], argv[1]) : pipeline::shell_join(argv);
    throw CommandError(unreachable ? Error::io(fmt::format("`{}` failed: {}", cmd, words))
                                   : Error::usage(fmt::format("`{}` failed: {}", cmd, words)));
}

std::string batch_dir(Context& ctx) { return ctx.repo().mlops_dir() + "/slurm"; }

std::string new_batch_id() {
    std::mt19937_64 rng{std::random_device{}() ^ std::uint64_t(util::now_ns())};
    return fmt::format("{:012x}", rng() & 0xffffffffffffULL);
}

// The batch file: what `runs wait` and `runs cancel` need.
struct BatchJob {
    std::string stage;
    std::string job_id;
    std::vector<std::string> reasons;
};
struct Batch {
    std::string id;
    std::string file;
    std::string remote;
    std::vector<BatchJob> jobs;
    nlohmann::json settled = nlohmann::json::array(); // stages decided at submission: [{stage, action}]
};

void save_batch(Context& ctx, const Batch& b) {
    nlohmann::json jobs = nlohmann::json::array();
    for (const auto& j : b.jobs) jobs.push_back({{"stage", j.stage}, {"job_id", j.job_id}, {"reasons", j.reasons}});
    nlohmann::json doc = {{"batch", b.id}, {"file", b.file}, {"remote", b.remote}, {"jobs", jobs}, {"settled", b.settled},
                          {"submitted", pipeline::iso_time(util::now_ns())}};
    util::value_or_throw(util::make_dirs(batch_dir(ctx)));
    util::value_or_throw(util::write_file_atomic(batch_dir(ctx) + "/" + b.id + ".json", doc.dump(2) + "\n", util::Durability::fsync));
}

Batch load_batch(Context& ctx, const std::string& id_or_empty) {
    std::string dir = batch_dir(ctx), path;
    if (id_or_empty.empty()) {
        std::filesystem::file_time_type newest{};
        std::error_code ec;
        for (const auto& e : std::filesystem::directory_iterator(dir, ec))
            if (e.path().extension() == ".json" && (path.empty() || e.last_write_time() > newest)) {
                newest = e.last_write_time();
                path = e.path().string();
            }
        if (path.empty()) throw CommandError(Error::usage("no Slurm batch here (submit one with `mlops run --executor slurm`)"));
    } else {
        std::vector<std::string> matches;
        std::error_code ec;
        for (const auto& e : std::filesystem::directory_iterator(dir, ec)) {
            auto name = e.path().stem().string();
            if (e.path().extension() == ".json" && name.starts_with(id_or_empty)) matches.push_back(e.path().string());
        }
        if (matches.size() != 1)
            throw CommandError(Error::usage(matches.empty() ? fmt::format("no Slurm batch '{}' (see .mlops/slurm/)", id_or_empty)
                                                            : fmt::format("batch '{}' is ambiguous", id_or_empty)));
        path = matches[0];
    }
    auto doc = nlohmann::json::parse(util::value_or_throw(util::read_file(path)), nullptr, false);
    if (!doc.is_object() || !doc.contains("batch")) throw CommandError(Error::integrity(fmt::format("{}: not a batch file", path)));
    Batch b;
    b.id = doc["batch"].get<std::string>();
    b.file = doc.value("file", "mlops.yaml");
    b.remote = doc.value("remote", "");
    for (const auto& j : doc["jobs"]) b.jobs.push_back({j["stage"], j["job_id"], j.value("reasons", std::vector<std::string>{})});
    if (doc.contains("settled")) b.settled = doc["settled"];
    return b;
}

util::Result<std::string> current_oid(workspace::Repository& repo, const std::string& rel) {
    if (!MLOPS_TRY(util::stat_path(repo.abs(rel)))) return std::string();
    workspace::ScanOptions so;
    so.entries = workspace::TreeEntries::oid_only;
    auto snap = MLOPS_TRY(workspace::snapshot(repo, rel, so));
    return snap.pointer.oid;
}

} // namespace

std::string batch_result_key(const std::string& batch, const std::string& stage) {
    return fmt::format("batches/{}/{}.json", batch, hex_of(stage));
}

std::string fingerprint_key(const std::string& fingerprint) { return "fingerprints/" + fingerprint; }

std::optional<std::string> remote_get_text(Context& ctx, remote::OpenedRemote& r, const std::string& key) {
    std::string tmp_dir = ctx.repo().mlops_dir() + "/tmp";
    util::value_or_throw(util::make_dirs(tmp_dir));
    std::string dest = util::temp_name_in(tmp_dir);
    auto got = r.backend->get(key, dest);
    if (!got) {
        ::unlink(dest.c_str());
        if (got.error().fault == remote::Fault::not_found) return std::nullopt;
        throw CommandError(std::move(got).error());
    }
    auto text = util::read_file(dest);
    ::unlink(dest.c_str());
    return util::value_or_throw(std::move(text));
}

void remote_put_text(Context& ctx, remote::OpenedRemote& r, const std::string& key, const std::string& text) {
    std::string tmp_dir = ctx.repo().mlops_dir() + "/tmp";
    util::value_or_throw(util::make_dirs(tmp_dir));
    std::string src = util::temp_name_in(tmp_dir);
    util::value_or_throw(util::write_file_atomic(src, text, util::Durability::none));
    auto put = r.backend->put(key, src, {text.size(), ""});
    ::unlink(src.c_str());
    remote::value_or_throw(std::move(put));
    remote::value_or_throw(r.backend->flush());
}

bool restore_output(Context& ctx, remote::OpenedRemote& r, const pipeline::LockedOut& out) {
    auto& repo = ctx.repo();
    if (util::value_or_throw(current_oid(repo, out.path)) == out.oid) {
        if (out.cache && repo.has_git()) util::value_or_throw(workspace::ignore_in_git(repo, out.path));
        return true;
    }
    bool dir = out.kind == "dir";
    auto stats = remote::fetch(repo, r, {{out.oid, dir, out.path, ""}}, {});
    if (!stats || stats->failed.objects > 0) return false;
    workspace::Pointer p{1, dir ? workspace::Kind::dir : workspace::Kind::file, out.oid, out.size, out.files};
    auto tree = workspace::target_tree(repo, p, out.path);
    if (!tree) return false;
    std::error_code ec;
    std::filesystem::remove_all(repo.abs(out.path), ec);
    util::value_or_throw(util::make_dirs(util::parent_path(repo.abs(out.path))));
    auto links = util::value_or_throw(workspace::link_types(repo));
    for (const auto& e : tree->entries)
        util::value_or_throw(workspace::materialize_file(repo, e.oid, e.mode, e.path.empty() ? repo.abs(out.path) : repo.abs(out.path + "/" + e.path), links));
    if (out.cache && repo.has_git()) util::value_or_throw(workspace::ignore_in_git(repo, out.path));
    return true;
}

namespace {

struct StageView {
    std::string stage;
    std::string job_id;
    std::string action; // ran, restored, up-to-date, failed, skipped, interrupted, frozen
    std::vector<std::string> reasons;
    std::string run_id;
    std::string slurm_state;
    int exit_status = 0;
    std::int64_t started_ns = 0, ended_ns = 0;
};

nlohmann::json stage_json(const StageView& s) {
    auto opt = [](const std::string& v) { return v.empty() ? nlohmann::json(nullptr) : nlohmann::json(v); };
    return {{"stage", s.stage},
            {"action", s.action},
            {"reasons", s.reasons},
            {"run_id", opt(s.run_id)},
            {"job_id", opt(s.job_id)},
            {"slurm_state", opt(s.slurm_state)},
            {"exit_status", s.exit_status},
            {"started", s.started_ns ? nlohmann::json(pipeline::iso_time(s.started_ns)) : nlohmann::json(nullptr)},
            {"seconds", s.ended_ns > s.started_ns ? double(s.ended_ns - s.started_ns) / 1e9 : 0.0}};
}

// Ctrl-C while `mlops run` waits: on a terminal the person is asked whether the batch's unfinished
// jobs go too (an empty answer, EOF or a second Ctrl-C keeps them); without one (a CI step being
// stopped) they are cancelled, so nothing keeps running that no one waits for.
bool confirm_cancel(Context& ctx, const Batch& b, std::size_t unfinished) {
    if (::isatty(STDIN_FILENO) != 1 || ::isatty(STDERR_FILENO) != 1) return true;
    ctx.err() << fmt::format("\nmlops: interrupted: cancel the {} unfinished Slurm job{} of batch {}? [y/N] ", unfinished,
                             unfinished == 1 ? "" : "s", b.id)
              << std::flush;
    std::string answer;
    char c = 0;
    // read(2), not std::cin: the interrupt handler has no SA_RESTART, so a second Ctrl-C ends the
    // read (EINTR) and counts as "no".
    while (::read(STDIN_FILENO, &c, 1) == 1 && c != '\n') answer += c;
    return !answer.empty() && (answer[0] == 'y' || answer[0] == 'Y');
}

struct PollResult {
    std::map<std::string, pipeline::SlurmJob> last; // the last state seen of each job, by id
    bool interrupted = false;
    bool cancelled = false; // the batch's unfinished jobs were cancelled on the interrupt
};

// Polls Slurm until every job of the batch is final. On Ctrl-C: with `cancel_on_interrupt`, cancels
// the unfinished jobs (after asking, on a terminal) and waits for them to end; otherwise stops.
PollResult poll_jobs(Context& ctx, const Batch& b, bool cancel_on_interrupt) {
    bool chatty = !ctx.global.quiet && !ctx.global.json;
    std::map<std::string, pipeline::SlurmJob> last;
    std::map<std::string, std::string> shown; // job id -> state printed
    std::map<std::string, int> missing;       // consecutive polls without the job
    std::map<std::string, std::string> stage_of;
    for (const auto& j : b.jobs) stage_of[j.job_id] = j.stage;
    pipeline::InterruptGuard guard;
    bool interrupted = false, cancelled = false;
    int failures = 0, cancel_rounds = 0;
    for (;;) {
        if (pipeline::interrupt_requested() && !interrupted) {
            interrupted = true;
            if (!cancel_on_interrupt) break;
            std::vector<std::string> argv{"scancel"};
            for (const auto& j : b.jobs)
                if (!last.contains(j.job_id) || !pipeline::slurm_state_final(last[j.job_id].state)) argv.push_back(j.job_id);
            if (argv.size() > 1 && !confirm_cancel(ctx, b, argv.size() - 1)) break;
            if (argv.size() > 1) slurm_command(argv, false);
            cancelled = true;
            ctx.err() << fmt::format("mlops: interrupted: cancelled {} Slurm job{} of batch {}\n", argv.size() - 1, argv.size() == 2 ? "" : "s", b.id);
        }
        auto out = slurm_command({"scontrol", "-o", "show", "job"}, false);
        if (out.status != 0) {
            // A controller restarting answers again within seconds; a dead one is an error.
            if (++failures >= 10) slurm_command({"scontrol", "-o", "show", "job"});
        } else {
            failures = 0;
            std::map<std::string, pipeline::SlurmJob> now;
            for (auto& j : pipeline::parse_scontrol_jobs(out.out))
                if (stage_of.contains(j.id)) now[j.id] = std::move(j);
            for (const auto& j : b.jobs) {
                auto it = now.find(j.job_id);
                if (it == now.end()) {
                    // Gone from the controller (MinJobAge passed, or the job never existed there).
                    if (++missing[j.job_id] >= 3 && !(last.contains(j.job_id) && pipeline::slurm_state_final(last[j.job_id].state))) {
                        pipeline::SlurmJob gone;
                        gone.id = j.job_id;
                        gone.state = last.contains(j.job_id) && last[j.job_id].state == "RUNNING" ? "COMPLETED" : "UNKNOWN";
                        gone.reason = "gone from the controller";
                        last[j.job_id] = gone;
                    }
                    continue;
                }
                missing[j.job_id] = 0;
                // --kill-on-invalid-dep cancels such a job; should the cluster not, we do: a job
                // that can never start must not keep us waiting.
                if (it->second.state == "PENDING" && it->second.reason == "DependencyNeverSatisfied") {
                    slurm_command({"scancel", j.job_id}, false);
                    it->second.state = "CANCELLED";
                }
                last[j.job_id] = it->second;
                const auto& s = it->second;
                std::string label = s.state == "PENDING" ? fmt::format("pending ({})", s.reason)
                                    : s.state == "RUNNING" ? fmt::format("running on {}", s.node_list)
                                                           : s.state;
                if (shown[j.job_id] != label) {
                    shown[j.job_id] = label;
                    if (chatty) ctx.err() << fmt::format("mlops: {}: {} (job {})\n", j.stage, label, j.job_id) << std::flush;
                }
            }
        }
        bool all_final = true;
        for (const auto& j : b.jobs) all_final &= last.contains(j.job_id) && (pipeline::slurm_state_final(last[j.job_id].state) || last[j.job_id].state == "UNKNOWN");
        if (all_final) break;
        if (interrupted && cancelled) {
            // Cancelled jobs turn final within seconds; do not wait for ever.
            if (++cancel_rounds > 20) break;
        }
        auto until = std::chrono::steady_clock::now() + poll_interval();
        while (std::chrono::steady_clock::now() < until && !(pipeline::interrupt_requested() && !interrupted))
            std::this_thread::sleep_for(std::chrono::milliseconds(50));
    }
    return {last, interrupted, cancelled};
}

// The last 8 KiB of a job's Slurm output (.mlops/slurm/<batch>/<name>-<job>.out), "" when there is none.
std::string job_output_tail(Context& ctx, const Batch& b, const std::string& job_id) {
    std::error_code ec;
    std::string suffix = "-" + job_id + ".out";
    for (const auto& e : std::filesystem::directory_iterator(batch_dir(ctx) + "/" + b.id, ec)) {
        auto name = e.path().filename().string();
        if (!name.ends_with(suffix)) continue;
        auto text = util::read_file_tail(e.path().string(), 8192); // the stage's whole log may be in there
        return text ? *text : std::string();
    }
    return {};
}

// After the jobs ended: fetch the records and each stage's result, bring outputs into the work
// tree, lock what succeeded, report.
int collect(Context& ctx, const Batch& b, const std::map<std::string, pipeline::SlurmJob>& jobs, bool interrupted) {
    auto& repo = ctx.repo();
    auto r = open_remote_for(ctx, b.remote, 0, remote::Access::read);
    auto loaded = util::value_or_throw(pipeline::load(repo, b.file));
    std::map<std::string, pipeline::LockedStage> updates;
    std::vector<StageView> views;
    for (const auto& s : b.settled) views.push_back({s["stage"], "", s["action"], s.value("reasons", std::vector<std::string>{})});
    for (const auto& j : b.jobs) {
        StageView v{j.stage, j.job_id, "failed", {}};
        auto js = jobs.find(j.job_id);
        if (js != jobs.end()) v.slurm_state = js->second.state;
        std::optional<nlohmann::json> result;
        if (auto text = remote_get_text(ctx, r, batch_result_key(b.id, j.stage))) {
            auto doc = nlohmann::json::parse(*text, nullptr, false);
            if (doc.is_object()) result = doc;
        }
        std::optional<pipeline::RunRecord> rec;
        if (result && result->contains("record") && (*result)["record"].is_string()) {
            std::string oid = (*result)["record"];
            // Only this batch's records (and their logs) travel: a request or two per stage.
            if (!repo.objects().exists(oid)) (void)remote::fetch(repo, r, {{oid, false, "run record", ""}}, {});
            if (auto text = repo.objects().read(oid))
                if (auto parsed = pipeline::parse_run_record(*text, oid)) {
                    rec = *parsed;
                    if (!rec->log_oid.empty() && !repo.objects().exists(rec->log_oid))
                        (void)remote::fetch(repo, r, {{rec->log_oid, false, "run log", ""}}, {});
                    (void)pipeline::index_run_object(repo, oid, *text);
                }
        }
        bool slurm_ok = js != jobs.end() && (js->second.state == "COMPLETED" || (js->second.state == "UNKNOWN" && result));
        std::string action = result ? result->value("action", "failed") : "";
        if (rec) {
            v.run_id = rec->run_id;
            v.exit_status = rec->exit_status;
            v.started_ns = rec->started_ns;
            v.ended_ns = rec->ended_ns;
        }
        if (slurm_ok && result && (action == "ran" || action == "restored" || action == "up-to-date")) {
            v.action = action;
            if (rec && action != "up-to-date") {
                bool all = true;
                for (const auto& o : rec->outs) all &= restore_output(ctx, r, o);
                if (!all) {
                    v.action = "failed";
                    v.reasons = {"its outputs could not be fetched from the remote"};
                } else {
                    pipeline::LockedStage entry;
                    entry.cmd = rec->cmd;
                    entry.deps = rec->deps;
                    entry.params = rec->params;
                    entry.outs = rec->outs;
                    updates[j.stage] = entry;
                }
            }
        } else if (js != jobs.end() && js->second.state == "CANCELLED" && js->second.reason == "DependencyNeverSatisfied") {
            v.action = "skipped";
            v.reasons = {"an upstream stage failed: Slurm cancelled the job (DependencyNeverSatisfied)"};
        } else if (js != jobs.end() && js->second.state == "PENDING" && js->second.reason == "DependencyNeverSatisfied") {
            v.action = "skipped";
            v.reasons = {"an upstream stage failed: the job never started"};
        } else {
            v.action = interrupted && (js == jobs.end() || js->second.state == "CANCELLED") ? "interrupted" : "failed";
            if (js != jobs.end() && js->second.state != "COMPLETED" && js->second.state != "FAILED")
                v.reasons.push_back(pipeline::slurm_failure_reason(js->second));
            // The job's own account comes second; when it is Slurm's reason again (a killed stage
            // records it: stage-exec asks the controller) it is said once.
            std::string own = result ? result->value("error", "") : "";
            if (!own.empty() && !(own.starts_with("Slurm: ") && !v.reasons.empty()))
                v.reasons.push_back(own);
            else if (js != jobs.end() && js->second.state == "FAILED")
                v.reasons.push_back(pipeline::slurm_failure_reason(js->second));
            // Killed for its memory without the state saying so (FAILED, JobLaunchFailure):
            // slurmstepd said it in the job's output.
            if (js == jobs.end() || !pipeline::slurm_state_killed(js->second.state))
                if (auto oom = pipeline::slurm_output_kill_reason(job_output_tail(ctx, b, j.job_id)); !oom.empty())
                    v.reasons.insert(v.reasons.begin(), oom);
            if (v.reasons.empty()) v.reasons.push_back("the job left no result on the remote (see its Slurm output in .mlops/slurm/)");
        }
        views.push_back(std::move(v));
    }
    util::value_or_throw(pipeline::update_lock(repo.abs(loaded.lock_file), loaded.lock_file, updates));
    std::size_t ran = 0, restored = 0, current = 0, failed = 0;
    std::vector<std::string> failed_names;
    for (const auto& v : views) {
        ran += v.action == "ran";
        restored += v.action == "restored";
        current += v.action == "up-to-date" || v.action == "frozen";
        if (v.action == "failed" || v.action == "skipped" || v.action == "interrupted") {
            ++failed;
            if (v.action == "failed") failed_names.push_back(v.run_id.empty() ? v.stage : fmt::format("{} (run {})", v.stage, v.run_id));
        }
    }
    if (ctx.global.json) {
        nlohmann::json list = nlohmann::json::array();
        for (const auto& v : views) list.push_back(stage_json(v));
        ctx.print_json({{"ok", failed == 0 && !interrupted}, {"interrupted", interrupted}, {"executor", "slurm"}, {"batch", b.id}, {"stages", list}});
    } else {
        for (const auto& v : views) {
            if (v.action == "failed")
                ctx.err() << fmt::format("mlops: stage {} failed: {}{}\n", v.stage, fmt::join(v.reasons, "; "),
                                         v.run_id.empty() ? fmt::format(" (job {})", v.job_id) : fmt::format(" (run {}, job {})", v.run_id, v.job_id));
            else if (v.action == "skipped")
                ctx.err() << fmt::format("mlops: stage {} not run: {}\n", v.stage, fmt::join(v.reasons, "; "));
            else if (v.action == "interrupted")
                ctx.err() << fmt::format("mlops: stage {} interrupted (job {})\n", v.stage, v.job_id);
            else if (ctx.global.verbose)
                ctx.say(fmt::format("{}: {}", v.stage, v.action));
        }
        if (failed == 0 && !interrupted)
            ctx.say(ran + restored == 0 ? "Pipeline is up to date."
                                        : fmt::format("{} stage{} ran, {} restored from the run cache, {} up to date (Slurm batch {}).", ran,
                                                      ran == 1 ? "" : "s", restored, current, b.id));
    }
    if (interrupted) {
        ctx.err() << "mlops: error: interrupted; stages that finished are recorded, the others will run next time\n";
        return int(util::ExitCode::interrupted);
    }
    if (failed) {
        if (failed_names.empty()) failed_names.push_back("(upstream of the skipped stages)");
        ctx.err() << fmt::format("mlops: error: {} failed: {}; see `mlops runs show RUN --log` and .mlops/slurm/{}/\n",
                                 failed_names.size() == 1 ? "a stage" : fmt::format("{} stages", failed_names.size()), fmt::join(failed_names, ", "), b.id);
        return int(util::ExitCode::stage_failed);
    }
    return 0;
}

// Interrupted, the jobs left running: how to come back to them.
int jobs_go_on(Context& ctx, const Batch& b) {
    ctx.err() << fmt::format("mlops: error: interrupted; the jobs of batch {} go on (wait for them with `mlops runs wait {}`, "
                             "cancel them with `mlops runs cancel {}`)\n",
                             b.id, b.id, b.id);
    return int(util::ExitCode::interrupted);
}

std::string self_exe() {
    std::error_code ec;
    auto p = std::filesystem::read_symlink("/proc/self/exe", ec);
    return ec ? std::string("mlops") : p.string();
}

} // namespace

int run_on_slurm(Context& ctx, const SlurmRunOptions& opts) {
    auto& repo = ctx.repo();
    bool chatty = !ctx.global.quiet && !ctx.global.json;
    // The jobs share data through a remote: without one nothing can work, so say it first.
    if (remote::remote_names(repo.config()).empty())
        throw CommandError(Error::usage("the slurm executor needs a shared remote: the jobs fetch their inputs from it and push their outputs "
                                        "and run records to it (add one with `mlops remote add NAME s3://BUCKET/PREFIX`)"));
    auto rc = util::value_or_throw(remote::find_remote(repo.config(), opts.remote));
    auto loaded = util::value_or_throw(pipeline::load(repo, opts.file));
    const auto& g = loaded.graph;
    const auto& stages = loaded.pipeline->stages;
    auto roots = opts.stages.empty() ? g.order : util::value_or_throw(pipeline::select_stages(g, opts.stages));
    auto selected = g.closure(roots, true, opts.downstream);
    // Every stage's sbatch options first: a bad resource request stops us before anything is submitted.
    std::map<std::size_t, std::vector<std::string>> resource_args;
    for (auto i : selected) resource_args[i] = util::value_or_throw(pipeline::sbatch_resource_args(stages[i]));

    Batch b;
    b.id = new_batch_id();
    b.file = loaded.pipeline->file;
    b.remote = rc.name;
    std::vector<bool> has_job(stages.size(), false);
    std::vector<std::size_t> to_submit;
    std::map<std::size_t, std::vector<std::string>> reasons_of;
    for (auto i : selected) {
        const auto& s = stages[i];
        if (s.frozen && !opts.force) {
            b.settled.push_back({{"stage", s.name}, {"action", "frozen"}});
            continue;
        }
        auto it = loaded.lock.stages.find(s.name);
        auto st = util::value_or_throw(pipeline::stage_state(repo, s, it == loaded.lock.stages.end() ? nullptr : &it->second));
        auto reasons = st.reasons;
        for (auto u : g.upstream[i])
            if (has_job[u]) reasons.push_back(fmt::format("upstream stage {} {}", stages[u].name, opts.dry_run ? "would run" : "will run"));
        if (opts.force && reasons.empty()) reasons.push_back("--force");
        if (reasons.empty()) {
            b.settled.push_back({{"stage", s.name}, {"action", "up-to-date"}});
            continue;
        }
        has_job[i] = true;
        to_submit.push_back(i);
        reasons_of[i] = reasons;
    }
    if (opts.dry_run) {
        if (ctx.global.json) {
            nlohmann::json list = nlohmann::json::array();
            for (const auto& s : b.settled) list.push_back({{"stage", s["stage"]}, {"action", s["action"]}, {"reasons", nlohmann::json::array()}, {"sbatch", nullptr}});
            for (auto i : to_submit) list.push_back({{"stage", stages[i].name}, {"action", "would-run"}, {"reasons", reasons_of[i]}, {"sbatch", resource_args[i]}});
            ctx.print_json({{"ok", true}, {"executor", "slurm"}, {"stages", list}});
        } else {
            for (auto i : to_submit)
                ctx.say(fmt::format("{}: would run as a Slurm job ({}){}", stages[i].name, fmt::join(reasons_of[i], "; "),
                                    resource_args[i].empty() ? "" : fmt::format(" [{}]", fmt::join(resource_args[i], " "))));
            if (to_submit.empty()) ctx.say("Pipeline is up to date.");
        }
        return 0;
    }
    if (to_submit.empty()) {
        if (ctx.global.json) {
            nlohmann::json list = nlohmann::json::array();
            for (const auto& s : b.settled)
                list.push_back(stage_json({s["stage"].get<std::string>(), "", s["action"].get<std::string>(), {}}));
            ctx.print_json({{"ok", true}, {"interrupted", false}, {"executor", "slurm"}, {"batch", nullptr}, {"stages", list}});
        } else {
            ctx.say("Pipeline is up to date.");
        }
        return 0;
    }
    // Slurm is there (a missing sbatch is named before anything is pushed).
    slurm_command({"sbatch", "--version"});
    // The jobs' inputs that are tracked data (not outputs of a stage) go to the remote first.
    auto r = open_remote_for(ctx, rc.name, 0, remote::Access::write);
    {
        std::set<std::string> produced;
        for (const auto& s : stages)
            for (const auto& o : s.outs) produced.insert(o.path);
        std::vector<std::string> tracked;
        for (auto i : to_submit)
            for (const auto& d : stages[i].deps)
                if (!produced.contains(d) && util::value_or_throw(util::stat_path(repo.abs(d + ".mlops"))).has_value()) tracked.push_back(d);
        if (!tracked.empty()) {
            auto sel = remote::value_or_throw(remote::select_paths(repo, tracked));
            auto data_roots = remote::value_or_throw(remote::roots_for(repo, sel));
            auto st = remote::value_or_throw(remote::push(repo, r, data_roots, {}));
            if (st.error) throw CommandError(*st.error);
        }
    }
    std::string logs = batch_dir(ctx) + "/" + b.id;
    util::value_or_throw(util::make_dirs(logs));
    std::string exe = self_exe();
    std::map<std::size_t, std::string> job_of;
    std::size_t slot = 0;
    // The upstream jobs of stage i, sorted (all submitted already: to_submit is in topological order).
    auto deps_of = [&](std::size_t i) {
        std::vector<std::string> ids;
        for (auto u : g.upstream[i])
            if (job_of.contains(u)) ids.push_back(job_of[u]);
        std::sort(ids.begin(), ids.end());
        return fmt::format("{}", fmt::join(ids, ":"));
    };
    auto ready = [&](std::size_t i) {
        for (auto u : g.upstream[i])
            if (has_job[u] && !job_of.contains(u)) return false;
        return true;
    };
    auto template_of = [](const std::string& name) { return name.substr(0, name.find('@')); };
    // The positions in to_submit of each foreach/matrix stage's items: an array's candidates are
    // looked for among its own items only (linear in a 1,000-item foreach, not quadratic).
    std::map<std::string, std::vector<std::size_t>> items_of;
    for (std::size_t k = 0; k < to_submit.size(); ++k)
        if (stages[to_submit[k]].name.find('@') != std::string::npos) items_of[template_of(stages[to_submit[k]].name)].push_back(k);
    for (std::size_t k = 0; k < to_submit.size(); ++k) {
        auto i = to_submit[k];
        if (job_of.contains(i)) continue; // submitted with an array
        const auto& s = stages[i];
        std::string deps = deps_of(i);
        // The items of a foreach/matrix stage with the same resources and the same upstream jobs
        // go as one job array: one sbatch, one pending record for the scheduler. (Under -j N every
        // job carries its own singleton slot, so they go one by one.)
        std::vector<std::size_t> members{i};
        if (opts.jobs == 0 && s.name.find('@') != std::string::npos)
            for (auto m : items_of[template_of(s.name)]) {
                if (members.size() >= k_max_array) break;
                auto x = to_submit[m];
                if (m > k && !job_of.contains(x) && resource_args[x] == resource_args[i] && ready(x) && deps_of(x) == deps) members.push_back(x);
            }
        bool array = members.size() > 1;
        std::vector<std::string> argv{"sbatch", "--parsable", "--kill-on-invalid-dep=yes", "--chdir=" + repo.root()};
        if (opts.jobs > 0) {
            // At most N jobs at once: N job names, each `singleton` (one running job per name).
            argv.push_back(fmt::format("--job-name=mlops-{}-{}", b.id, slot++ % opts.jobs));
            argv.push_back("--dependency=" + (deps.empty() ? std::string("singleton") : "afterok:" + deps + ",singleton"));
        } else {
            argv.push_back("--job-name=mlops:" + (array ? template_of(s.name) : s.name));
            if (!deps.empty()) argv.push_back("--dependency=afterok:" + deps);
        }
        if (array) argv.push_back(fmt::format("--array=0-{}", members.size() - 1));
        std::string safe;
        for (char c : array ? template_of(s.name) : s.name)
            safe += std::isalnum(static_cast<unsigned char>(c)) || c == '-' || c == '_' || c == '.' ? c : '_';
        argv.push_back(fmt::format("--output={}/{}-{}.out", logs, safe, array ? "%A_%a" : "%j"));
        for (const auto& a : resource_args[i]) argv.push_back(a);
        // An array's step picks its stage by SLURM_ARRAY_TASK_ID from the list.
        std::vector<std::string> step{exe, "stage-exec", "--batch", b.id, "--remote", rc.name, "-f", b.file};
        if (!opts.run_cache) step.push_back("--no-run-cache");
        if (opts.force) step.push_back("--force");
        step.push_back("--");
        for (auto x : members) step.push_back(stages[x].name);
        argv.push_back("--wrap=" + pipeline::shell_join(step));
        auto out = pipeline::run_command(argv, k_slurm_timeout);
        std::string id = out.out.substr(0, out.out.find_first_of(";\n"));
        if (out.status != 0 || id.empty() || !std::all_of(id.begin(), id.end(), [](unsigned char c) { return std::isdigit(c); })) {
            // Nothing half-submitted stays behind.
            if (!job_of.empty()) {
                std::vector<std::string> cancel{"scancel"};
                for (const auto& [k, v] : job_of) cancel.push_back(v);
                slurm_command(cancel, false);
            }
            std::string words = slurm_words(out);
            std::string what = fmt::format("sbatch rejected stage {}{}: {}", s.name,
                                           resource_args[i].empty() ? "" : fmt::format(" ({})", fmt::join(resource_args[i], " ")), words);
            if (out.status == 127) throw CommandError(Error::usage(fmt::format("cannot run `sbatch`: {}", words)));
            bool unreachable = words.find("Unable to contact") != std::string::npos;
            throw CommandError(unreachable ? Error::io(fmt::format("`sbatch` failed: {}", words)) : Error::usage(what));
        }
        for (std::size_t t = 0; t < members.size(); ++t) {
            auto x = members[t];
            std::string job = array ? fmt::format("{}_{}", id, t) : id;
            job_of[x] = job;
            b.jobs.push_back({stages[x].name, job, reasons_of[x]});
            if (chatty)
                ctx.err() << fmt::format("mlops: {}: submitted as Slurm job {} ({})\n", stages[x].name, job, reasons_of[x].front()) << std::flush;
        }
    }
    save_batch(ctx, b);
    if (opts.detach) {
        if (ctx.global.json) {
            nlohmann::json list = nlohmann::json::array();
            for (const auto& j : b.jobs) list.push_back({{"stage", j.stage}, {"job_id", j.job_id}, {"reasons", j.reasons}});
            ctx.print_json({{"batch", b.id}, {"executor", "slurm"}, {"jobs", list}});
        } else {
            ctx.say(fmt::format("Submitted {} Slurm job{} as batch {}; wait with `mlops runs wait {}`, cancel with `mlops runs cancel {}`.",
                                b.jobs.size(), b.jobs.size() == 1 ? "" : "s", b.id, b.id, b.id));
        }
        return 0;
    }
    auto polled = poll_jobs(ctx, b, true);
    if (polled.interrupted && !polled.cancelled) return jobs_go_on(ctx, b);
    return collect(ctx, b, polled.last, polled.interrupted);
}

int wait_slurm_batch(Context& ctx, const std::string& batch) {
    auto b = load_batch(ctx, batch);
    auto polled = poll_jobs(ctx, b, false);
    if (polled.interrupted) return jobs_go_on(ctx, b);
    return collect(ctx, b, polled.last, false);
}

int cancel_slurm_batch(Context& ctx, const std::string& batch) {
    auto b = load_batch(ctx, batch);
    std::vector<std::string> argv{"scancel"};
    for (const auto& j : b.jobs) argv.push_back(j.job_id);
    slurm_command(argv);
    if (ctx.global.json) {
        nlohmann::json ids = nlohmann::json::array();
        for (const auto& j : b.jobs) ids.push_back(j.job_id);
        ctx.print_json({{"batch", b.id}, {"cancelled", ids}});
    } else {
        ctx.say(fmt::format("Cancelled the {} Slurm job{} of batch {} (jobs that already ended are left as they are).", b.jobs.size(),
                            b.jobs.size() == 1 ? "" : "s", b.id));
    }
    return 0;
}

} // namespace mlops::cli
