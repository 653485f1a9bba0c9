#include <mlops/pipeline/roots.hpp>

#include <unordered_set>

#include <mlops/pipeline/lock.hpp>
#include <mlops/pipeline/record.hpp>
#include <mlops/util/fs.hpp>
#include <mlops/util/paths.hpp>

namespace mlops::pipeline {

namespace {

constexpr std::string_view k_lock_name = "mlops.lock";

Status add_outs(workspace::Reachable& r, const std::vector<LockedOut>& outs, const std::string& where) {
    for (const auto& o : outs) {
        workspace::Pointer p{1, o.kind == "dir" ? workspace::Kind::dir : workspace::Kind::file, o.oid, o.size, o.files};
        MLOPS_TRYV(r.add_pointer(p, where + ": " + o.path));
    }
    return {};
}

Status add_lock_text(workspace::Reachable& r, const std::string& text, const std::string& where) {
    auto lock = MLOPS_TRY(parse_lock(text, where));
    for (const auto& [name, s] : lock.stages) MLOPS_TRYV(add_outs(r, s.outs, where));
    return {};
}

Status collect_locks(workspace::Repository& repo, workspace::RootScope scope, workspace::Reachable& r) {
    std::string lock = repo.abs(std::string(k_lock_name));
    if (MLOPS_TRY(util::stat_path(lock))) MLOPS_TRYV(add_lock_text(r, MLOPS_TRY(util::read_file(lock)), std::string(k_lock_name)));
    if (!repo.has_git()) return {};
    auto* git = MLOPS_TRY(repo.git());
    std::vector<gitrepo::BlobAt> blobs;
    auto keep = [&](const gitrepo::BlobAt& b) {
        if (util::file_name(b.path) == k_lock_name) blobs.push_back(b);
    };
    MLOPS_TRYV(git->find_index_blobs(".lock", keep));
    if (scope == workspace::RootScope::history) {
        auto tips = MLOPS_TRY(git->ref_tips());
        if (auto head = MLOPS_TRY(git->head_commit())) tips.push_back(*head);
        std::unordered_set<std::string> seen_trees;
        MLOPS_TRYV(git->walk(tips, [&](const std::string& id, const std::vector<std::string>&) -> Result<bool> {
            MLOPS_TRYV(git->find_blobs(id, ".lock", seen_trees, [&](const gitrepo::BlobAt& b) {
                if (util::file_name(b.path) == k_lock_name) blobs.push_back({id.substr(0, 12) + ":" + b.path, b.blob_id});
            }));
            return true;
        }));
    }
    std::unordered_set<std::string> seen;
    for (const auto& b : blobs) {
        if (!seen.insert(b.blob_id).second) continue;
        MLOPS_TRYV(add_lock_text(r, MLOPS_TRY(git->read_blob(b.blob_id)), b.path));
    }
    return {};
}

// Every recorded run: its record, its log and its outputs (the run cache restores from them).
Status collect_runs(workspace::Repository& repo, workspace::RootScope, workspace::Reachable& r) {
    auto* index = MLOPS_TRY(repo.index());
    for (const auto& row : MLOPS_TRY(index->runs("", 0))) {
        r.add_oid(row.oid);
        auto text = repo.objects().read(row.oid);
        if (!text) continue; // a missing record protects nothing; fsck reports damage
        auto rec = parse_run_record(*text, row.oid);
        if (!rec) continue;
        if (!rec->log_oid.empty()) r.add_oid(rec->log_oid);
        MLOPS_TRYV(add_outs(r, rec->outs, "run " + rec->run_id));
    }
    return {};
}

} // namespace

const std::vector<workspace::RootSource>& root_sources() {
    static const std::vector<workspace::RootSource> sources = {
        {"mlops.lock outputs", collect_locks},
        {"run records", collect_runs},
    };
    return sources;
}

} // namespace mlops::pipeline
