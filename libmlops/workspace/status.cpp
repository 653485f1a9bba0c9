#include <mlops/workspace/status.hpp>

#include <algorithm>

#include <mlops/util/fs.hpp>

namespace mlops::workspace {

using util::Error;
using util::fail;

const char* state_name(PathState s) {
    switch (s) {
    case PathState::unchanged: return "unchanged";
    case PathState::modified: return "modified";
    case PathState::missing: return "missing";
    case PathState::not_in_store: return "not_in_store";
    }
    return "?";
}

const char* change_name(ChangeKind c) {
    switch (c) {
    case ChangeKind::added: return "added";
    case ChangeKind::removed: return "removed";
    case ChangeKind::modified: return "modified";
    }
    return "?";
}

std::vector<FileChange> diff_trees(const store::Tree& before, const store::Tree& after, const std::string& prefix) {
    std::vector<FileChange> out;
    auto full = [&](const std::string& p) { return prefix.empty() ? p : prefix + "/" + p; };
    std::size_t i = 0, j = 0;
    const auto& a = before.entries;
    const auto& b = after.entries;
    while (i < a.size() || j < b.size()) {
        if (j == b.size() || (i < a.size() && a[i].path < b[j].path)) {
            out.push_back({full(a[i].path), ChangeKind::removed, a[i].size, 0});
            ++i;
        } else if (i == a.size() || b[j].path < a[i].path) {
            out.push_back({full(b[j].path), ChangeKind::added, 0, b[j].size});
            ++j;
        } else {
            if (a[i].oid != b[j].oid || a[i].mode != b[j].mode)
                out.push_back({full(a[i].path), ChangeKind::modified, a[i].size, b[j].size});
            ++i;
            ++j;
        }
    }
    return out;
}

Result<std::vector<std::string>> resolve_tracked(Repository& repo, const std::vector<std::string>& paths) {
    if (paths.empty()) return find_tracked_paths(repo);
    std::vector<std::string> out;
    for (const auto& p : paths) {
        std::string data = data_path_for(p).value_or(p);
        if (!MLOPS_TRY(util::stat_path(repo.abs(pointer_path_for(data)))))
            return fail(Error::usage(fmt::format("{}: not tracked (no {} file)", p, pointer_path_for(data))));
        out.push_back(data);
    }
    return out;
}

Result<std::vector<PathStatus>> status(Repository& repo, const StatusOptions& opts) {
    auto paths = MLOPS_TRY(resolve_tracked(repo, opts.paths));
    std::vector<PathStatus> out;
    std::vector<std::pair<std::string, index::StatSet>> cache_updates;
    for (const auto& p : paths) {
        std::string ptr_rel = pointer_path_for(p);
        auto ptr = MLOPS_TRY(read_pointer(repo.abs(ptr_rel), ptr_rel));
        PathStatus ps;
        ps.path = p;
        ps.kind = ptr->kind;
        ps.expected_oid = ptr->oid;
        auto st = MLOPS_TRY(util::stat_path(repo.abs(p)));
        if (!st) {
            ps.state = repo.objects().exists(ptr->oid) ? PathState::missing : PathState::not_in_store;
            out.push_back(std::move(ps));
            continue;
        }
        ScanOptions so;
        so.progress = opts.progress;
        so.entries = TreeEntries::oid_only;
        auto snap = MLOPS_TRY(snapshot(repo, p, so));
        if (snap.tree_from_cache && snap.pointer.oid != ptr->oid && ptr->kind == Kind::dir) {
            // The work tree is as last scanned but not as the pointer says (a git checkout of
            // another pointer): the entries are needed to say what differs.
            so.entries = TreeEntries::needed;
            snap = MLOPS_TRY(snapshot(repo, p, so));
        }
        if (snap.stat_set) cache_updates.emplace_back(p, std::move(*snap.stat_set));
        ps.actual_oid = snap.pointer.oid;
        if (snap.pointer.oid == ptr->oid && snap.pointer.kind == ptr->kind) {
            ps.state = PathState::unchanged;
        } else {
            ps.state = PathState::modified;
            if (ptr->kind == Kind::dir && snap.pointer.kind == Kind::dir) {
                // The recorded tree tells what changed inside; without it we can only say "modified".
                auto text = repo.objects().read(ptr->oid);
                if (text) {
                    auto before = MLOPS_TRY(store::Tree::parse(*text, ptr->oid));
                    ps.changes = diff_trees(before, snap.tree, p);
                }
            }
        }
        out.push_back(std::move(ps));
    }
    // Refreshing the cache is an optimisation; a busy index must not fail a read-only command.
    if (!cache_updates.empty()) {
        auto* index = MLOPS_TRY(repo.index());
        for (const auto& [path, set] : cache_updates) (void)index->store_stat_set(path, set);
    }
    return out;
}

} // namespace mlops::workspace
