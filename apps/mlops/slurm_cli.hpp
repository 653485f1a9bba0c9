// `mlops run --executor slurm` (docs/pipelines.md, "Running on Slurm"): every out-of-date stage of
// the selection, and every stage downstream of one, becomes one sbatch job, chained with
// --dependency=afterok and --kill-on-invalid-dep=yes, all submitted at once. Inside each job
// `mlops stage-exec` fetches the stage's inputs from the shared remote, restores it from the run
// cache (local or remote) or runs it, pushes outputs and record, and leaves a small result object
// on the remote (batches/<batch>/<stage>). The submitting side polls `scontrol -o show job`,
// collects the results and records, and locks the stages that succeeded. A batch is described in
// `.mlops/slurm/<batch>.json`, so `mlops runs wait` and `mlops runs cancel` find its jobs later.
#pragma once

#include <optional>
#include <string>
#include <vector>

#include <nlohmann/json.hpp>

#include <mlops/pipeline/lock.hpp>
#include <mlops/remote/registry.hpp>

#include "context.hpp"

namespace mlops::cli {

struct SlurmRunOptions {
    std::string file = "mlops.yaml"; // repository-relative
    std::vector<std::string> stages;
    unsigned jobs = 0; // at most this many of the batch's jobs run at once (0: as many as Slurm allows)
    bool force = false;
    bool dry_run = false;
    bool downstream = false;
    bool run_cache = true;
    bool detach = false;
    std::string remote;
};
int run_on_slurm(Context& ctx, const SlurmRunOptions& opts);

// `mlops runs wait [BATCH]` / `mlops runs cancel [BATCH]` ("" = the newest batch).
int wait_slurm_batch(Context& ctx, const std::string& batch);
int cancel_slurm_batch(Context& ctx, const std::string& batch);

// What the job side and the submitting side share: the remote keys of a batch's results and of the
// cross-node run cache, and restoring a recorded output into the work tree.
std::string batch_result_key(const std::string& batch, const std::string& stage);
std::string fingerprint_key(const std::string& fingerprint);
// A small object under `key` on the remote (nullopt when it is not there).
std::optional<std::string> remote_get_text(Context& ctx, remote::OpenedRemote& r, const std::string& key);
void remote_put_text(Context& ctx, remote::OpenedRemote& r, const std::string& key, const std::string& text);
// Makes the work-tree path of `out` hold what the record says, fetching missing objects from the
// remote; nothing is written when it already does. Returns false when the content cannot be had.
bool restore_output(Context& ctx, remote::OpenedRemote& r, const pipeline::LockedOut& out);

} // namespace mlops::cli
