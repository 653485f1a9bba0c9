#include <mlops/workspace/history.hpp>

#include <set>
#include <unordered_set>

#include <mlops/util/fs.hpp>

namespace mlops::workspace {

using util::Error;
using util::fail;

Result<std::map<std::string, Pointer>> pointers_at(Repository& repo, const std::string& commit, const std::string& rev_name) {
    auto* git = MLOPS_TRY(repo.git());
    std::vector<gitrepo::BlobAt> blobs;
    std::unordered_set<std::string> seen;
    MLOPS_TRYV(git->find_blobs(commit, k_pointer_suffix, seen, [&](const gitrepo::BlobAt& b) { blobs.push_back(b); }));
    std::map<std::string, Pointer> out;
    for (const auto& b : blobs) {
        auto data = data_path_for(b.path);
        if (!data) continue;
        auto text = MLOPS_TRY(git->read_blob(b.blob_id));
        out[*data] = MLOPS_TRY(Pointer::parse(text, rev_name + ":" + b.path));
    }
    return out;
}

namespace {

struct Side {
    std::map<std::string, Pointer> pointers;
    std::map<std::string, store::Tree> trees; // work-tree folders, already scanned
};

Result<Side> workspace_side(Repository& repo, const std::vector<std::string>& only) {
    Side side;
    auto tracked = MLOPS_TRY(find_tracked_paths(repo));
    for (const auto& p : tracked) {
        if (!only.empty() && std::find(only.begin(), only.end(), p) == only.end()) continue;
        if (!MLOPS_TRY(util::stat_path(repo.abs(p)))) continue; // missing data: nothing there
        auto snap = MLOPS_TRY(snapshot(repo, p, ScanOptions{}));
        side.pointers[p] = snap.pointer;
        if (snap.pointer.kind == Kind::dir) side.trees[p] = std::move(snap.tree);
    }
    return side;
}

Result<std::optional<store::Tree>> tree_of(Repository& repo, const Side& side, const std::string& path, const Pointer& p) {
    if (auto it = side.trees.find(path); it != side.trees.end()) return std::optional<store::Tree>{it->second};
    if (!repo.objects().exists(p.oid)) return std::optional<store::Tree>{};
    auto text = MLOPS_TRY(repo.objects().read(p.oid));
    return std::optional<store::Tree>{MLOPS_TRY(store::Tree::parse(text, p.oid))};
}

} // namespace

Result<std::vector<DiffEntry>> diff(Repository& repo, const DiffOptions& opts) {
    auto* git = MLOPS_TRY(repo.git());
    Side a, b;
    std::string a_name = opts.a_rev.value_or("HEAD");
    auto a_commit = opts.a_rev ? std::optional<std::string>(MLOPS_TRY(git->resolve_commit(*opts.a_rev)))
                               : MLOPS_TRY(git->head_commit());
    if (a_commit) a.pointers = MLOPS_TRY(pointers_at(repo, *a_commit, a_name));
    if (opts.b_rev) {
        auto b_commit = MLOPS_TRY(git->resolve_commit(*opts.b_rev));
        b.pointers = MLOPS_TRY(pointers_at(repo, b_commit, *opts.b_rev));
    } else {
        b = MLOPS_TRY(workspace_side(repo, opts.paths));
    }
    std::set<std::string> all;
    for (auto& [k, _] : a.pointers) all.insert(k);
    for (auto& [k, _] : b.pointers) all.insert(k);
    std::vector<DiffEntry> out;
    for (const auto& path : all) {
        if (!opts.paths.empty() && std::find(opts.paths.begin(), opts.paths.end(), path) == opts.paths.end()) continue;
        auto ia = a.pointers.find(path);
        auto ib = b.pointers.find(path);
        const Pointer* pa = ia == a.pointers.end() ? nullptr : &ia->second;
        const Pointer* pb = ib == b.pointers.end() ? nullptr : &ib->second;
        if (pa && pb && pa->oid == pb->oid) continue;
        // Inside folders, list files when both trees are known.
        std::optional<store::Tree> ta, tb;
        if (pa && pa->kind == Kind::dir) ta = MLOPS_TRY(tree_of(repo, a, path, *pa));
        if (pb && pb->kind == Kind::dir) tb = MLOPS_TRY(tree_of(repo, b, path, *pb));
        bool a_known = !pa || pa->kind == Kind::file || ta;
        bool b_known = !pb || pb->kind == Kind::file || tb;
        if ((pa && pa->kind == Kind::dir) || (pb && pb->kind == Kind::dir)) {
            if (a_known && b_known) {
                auto as_tree = [](const Pointer* p, std::optional<store::Tree>& t) {
                    if (!p) return store::Tree{};
                    if (p->kind == Kind::dir) return *t;
                    store::Tree single;
                    single.entries.push_back({"", store::EntryMode::file, p->size, p->oid});
                    return single;
                };
                store::Tree before = as_tree(pa, ta), after = as_tree(pb, tb);
                // Index the entries by path to report oids too.
                for (auto& c : diff_trees(before, after, path)) {
                    DiffEntry e{c.path, c.change, c.old_size, c.new_size, "", "", false, false};
                    std::string rel = c.path.size() > path.size() ? c.path.substr(path.size() + 1) : "";
                    if (auto* x = before.find(rel)) e.old_oid = x->oid;
                    if (auto* y = after.find(rel)) e.new_oid = y->oid;
                    if (e.path.ends_with("/")) e.path.pop_back();
                    out.push_back(std::move(e));
                }
                continue;
            }
        }
        DiffEntry e;
        e.path = path;
        e.change = !pa ? ChangeKind::added : !pb ? ChangeKind::removed : ChangeKind::modified;
        if (pa) e.old_size = pa->size, e.old_oid = pa->oid;
        if (pb) e.new_size = pb->size, e.new_oid = pb->oid;
        e.is_dir = (pa && pa->kind == Kind::dir) || (pb && pb->kind == Kind::dir);
        e.contents_unknown = e.is_dir;
        out.push_back(std::move(e));
    }
    return out;
}

Result<std::vector<LogEntry>> log(Repository& repo, const std::string& path, std::size_t max_count) {
    auto* git = MLOPS_TRY(repo.git());
    auto head = MLOPS_TRY(git->head_commit());
    std::vector<LogEntry> out;
    if (!head) return out;
    std::string ptr = pointer_path_for(path);
    MLOPS_TRYV(git->walk({*head}, [&](const std::string& id, const std::vector<std::string>& parents) -> Result<bool> {
        auto mine = MLOPS_TRY(git->blob_id_at(id, ptr));
        std::optional<std::string> theirs;
        if (!parents.empty()) theirs = MLOPS_TRY(git->blob_id_at(parents.front(), ptr));
        if (mine == theirs) return true;
        LogEntry e;
        e.commit = MLOPS_TRY(git->commit_info(id));
        if (mine) e.pointer = MLOPS_TRY(Pointer::parse(MLOPS_TRY(git->read_blob(*mine)), id.substr(0, 12) + ":" + ptr));
        out.push_back(std::move(e));
        return max_count == 0 || out.size() < max_count;
    }));
    return out;
}

} // namespace mlops::workspace
