#include <mlops/workspace/maintenance.hpp>

#include <mutex>
#include <sys/stat.h>
#include <unistd.h>

#include <mlops/store/tree.hpp>
#include <mlops/util/fs.hpp>
#include <mlops/util/parallel.hpp>
#include <mlops/util/progress.hpp>
#include <mlops/workspace/history.hpp>
#include <mlops/workspace/scan.hpp>

namespace mlops::workspace {

using util::Error;
using util::fail;

Status Reachable::add_pointer(const Pointer& p, const std::string& where) {
    m_oids.insert(p.oid);
    if (p.kind != Kind::dir || !m_expanded.insert(p.oid).second) return {};
    auto text = m_repo.objects().read(p.oid);
    if (!text) {
        if (text.error().kind == util::ErrorKind::integrity && !m_repo.objects().exists(p.oid)) {
            // Never fetched here (e.g. an old commit's data): nothing local hangs off it.
            return {};
        }
        return fail(Error::integrity(fmt::format("{}: {}; gc cannot tell which objects it protects, so it stops "
                                                 "(run `mlops fsck`)", where, text.error().message)));
    }
    auto tree = MLOPS_TRY(store::Tree::parse(*text, p.oid));
    for (const auto& e : tree.entries) m_oids.insert(e.oid);
    return {};
}

namespace {

Status collect_worktree(Repository& repo, RootScope scope, Reachable& r) {
    for (const auto& path : MLOPS_TRY(find_tracked_paths(repo))) {
        std::string ptr = pointer_path_for(path);
        auto p = MLOPS_TRY(read_pointer(repo.abs(ptr), ptr));
        if (p) MLOPS_TRYV(r.add_pointer(*p, ptr));
    }
    if (!repo.has_git()) return {};
    auto* git = MLOPS_TRY(repo.git());
    std::vector<gitrepo::BlobAt> blobs;
    MLOPS_TRYV(git->find_index_blobs(k_pointer_suffix, [&](const gitrepo::BlobAt& b) { blobs.push_back(b); }));
    if (scope == RootScope::history) {
        auto tips = MLOPS_TRY(git->ref_tips());
        if (auto head = MLOPS_TRY(git->head_commit())) tips.push_back(*head);
        std::unordered_set<std::string> seen_trees;
        MLOPS_TRYV(git->walk(tips, [&](const std::string& id, const std::vector<std::string>&) -> Result<bool> {
            MLOPS_TRYV(git->find_blobs(id, k_pointer_suffix, seen_trees, [&](const gitrepo::BlobAt& b) {
                blobs.push_back({id.substr(0, 12) + ":" + b.path, b.blob_id});
            }));
            return true;
        }));
    }
    std::unordered_set<std::string> seen_blobs;
    for (const auto& b : blobs) {
        if (!seen_blobs.insert(b.blob_id).second) continue;
        auto text = MLOPS_TRY(git->read_blob(b.blob_id));
        auto p = MLOPS_TRY(Pointer::parse(text, b.path));
        MLOPS_TRYV(r.add_pointer(p, b.path));
    }
    return {};
}

} // namespace

const std::vector<RootSource>& root_sources() {
    static const std::vector<RootSource> sources = {
        {"pointer files", collect_worktree},
    };
    return sources;
}

Result<GcResult> gc(Repository& repo, const GcOptions& opts, const std::vector<RootSource>& sources) {
    auto lock = MLOPS_TRY(repo.lock_objects(util::LockMode::exclusive));
    Reachable reachable(repo);
    for (const auto& src : sources) MLOPS_TRYV(src.collect(repo, opts.scope, reachable));
    GcResult result;
    for (const auto& oid : MLOPS_TRY(repo.objects().list())) {
        if (reachable.contains(oid)) {
            ++result.kept;
            continue;
        }
        struct stat st;
        if (::stat(repo.objects().path_of(oid).c_str(), &st) == 0) result.removed_bytes += std::uint64_t(st.st_size);
        ++result.removed;
        if (!opts.dry_run) MLOPS_TRYV(repo.objects().remove(oid));
    }
    // With the exclusive lock held no writer is active: every temporary file is debris.
    for (const auto& tmp : MLOPS_TRY(repo.objects().stale_temp_files(0))) {
        ++result.temp_files_removed;
        if (!opts.dry_run) ::unlink(tmp.c_str());
    }
    return result;
}

Result<FsckResult> fsck(Repository& repo, const FsckOptions& opts) {
    FsckResult result;
    if (opts.rebuild_index) {
        auto* index = MLOPS_TRY(repo.index());
        MLOPS_TRYV(index->begin_immediate());
        auto rebuild = [&]() -> Status {
            MLOPS_TRYV(index->clear());
            for (const auto& path : MLOPS_TRY(find_tracked_paths(repo))) {
                std::string ptr = pointer_path_for(path);
                auto p = MLOPS_TRY(read_pointer(repo.abs(ptr), ptr));
                if (p) MLOPS_TRYV(index->upsert_artifact({path, p->oid, kind_name(p->kind), p->size, p->files}));
            }
            return {};
        };
        auto st = rebuild();
        if (!st) {
            index->rollback();
            return fail(std::move(st).error());
        }
        MLOPS_TRYV(index->commit());
        result.index_rebuilt = true;
    }
    auto oids = MLOPS_TRY(repo.objects().list());
    std::uint64_t bytes = 0;
    for (const auto& oid : oids) {
        struct stat st;
        if (::stat(repo.objects().path_of(oid).c_str(), &st) == 0) bytes += std::uint64_t(st.st_size);
    }
    std::mutex mutex;
    {
        util::Progress progress("checking", oids.size(), bytes, opts.progress);
        MLOPS_TRYV(util::parallel_for(oids.size(), repo.jobs(), [&](std::size_t i) -> Status {
            auto state = MLOPS_TRY(repo.objects().check(oids[i]));
            if (state != store::ObjectState::ok) {
                std::lock_guard l(mutex);
                result.corrupt.push_back(oids[i]);
            }
            progress.add(1, 0);
            return {};
        }));
    }
    std::sort(result.corrupt.begin(), result.corrupt.end());
    result.checked = oids.size();
    // References from the work tree that the store cannot satisfy.
    for (const auto& path : MLOPS_TRY(find_tracked_paths(repo))) {
        std::string ptr = pointer_path_for(path);
        auto p = MLOPS_TRY(read_pointer(repo.abs(ptr), ptr));
        if (!p) continue;
        if (!repo.objects().exists(p->oid)) {
            result.missing.push_back(fmt::format("{}: {}", path, p->oid));
            continue;
        }
        if (p->kind != Kind::dir) continue;
        auto text = repo.objects().read(p->oid);
        if (!text) continue; // reported as corrupt above
        auto tree = store::Tree::parse(*text, p->oid);
        if (!tree) {
            result.corrupt.push_back(p->oid);
            continue;
        }
        for (const auto& e : tree->entries)
            if (!repo.objects().exists(e.oid)) result.missing.push_back(fmt::format("{}/{}: {}", path, e.path, e.oid));
    }
    for (auto& t : MLOPS_TRY(repo.objects().stale_temp_files(0))) result.temp_files.push_back(std::move(t));
    return result;
}

} // namespace mlops::workspace
