#include <mlops/hooks/checks.hpp>

#include <algorithm>
#include <map>
#include <unordered_set>

#include <mlops/pipeline/lock.hpp>
#include <mlops/pipeline/runner.hpp>
#include <mlops/store/tree.hpp>
#include <mlops/util/fs.hpp>
#include <mlops/util/paths.hpp>
#include <mlops/workspace/pointer.hpp>
#include <mlops/workspace/scan.hpp>
#include <mlops/workspace/status.hpp>

namespace mlops::hooks {

using util::Error;
using util::fail;

std::string Problem::line() const { return fmt::format("{}: {} (fix: {})", path, message, fix); }

namespace {

std::string short_oid(const std::string& oid) { return oid.substr(0, 12); }

std::string data_of(const std::string& pointer_path) {
    return workspace::data_path_for(pointer_path).value_or(pointer_path);
}

// A pointer file's text: it parses, and its objects are in the store.
Status check_pointer_text(workspace::Repository& repo, const std::string& text, const std::string& ptr,
                          std::vector<Problem>& out) {
    std::string data = data_of(ptr);
    std::string readd = fmt::format("`mlops add {}`, or `mlops pull {}` for data someone else added", data, data);
    auto p = workspace::Pointer::parse(text, ptr);
    if (!p) {
        out.push_back({ptr, fmt::format("not a valid pointer file: {}", p.error().message),
                       fmt::format("`mlops add {}` writes it again", data)});
        return {};
    }
    const char* what = p->kind == workspace::Kind::dir ? "folder" : "file";
    if (!repo.objects().exists(p->oid)) {
        out.push_back({ptr, fmt::format("names the {} object {}, which is not in the store", what, short_oid(p->oid)), readd});
        return {};
    }
    if (p->kind != workspace::Kind::dir) return {};
    auto text_of_tree = repo.objects().read(p->oid);
    if (!text_of_tree) {
        out.push_back({ptr, text_of_tree.error().message, "`mlops fsck`, then " + readd});
        return {};
    }
    auto tree = store::Tree::parse(*text_of_tree, p->oid);
    if (!tree) {
        out.push_back({ptr, tree.error().message, "`mlops fsck`, then " + readd});
        return {};
    }
    std::size_t missing = 0;
    std::string first;
    for (const auto& e : tree->entries)
        if (!repo.objects().exists(e.oid) && missing++ == 0) first = e.path;
    if (missing)
        out.push_back({ptr,
                       fmt::format("{} of the {} files it names {} not in the store (the first: {}/{})", missing,
                                   tree->entries.size(), missing == 1 ? "is" : "are", data, first),
                       readd});
    return {};
}

bool is_zero_sha(std::string_view s) { return !s.empty() && s.find_first_not_of('0') == std::string_view::npos; }

bool is_hex_id(std::string_view s) {
    return (s.size() == 40 || s.size() == 64) && s.find_first_not_of("0123456789abcdef") == std::string_view::npos;
}

} // namespace

Result<std::vector<Problem>> check_staged_pointers(workspace::Repository& repo) {
    std::vector<Problem> out;
    if (!repo.has_git()) return out;
    auto* git = MLOPS_TRY(repo.git());
    // What HEAD has: unchanged pointer files are not this commit's business (a clone that never
    // pulled some data can still commit).
    std::map<std::string, std::string> at_head;
    if (auto head = MLOPS_TRY(git->head_commit())) {
        std::unordered_set<std::string> seen;
        MLOPS_TRYV(git->find_blobs(*head, workspace::k_pointer_suffix, seen,
                                   [&](const gitrepo::BlobAt& b) { at_head[b.path] = b.blob_id; }));
    }
    std::vector<gitrepo::BlobAt> staged;
    MLOPS_TRYV(git->find_index_blobs(workspace::k_pointer_suffix, [&](const gitrepo::BlobAt& b) { staged.push_back(b); }));
    for (const auto& b : staged) {
        if (auto it = at_head.find(b.path); it != at_head.end() && it->second == b.blob_id) continue;
        MLOPS_TRYV(check_pointer_text(repo, MLOPS_TRY(git->read_blob(b.blob_id)), b.path, out));
    }
    return out;
}

Result<std::vector<Problem>> check_pointer_files(workspace::Repository& repo, const std::vector<std::string>& paths) {
    std::vector<std::string> pointers;
    if (paths.empty()) {
        for (const auto& p : MLOPS_TRY(workspace::find_tracked_paths(repo))) pointers.push_back(workspace::pointer_path_for(p));
    } else {
        for (const auto& p : paths) {
            if (!workspace::data_path_for(p))
                return fail(Error::usage(fmt::format("{}: not a pointer file (their names end with {})", p, workspace::k_pointer_suffix)));
            pointers.push_back(p);
        }
    }
    std::vector<Problem> out;
    for (const auto& ptr : pointers) {
        auto text = util::read_file(repo.abs(ptr));
        if (!text) {
            out.push_back({ptr, text.error().message, fmt::format("`mlops add {}`", data_of(ptr))});
            continue;
        }
        MLOPS_TRYV(check_pointer_text(repo, *text, ptr, out));
    }
    return out;
}

Result<std::vector<Problem>> check_unadded(workspace::Repository& repo) {
    std::vector<Problem> out;
    workspace::StatusOptions so;
    auto status = workspace::status(repo, so);
    std::vector<std::string> tracked; // status lists every tracked path: no second walk for them
    if (!status) {
        // A pointer file that does not parse (the message names it, with line and column).
        if (status.error().kind != util::ErrorKind::usage) return fail(std::move(status).error());
        out.push_back({"mlops status", status.error().message, "correct the file it names, or restore it with `git checkout`"});
        return out;
    }
    for (const auto& s : *status) {
        tracked.push_back(s.path);
        if (s.state != workspace::PathState::modified) continue;
        std::size_t n = s.changes.size();
        out.push_back({s.path,
                       n ? fmt::format("modified since `mlops add` ({} file{} changed, added or removed), so the commit "
                                       "would record the old version",
                                       n, n == 1 ? "" : "s")
                         : "modified since `mlops add`, so the commit would record the old version",
                       fmt::format("`mlops add {}`, then `git add {}`", s.path, workspace::pointer_path_for(s.path))});
    }
    if (!repo.has_git()) return out;
    auto* git = MLOPS_TRY(repo.git());
    std::map<std::string, std::string> staged;
    MLOPS_TRYV(git->find_index_blobs(workspace::k_pointer_suffix,
                                     [&](const gitrepo::BlobAt& b) { staged[b.path] = b.blob_id; }));
    for (const auto& path : tracked) {
        std::string ptr = workspace::pointer_path_for(path);
        auto it = staged.find(ptr);
        if (it == staged.end()) continue; // untracked by git: git status shows it
        auto text = util::read_file(repo.abs(ptr));
        if (!text) continue;
        if (*text != MLOPS_TRY(git->read_blob(it->second)))
            out.push_back({ptr, "changed (by `mlops add`) but the change is not staged, so the commit would record the old pointer",
                           fmt::format("`git add {}`", ptr)});
    }
    return out;
}

Result<std::vector<Problem>> check_pipeline(workspace::Repository& repo, const std::string& file) {
    std::vector<Problem> out;
    if (!MLOPS_TRY(util::stat_path(repo.abs(file)))) return out;
    pipeline::RunOptions ro;
    ro.file = file;
    ro.dry_run = true;
    ro.echo = false;
    auto report = pipeline::run(repo, ro);
    if (!report) {
        if (report.error().kind != util::ErrorKind::usage) return fail(std::move(report).error());
        out.push_back({file, report.error().message, fmt::format("correct {} (docs/pipelines.md)", file)});
        return out;
    }
    std::string lock = pipeline::lock_path_for(file);
    for (const auto& s : report->stages) {
        if (s.action != pipeline::Action::would_run) continue;
        out.push_back({lock,
                       fmt::format("stage '{}' is out of date{}", s.stage,
                                   s.reasons.empty() ? "" : fmt::format(" ({})", fmt::join(s.reasons, "; "))),
                       fmt::format("`mlops run {}`, then `git add {}`", s.stage, lock)});
    }
    return out;
}

bool PushedRef::deletes() const { return is_zero_sha(local_sha); }

Result<std::vector<PushedRef>> parse_pre_push(std::string_view text) {
    std::vector<PushedRef> out;
    std::size_t line_no = 0;
    while (!text.empty()) {
        auto nl = text.find('\n');
        std::string_view line = text.substr(0, nl);
        text = nl == std::string_view::npos ? std::string_view{} : text.substr(nl + 1);
        ++line_no;
        if (!line.empty() && line.back() == '\r') line.remove_suffix(1);
        if (line.empty()) continue;
        std::vector<std::string> f;
        std::size_t pos = 0;
        while (pos <= line.size()) {
            auto sp = line.find(' ', pos);
            f.emplace_back(line.substr(pos, sp == std::string_view::npos ? std::string_view::npos : sp - pos));
            if (sp == std::string_view::npos) break;
            pos = sp + 1;
        }
        if (f.size() != 4 || !is_hex_id(f[1]) || !is_hex_id(f[3]))
            return fail(Error::usage(fmt::format(
                "pre-push input line {}: expected '<local ref> <local sha> <remote ref> <remote sha>', got '{}'", line_no, line)));
        out.push_back({f[0], f[1], f[2], f[3]});
    }
    return out;
}

Result<PushPlan> pushed_objects(workspace::Repository& repo, const std::vector<PushedRef>& refs, const std::string& git_remote) {
    PushPlan plan;
    if (!repo.has_git()) return plan;
    auto* git = MLOPS_TRY(repo.git());
    std::vector<std::string> tips, hide;
    for (const auto& r : refs) {
        if (r.deletes()) continue;
        tips.push_back(r.local_sha);
        if (!is_zero_sha(r.remote_sha)) hide.push_back(r.remote_sha);
    }
    // What the remote is known to have (as of the last fetch) is not sent again.
    if (!git_remote.empty() && git_remote.find('/') == std::string::npos && git_remote.find(':') == std::string::npos)
        for (auto& t : MLOPS_TRY(git->ref_tips_under("refs/remotes/" + git_remote + "/"))) hide.push_back(std::move(t));
    auto commits = MLOPS_TRY(git->commits_between(tips, hide));
    plan.commits = commits.size();
    std::vector<gitrepo::BlobAt> pointers, locks;
    std::unordered_set<std::string> seen_trees;
    for (const auto& id : commits) {
        // Every blob once per git tree (seen trees are skipped): then pick pointer files and locks.
        MLOPS_TRYV(git->find_blobs(id, "", seen_trees, [&](const gitrepo::BlobAt& b) {
            std::string where = id.substr(0, 12) + ":" + b.path;
            if (b.path.ends_with(workspace::k_pointer_suffix) && workspace::data_path_for(b.path))
                pointers.push_back({where, b.blob_id});
            else if (util::file_name(b.path) == "mlops.lock")
                locks.push_back({where, b.blob_id});
        }));
    }
    std::unordered_set<std::string> seen_blobs, seen_oids;
    auto add = [&](const std::string& oid, bool tree, const std::string& where) {
        if (seen_oids.insert(oid).second) plan.roots.push_back({oid, tree, where, ""});
    };
    for (const auto& b : pointers) {
        if (!seen_blobs.insert(b.blob_id).second) continue;
        auto p = MLOPS_TRY(workspace::Pointer::parse(MLOPS_TRY(git->read_blob(b.blob_id)), b.path));
        add(p.oid, p.kind == workspace::Kind::dir, data_of(b.path.substr(b.path.find(':') + 1)));
    }
    for (const auto& b : locks) {
        if (!seen_blobs.insert(b.blob_id).second) continue;
        auto lock = MLOPS_TRY(pipeline::parse_lock(MLOPS_TRY(git->read_blob(b.blob_id)), b.path));
        for (const auto& [name, stage] : lock.stages)
            for (const auto& o : stage.outs)
                if (o.cache && !o.oid.empty()) add(o.oid, o.kind == "dir", o.path);
    }
    return plan;
}

} // namespace mlops::hooks
