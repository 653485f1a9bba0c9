#include <mlops/workspace/checkout.hpp>

#include <cerrno>
#include <filesystem>
#include <unistd.h>

#include <mlops/util/fs.hpp>
#include <mlops/util/parallel.hpp>
#include <mlops/util/paths.hpp>
#include <mlops/util/progress.hpp>
#include <mlops/workspace/materialize.hpp>

namespace mlops::workspace {

using util::Error;
using util::fail;

Result<store::Tree> target_tree(Repository& repo, const Pointer& p, const std::string& path) {
    if (p.kind == Kind::file) {
        store::Tree t;
        t.entries.push_back({"", store::EntryMode::file, p.size, p.oid});
        return t;
    }
    if (!repo.objects().exists(p.oid))
        return fail(Error::integrity(fmt::format("{}: tree object {} is missing from the store (fetch it from a remote)", path, p.oid)));
    auto text = repo.objects().read(p.oid);
    if (!text) {
        auto e = std::move(text).error();
        e.message = fmt::format("{}: {}", path, e.message);
        return fail(std::move(e));
    }
    return store::Tree::parse(*text, p.oid);
}

namespace {

struct Plan {
    std::string path;
    Pointer pointer;
    store::Tree target;
    std::vector<const store::TreeEntry*> write;
    std::vector<std::string> remove;    // absolute paths of files to delete
    bool replace_kind = false;           // a folder where a file goes, or the reverse
    bool make_dir = false;               // a folder that is not there (an empty one gets no files)
    std::optional<index::StatSet> stat_set; // of the unchanged work tree
};

std::string entry_abs(Repository& repo, const std::string& path, const std::string& entry) {
    return entry.empty() ? repo.abs(path) : repo.abs(path + "/" + entry);
}

void remove_empty_dirs(const std::string& root_abs, const std::string& file_abs) {
    std::string dir = util::parent_path(file_abs);
    while (dir.size() > root_abs.size() && ::rmdir(dir.c_str()) == 0) dir = util::parent_path(dir);
}

} // namespace

Result<std::vector<CheckoutResult>> checkout(Repository& repo, const CheckoutOptions& opts) {
    auto paths = MLOPS_TRY(resolve_tracked(repo, opts.paths));
    auto links = MLOPS_TRY(link_types(repo));
    std::vector<Plan> plans;
    std::vector<std::string> conflicts;
    std::vector<std::string> missing;

    for (const auto& p : paths) {
        Plan plan;
        plan.path = p;
        std::string ptr_rel = pointer_path_for(p);
        plan.pointer = *MLOPS_TRY(read_pointer(repo.abs(ptr_rel), ptr_rel));
        plan.target = MLOPS_TRY(target_tree(repo, plan.pointer, p));
        auto st = MLOPS_TRY(util::stat_path(repo.abs(p)));
        store::Tree current;
        if (st) {
            auto snap = MLOPS_TRY(snapshot(repo, p, ScanOptions{}));
            plan.stat_set = std::move(snap.stat_set);
            if (snap.pointer.oid == plan.pointer.oid && snap.pointer.kind == plan.pointer.kind) {
                plans.push_back(std::move(plan));
                continue;
            }
            if (snap.pointer.kind == Kind::file)
                current.entries.push_back({"", store::EntryMode::file, snap.pointer.size, snap.pointer.oid});
            else
                current = std::move(snap.tree);
            plan.replace_kind = snap.pointer.kind != plan.pointer.kind;
        }
        plan.make_dir = plan.pointer.kind == Kind::dir && (!st || plan.replace_kind);
        // Pair up current and target entries.
        std::size_t i = 0, j = 0;
        auto& a = current.entries;
        auto& b = plan.target.entries;
        auto guard = [&](const store::TreeEntry& e) {
            // Content that exists only in the work tree would be lost.
            if (e.mode != store::EntryMode::symlink && !repo.objects().exists(e.oid))
                conflicts.push_back(e.path.empty() ? p : p + "/" + e.path);
        };
        while (i < a.size() || j < b.size()) {
            if (j == b.size() || (i < a.size() && a[i].path < b[j].path) || plan.replace_kind) {
                if (i == a.size()) break;
                guard(a[i]);
                plan.remove.push_back(entry_abs(repo, p, a[i].path));
                ++i;
            } else if (i == a.size() || b[j].path < a[i].path) {
                plan.write.push_back(&b[j]);
                ++j;
            } else {
                if (a[i].oid != b[j].oid || a[i].mode != b[j].mode) {
                    guard(a[i]);
                    plan.write.push_back(&b[j]);
                }
                ++i;
                ++j;
            }
        }
        if (plan.replace_kind)
            for (auto& e : b) plan.write.push_back(&e);
        for (auto* e : plan.write)
            if (!repo.objects().exists(e->oid)) missing.push_back(e->path.empty() ? p : p + "/" + e->path);
        plans.push_back(std::move(plan));
    }
    if (!conflicts.empty() && opts.force == Force::no) {
        return fail(Error::usage(fmt::format(
            "{}: local changes would be overwritten (their content is not in the store){}; run `mlops add` to keep "
            "them, or `mlops checkout --force` to discard them",
            conflicts.front(), conflicts.size() > 1 ? fmt::format(" and {} more", conflicts.size() - 1) : "")));
    }
    if (!missing.empty()) {
        return fail(Error::integrity(fmt::format("{}: object missing from the store{}; fetch it from a remote",
                                                 missing.front(),
                                                 missing.size() > 1 ? fmt::format(" (and {} more files)", missing.size() - 1) : "")));
    }

    std::vector<CheckoutResult> out;
    auto* index = MLOPS_TRY(repo.index());
    for (auto& plan : plans) {
        CheckoutResult r{plan.path, 0, 0, plan.write.empty() && plan.remove.empty() && !plan.make_dir};
        for (const auto& f : plan.remove) {
            if (::unlink(f.c_str()) != 0 && errno != ENOENT)
                return fail(Error::from_errno(fmt::format("cannot remove {}", f), errno));
            remove_empty_dirs(repo.abs(plan.path), f);
            ++r.removed;
        }
        if (plan.replace_kind) {
            std::error_code ec;
            std::filesystem::remove_all(repo.abs(plan.path), ec);
            if (ec) return fail(Error::io(fmt::format("cannot remove {}: {}", plan.path, ec.message())));
        }
        if (plan.make_dir) MLOPS_TRYV(util::make_dirs(repo.abs(plan.path)));
        std::uint64_t bytes = 0;
        for (auto* e : plan.write) bytes += e->size;
        util::Progress progress("checkout", plan.write.size(), bytes, opts.progress);
        MLOPS_TRYV(util::parallel_for(plan.write.size(), repo.jobs(), [&](std::size_t k) -> Status {
            const auto* e = plan.write[k];
            std::string dest = entry_abs(repo, plan.path, e->path);
            // A folder standing where this file goes (or inside a removed one) is cleared first.
            auto st = MLOPS_TRY(util::stat_path(dest));
            if (st && st->is_dir) {
                std::error_code ec;
                std::filesystem::remove_all(dest, ec);
            }
            auto written = materialize_file(repo, e->oid, e->mode, dest, links);
            if (!written) {
                auto err = std::move(written).error();
                err.message = fmt::format("{}: {}", e->path.empty() ? plan.path : plan.path + "/" + e->path, err.message);
                return fail(std::move(err));
            }
            progress.add(1, e->size);
            return {};
        }));
        progress.finish();
        r.written = plan.write.size();
        // Files just written get their stat cache on the next status (they are racy until then).
        if (r.unchanged && plan.stat_set) (void)index->store_stat_set(plan.path, *plan.stat_set);
        out.push_back(std::move(r));
    }
    return out;
}

} // namespace mlops::workspace
