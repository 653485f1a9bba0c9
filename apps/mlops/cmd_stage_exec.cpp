// mlops stage-exec: the step inside one Slurm job of `mlops run --executor slurm` (slurm_cli.hpp).
// Brings the stage's inputs from the shared remote (the outputs its upstream jobs recorded for this
// batch; tracked data that is missing here), restores the stage from the run cache (this clone's,
// or any node's through the remote), else runs it; pushes outputs, log and run record, leaves the
// stage's result for the submitting side, and exits with the command's status.
#include "commands.hpp"

#include <mlops/pipeline/record.hpp>
#include <mlops/pipeline/runner.hpp>
#include <mlops/pipeline/slurm.hpp>
#include <mlops/remote/transfer.hpp>
#include <mlops/util/fs.hpp>

#include "records_cli.hpp"
#include "remote_cli.hpp"
#include "slurm_cli.hpp"

namespace mlops::cli {

struct StageExecOptions {
    std::string stage;
    std::vector<std::string> array; // a job array's stages, picked by SLURM_ARRAY_TASK_ID
    std::string batch;
    std::string remote;
    std::string file = "mlops.yaml";
    bool no_run_cache = false;
    bool force = false;
};

namespace {

bool path_within(const std::string& path, const std::string& outer) {
    return path == outer || path.starts_with(outer + "/");
}

// The record a batch result names, fetched when this clone lacks it.
std::optional<pipeline::RunRecord> result_record(Context& ctx, remote::OpenedRemote& r, const std::string& key) {
    auto text = remote_get_text(ctx, r, key);
    if (!text) return std::nullopt;
    auto doc = nlohmann::json::parse(*text, nullptr, false);
    if (!doc.is_object() || !doc.contains("record") || !doc["record"].is_string()) return std::nullopt;
    std::string oid = doc["record"];
    auto& repo = ctx.repo();
    if (!repo.objects().exists(oid)) (void)remote::fetch(repo, r, {{oid, false, "run record", ""}}, {});
    auto rec_text = repo.objects().read(oid);
    if (!rec_text) return std::nullopt;
    auto rec = pipeline::parse_run_record(*rec_text, oid);
    if (!rec) return std::nullopt;
    (void)pipeline::index_run_object(repo, oid, *rec_text);
    return *rec;
}

// The stage of this task of a job array: the SLURM_ARRAY_TASK_ID-th of the list.
std::string array_stage(const std::vector<std::string>& stages) {
    const char* task = std::getenv("SLURM_ARRAY_TASK_ID");
    char* end = nullptr;
    long t = task && *task ? std::strtol(task, &end, 10) : -1;
    if (!task || !*task || *end || t < 0 || std::size_t(t) >= stages.size())
        throw util::CommandError(util::Error::usage(fmt::format("stage-exec: {} stages given, and SLURM_ARRAY_TASK_ID is {}: not a task of their array",
                                                                stages.size(), task && *task ? task : "unset")));
    return stages[std::size_t(t)];
}

} // namespace

int run_stage_exec(Context& ctx, const StageExecOptions& given) {
    auto& repo = ctx.repo();
    StageExecOptions opts = given;
    if (opts.array.size() == 1) opts.stage = opts.array.front();
    else opts.stage = array_stage(opts.array);
    auto r = open_remote_for(ctx, opts.remote, 0, remote::Access::write);
    auto loaded = util::value_or_throw(pipeline::load(repo, opts.file));
    const auto& g = loaded.graph;
    auto i = g.index_of(opts.stage);
    if (i >= loaded.pipeline->stages.size())
        throw util::CommandError(util::Error::usage(fmt::format("{}: no stage '{}'", loaded.pipeline->file, opts.stage)));
    const auto& stage = loaded.pipeline->stages[i];
    auto say = [&](const std::string& line) { ctx.err() << "mlops: " << line << "\n" << std::flush; };

    // 1. Inputs: what the upstream jobs of this batch made (on a shared filesystem already here:
    // nothing is fetched), and tracked data this node lacks.
    for (auto u : g.upstream[i]) {
        auto rec = result_record(ctx, r, batch_result_key(opts.batch, loaded.pipeline->stages[u].name));
        if (!rec) continue; // no job for it in this batch: it was up to date when submitted
        for (const auto& o : rec->outs)
            for (const auto& d : stage.deps)
                if ((path_within(d, o.path) || path_within(o.path, d)) && !restore_output(ctx, r, o))
                    throw util::CommandError(util::Error::remote(fmt::format("cannot fetch {} (output of {}) from '{}'", o.path, rec->stage, r.name)));
    }
    for (const auto& d : stage.deps) {
        if (util::value_or_throw(util::stat_path(repo.abs(d))).has_value()) continue;
        if (!util::value_or_throw(util::stat_path(repo.abs(d + ".mlops"))).has_value()) continue;
        auto sel = remote::value_or_throw(remote::select_paths(repo, {d}));
        auto roots = remote::value_or_throw(remote::roots_for(repo, sel));
        auto st = remote::value_or_throw(remote::fetch(repo, r, roots, {}));
        if (st.error) throw util::CommandError(*st.error);
        for (const auto& s : sel) remote::value_or_throw(remote::checkout_part(repo, s, false));
    }

    // 2. The run cache across nodes: a record of this fingerprint on the remote is brought here, so
    // the run below restores the stage instead of running it.
    auto it = loaded.lock.stages.find(stage.name);
    auto state = util::value_or_throw(pipeline::stage_state(repo, stage, it == loaded.lock.stages.end() ? nullptr : &it->second));
    if (!opts.no_run_cache && !opts.force && !state.missing_deps) {
        auto* index = util::value_or_throw(repo.index());
        if (!util::value_or_throw(index->cached_run(state.fingerprint)))
            if (auto oid = remote_get_text(ctx, r, fingerprint_key(state.fingerprint))) {
                auto st = remote::fetch(repo, r, {{*oid, false, "run record", ""}}, {});
                if (auto text = repo.objects().read(*oid); st && text)
                    if (auto rec = pipeline::parse_run_record(*text, *oid)) {
                        std::vector<remote::Root> outs;
                        for (const auto& o : rec->outs) outs.push_back({o.oid, o.kind == "dir", o.path, ""});
                        auto got = remote::fetch(repo, r, outs, {});
                        if (got && got->failed.objects == 0) (void)pipeline::index_run_object(repo, *oid, *text);
                    }
            }
    }

    // 3. Run (or restore) the one stage; the submitting side writes mlops.lock.
    pipeline::RunOptions ro;
    ro.file = loaded.pipeline->file;
    ro.stages = {stage.name};
    ro.no_upstream = true;
    ro.write_lock = false;
    ro.force = opts.force;
    ro.run_cache = !opts.no_run_cache;
    ro.echo = true;
    ro.say = say;
    // SIGTERM inside a job is Slurm ending it (time limit, node taken away, preemption) or a person's
    // scancel: ask the controller which, so a killed stage is recorded as failed with Slurm's reason.
    ro.interrupt_cause = [&say]() -> std::string {
        const char* id = std::getenv("SLURM_JOB_ID");
        if (!id || !*id) return {};
        auto out = pipeline::run_command({"scontrol", "-o", "show", "job", id}, std::chrono::seconds(5));
        if (out.status != 0) {
            say(fmt::format("interrupted; `scontrol show job {}` failed ({}): {}", id, out.status, out.err));
            return {};
        }
        for (const auto& j : pipeline::parse_scontrol_jobs(out.out))
            if (j.id == id) {
                auto cause = pipeline::slurm_kill_cause(j);
                say(cause.empty() ? fmt::format("interrupted (Slurm: job {} is {}, reason {})", id, j.state, j.reason) : "killed: " + cause);
                return cause;
            }
        return {};
    };
    auto report = util::value_or_throw(pipeline::run(repo, ro));
    if (report.stages.empty()) throw util::CommandError(util::Error::internal("stage-exec: the stage was not judged"));
    const auto& out = report.stages.front();

    // 4. Its record: the run's, the restored one's, or (up to date) the one of this fingerprint.
    auto* index = util::value_or_throw(repo.index());
    std::string record_oid;
    if (!out.run_id.empty()) {
        for (const auto& row : util::value_or_throw(index->runs_with_prefix(out.run_id)))
            if (row.run_id == out.run_id) record_oid = row.oid;
    } else if (out.action == pipeline::Action::up_to_date) {
        if (auto row = util::value_or_throw(index->cached_run(state.fingerprint))) record_oid = row->oid;
    }
    nlohmann::json result = {{"stage", stage.name},
                             {"action", pipeline::action_name(out.action)},
                             {"run_id", out.run_id},
                             {"exit_status", out.exit_status},
                             {"error", out.action == pipeline::Action::failed || out.action == pipeline::Action::skipped
                                           ? fmt::format("{}", fmt::join(out.reasons, "; "))
                                           : std::string()},
                             {"record", record_oid.empty() ? nlohmann::json(nullptr) : nlohmann::json(record_oid)}};

    // 5. Push the record, its log and the outputs; list the record; remember the fingerprint; leave
    // the result last (the submitting side reads it once the job ended).
    if (!record_oid.empty()) {
        std::vector<remote::Root> roots{{record_oid, false, "run " + out.run_id, ""}};
        if (auto text = repo.objects().read(record_oid))
            if (auto rec = pipeline::parse_run_record(*text, record_oid)) {
                if (!rec->log_oid.empty()) roots.push_back({rec->log_oid, false, "run log", ""});
                for (const auto& o : rec->outs) roots.push_back({o.oid, o.kind == "dir", o.path, ""});
            }
        auto st = remote::value_or_throw(remote::push(repo, r, roots, {}));
        if (st.error) throw util::CommandError(*st.error);
        // Listed as `mlops push` lists records (refs/runs/<oid>), with one PUT: publish_refs would
        // list every ref first, a request per thousand runs in every job.
        remote_put_text(ctx, r, "refs/runs/" + record_oid, "");
        if (out.action == pipeline::Action::ran) remote_put_text(ctx, r, fingerprint_key(state.fingerprint), record_oid);
    }
    remote_put_text(ctx, r, batch_result_key(opts.batch, stage.name), result.dump() + "\n");
    if (ctx.global.json) ctx.print_json(result);
    if (report.interrupted) return int(util::ExitCode::interrupted);
    if (out.action == pipeline::Action::failed) return out.exit_status > 0 ? out.exit_status : int(util::ExitCode::stage_failed);
    return 0;
}

Runner register_stage_exec(CLI::App& app) {
    auto opts = std::make_shared<StageExecOptions>();
    auto* cmd = app.add_subcommand("stage-exec", "Internal: the step inside a Slurm job of `mlops run --executor slurm`");
    cmd->group(""); // not listed in --help: Slurm runs it, people do not
    cmd->add_option("stage", opts->array, "Stage name (several: the stages of a job array, one per SLURM_ARRAY_TASK_ID)")->required();
    cmd->add_option("--batch", opts->batch, "The batch this job belongs to")->required();
    cmd->add_option("-r,--remote", opts->remote, "The shared remote");
    cmd->add_option("-f,--file", opts->file, "Pipeline file (repository-relative)");
    cmd->add_flag("--no-run-cache", opts->no_run_cache, "Run even when an identical run is recorded");
    cmd->add_flag("--force", opts->force, "Run even when up to date");
    return [opts](Context& ctx) { return run_stage_exec(ctx, *opts); };
}

} // namespace mlops::cli
