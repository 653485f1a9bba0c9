#include <mlops/workspace/add.hpp>

#include <algorithm>
#include <sys/stat.h>
#include <unistd.h>

#include <mlops/util/paths.hpp>
#include <mlops/util/strings.hpp>
#include <mlops/workspace/materialize.hpp>

namespace mlops::workspace {

using util::Error;
using util::fail;

Result<std::vector<LinkType>> link_types(const Repository& repo) {
    std::string spec = repo.config().get_or("cache.type", "reflink,copy");
    std::vector<LinkType> out;
    for (auto part : util::split(spec, ',')) {
        auto p = util::trim(part);
        if (p == "reflink") out.push_back(LinkType::reflink);
        else if (p == "copy") out.push_back(LinkType::copy);
        else if (p == "hardlink") out.push_back(LinkType::hardlink);
        else if (p == "symlink") out.push_back(LinkType::symlink);
        else
            return fail(Error::usage(fmt::format("{}: cache.type: '{}' is not a link type (reflink, copy, hardlink, symlink)",
                                                 repo.config().origin("cache.type"), p)));
    }
    if (out.empty()) out = {LinkType::reflink, LinkType::copy};
    return out;
}

Status check_overlap(const std::vector<std::string>& tracked, const std::string& rel) {
    for (const auto& t : tracked) {
        if (t == rel) continue;
        if (rel.starts_with(t + "/"))
            return fail(Error::usage(fmt::format("{}: is inside the tracked folder {}; add {} instead", rel, t, t)));
        if (t.starts_with(rel + "/"))
            return fail(Error::usage(fmt::format("{}: contains {}, which is tracked on its own; remove {}.mlops first", rel, t, t)));
    }
    return {};
}

Result<std::string> ignore_in_git(const Repository& repo, const std::string& rel) {
    std::string dir = util::parent_path(rel);
    std::string gitignore_rel = util::join_path(dir, ".gitignore");
    std::string abs = repo.abs(gitignore_rel);
    // A .gitignore line is a glob: escape what would otherwise not match the name itself
    // ("data[1]", "a\b") or match other names too ("model*"); git drops unescaped trailing spaces.
    std::string name = util::file_name(rel), entry = "/";
    std::size_t trailing = name.size() - name.find_last_not_of(' ') - 1;
    for (std::size_t i = 0; i < name.size(); ++i) {
        char c = name[i];
        if (c == '\\' || c == '*' || c == '?' || c == '[' || (c == ' ' && i >= name.size() - trailing)) entry += '\\';
        entry += c;
    }
    auto lock = MLOPS_TRY(util::LockFile::acquire(abs));
    std::string text;
    if (MLOPS_TRY(util::stat_path(abs))) text = MLOPS_TRY(util::read_file(abs));
    for (auto line : util::split_lines(text))
        if (util::trim(line) == util::trim(entry)) return gitignore_rel; // lock rolls back
    if (!text.empty() && text.back() != '\n') text += '\n';
    text += entry + "\n";
    MLOPS_TRYV(lock.commit(text));
    return gitignore_rel;
}

Result<std::vector<AddedPath>> add(Repository& repo, const AddOptions& opts) {
    if (opts.paths.empty()) return fail(Error::usage("nothing to add: name files or folders"));
    auto links = MLOPS_TRY(link_types(repo));
    auto tracked = MLOPS_TRY(find_tracked_paths(repo));
    for (const auto& p : opts.paths) {
        if (p == ".") return fail(Error::usage("cannot track the whole work tree; name files or folders inside it"));
        if (p.ends_with(k_pointer_suffix))
            return fail(Error::usage(fmt::format("{}: is a pointer file; name the data it tracks", p)));
        if (repo.has_git() && util::file_name(p) == ".gitignore")
            return fail(Error::usage(fmt::format("{}: mlops writes this file to keep tracked data out of git; it cannot be tracked", p)));
        if (!MLOPS_TRY(util::stat_path(repo.abs(p))))
            return fail(Error::usage(fmt::format("{}: no such file or folder", p)));
        MLOPS_TRYV(check_overlap(tracked, p));
        for (const auto& q : opts.paths)
            if (q != p && q.starts_with(p + "/"))
                return fail(Error::usage(fmt::format("{}: is inside {}, which is added too", q, p)));
    }

    // gc must not delete what we write before the pointer files refer to it.
    auto lock = MLOPS_TRY(repo.lock_objects(util::LockMode::shared));
    store::WriteBatch batch;
    std::vector<Snapshot> snaps;
    for (const auto& p : opts.paths) {
        ScanOptions so{StoreMode::store, &batch, opts.progress, "adding"};
        snaps.push_back(MLOPS_TRY(snapshot(repo, p, so)));
    }
    // Objects are durable and published before anything refers to them.
    MLOPS_TRYV(repo.objects().commit(batch));

    std::vector<AddedPath> out;
    std::vector<std::string> to_stage;
    auto* index = MLOPS_TRY(repo.index());
    for (std::size_t i = 0; i < opts.paths.size(); ++i) {
        const auto& p = opts.paths[i];
        auto& snap = snaps[i];
        std::string ptr_rel = pointer_path_for(p);
        auto old_read = read_pointer(repo.abs(ptr_rel), ptr_rel);
        std::optional<Pointer> old = old_read ? *old_read : std::nullopt; // a broken pointer is replaced
        bool changed = !old || !(*old == snap.pointer);
        if (changed) MLOPS_TRYV(write_pointer(repo.abs(ptr_rel), snap.pointer));
        std::string ignore_file;
        if (repo.has_git()) ignore_file = MLOPS_TRY(ignore_in_git(repo, p));
        // hardlink/symlink strategies replace the work-tree copy with a link into the store.
        if (links.front() == LinkType::hardlink || links.front() == LinkType::symlink) {
            MLOPS_TRYV(link_into_worktree(repo, p, snap, links));
            // Linking changed inodes; the cache rows for these files are refreshed next time.
        }
        if (snap.stat_set) MLOPS_TRYV(index->store_stat_set(p, *snap.stat_set));
        MLOPS_TRYV(index->upsert_artifact({p, snap.pointer.oid, kind_name(snap.pointer.kind), snap.pointer.size,
                                           snap.pointer.files}));
        to_stage.push_back(ptr_rel);
        if (!ignore_file.empty()) to_stage.push_back(ignore_file);
        out.push_back({p, snap.pointer, changed, snap.new_objects, snap.hashed_files});
    }
    if (opts.git_add == GitAdd::yes) {
        auto* git = MLOPS_TRY(repo.git());
        MLOPS_TRYV(git->stage(to_stage));
    }
    return out;
}

} // namespace mlops::workspace
