#include <mlops/pipeline/reproduce.hpp>

#include <algorithm>
#include <cstdlib>
#include <ftw.h>
#include <sys/stat.h>

#include <fmt/format.h>

#include <mlops/pipeline/executor.hpp>
#include <mlops/store/tree.hpp>
#include <mlops/util/fs.hpp>
#include <mlops/util/hash.hpp>
#include <mlops/util/paths.hpp>
#include <mlops/workspace/materialize.hpp>
#include <mlops/workspace/scan.hpp>

namespace mlops::pipeline {

using util::Error;
using util::fail;
using workspace::Repository;

bool ReproduceResult::all_identical() const {
    return std::all_of(outputs.begin(), outputs.end(), [](const OutputCheck& o) { return o.identical(); });
}

namespace {

Result<std::string> make_work_dir() {
    const char* base = std::getenv("TMPDIR");
    std::string tmpl = fmt::format("{}/mlops-reproduce-XXXXXX", base && *base ? base : "/tmp");
    if (!::mkdtemp(tmpl.data())) return fail(Error::from_errno(fmt::format("cannot create {}", tmpl), errno));
    return tmpl;
}

void remove_tree(const std::string& dir) {
    // Objects are read-only; make everything writable, then remove depth first.
    ::nftw(dir.c_str(), [](const char* p, const struct stat*, int, struct FTW*) { ::chmod(p, 0755); return 0; }, 32, FTW_PHYS);
    ::nftw(dir.c_str(), [](const char* p, const struct stat*, int, struct FTW*) { return ::remove(p); }, 32, FTW_DEPTH | FTW_PHYS);
}

struct WorkDir {
    std::string path;
    bool keep = false;
    ~WorkDir() {
        if (!keep && !path.empty()) remove_tree(path);
    }
};

// Puts the object (a blob, or a tree's entries) at `dest`.
Status place(Repository& repo, const std::string& oid, const std::string& dest) {
    static const std::vector<workspace::LinkType> k_copy{workspace::LinkType::copy};
    auto text = repo.objects().read(oid);
    if (!text) return fail(std::move(text).error());
    if (text->starts_with("mlops-tree 1\n")) {
        auto tree = MLOPS_TRY(store::Tree::parse(*text, oid));
        MLOPS_TRYV(util::make_dirs(dest));
        for (const auto& e : tree.entries) {
            std::string to = dest + "/" + e.path;
            MLOPS_TRYV(util::make_dirs(util::parent_path(to)));
            MLOPS_TRYV(workspace::materialize_file(repo, e.oid, e.mode, to, k_copy));
        }
        return {};
    }
    MLOPS_TRYV(util::make_dirs(util::parent_path(dest)));
    return workspace::materialize_file(repo, oid, store::EntryMode::file, dest, k_copy);
}

// Whether an input's object, and for a folder every entry, is in the store.
bool complete(Repository& repo, const std::string& oid) {
    if (!repo.objects().exists(oid)) return false;
    auto text = repo.objects().read(oid);
    // Present but damaged counts as here: the verification below reports it as tampered.
    if (!text || !text->starts_with("mlops-tree 1\n")) return true;
    auto tree = store::Tree::parse(*text, oid);
    if (!tree) return false;
    return std::all_of(tree->entries.begin(), tree->entries.end(), [&](const auto& e) { return repo.objects().exists(e.oid); });
}

// The last `n` lines of a file.
std::string tail(const std::string& path, std::size_t n) {
    auto text = util::read_file(path);
    if (!text) return "";
    std::size_t pos = text->size();
    for (std::size_t lines = 0; pos > 0 && lines <= n;) {
        --pos;
        if ((*text)[pos] == '\n' && pos + 1 < text->size()) ++lines;
        if (lines > n) {
            ++pos;
            break;
        }
    }
    return text->substr(pos);
}

} // namespace

Result<ReproduceResult> reproduce(Repository& repo, const RunRecord& rec, const ReproduceOptions& opts) {
    if (rec.code.commit.empty())
        return fail(Error::usage(fmt::format("run {} recorded no code commit (it ran outside git or before the first commit); it cannot be reproduced",
                                             rec.run_id)));
    auto* git = MLOPS_TRY(repo.git());
    // Every input must be here (in the store), or come with the commit: fetch what is missing first.
    std::vector<InputRef> missing;
    for (const auto& [path, oid] : rec.deps)
        if (!oid.empty() && !complete(repo, oid)) missing.push_back({path, oid});
    ReproduceResult result;
    WorkDir wd{MLOPS_TRY(make_work_dir()), opts.keep};
    result.work_dir = wd.path;
    auto checkout = git->checkout_into(rec.code.commit, wd.path);
    if (!checkout) {
        if (checkout.error().message.find("does not exist") != std::string::npos)
            return fail(Error::usage(fmt::format("the code commit {} of run {} no longer exists in this repository", rec.code.commit.substr(0, 12),
                                                 rec.run_id)));
        return fail(std::move(checkout).error());
    }
    // Inputs that git brought with the commit and that match the record need no object.
    std::vector<InputRef> still;
    for (const auto& in : missing) {
        std::string at = wd.path + "/" + in.path;
        auto st = MLOPS_TRY(util::stat_path(at));
        if (st && st->is_regular && MLOPS_TRY(util::sha256_file(at)) == in.oid) {
            result.notes.push_back(fmt::format("{}: from commit {}", in.path, rec.code.commit.substr(0, 12)));
            continue;
        }
        still.push_back(in);
    }
    if (!still.empty() && opts.fetch_missing) {
        MLOPS_TRYV(opts.fetch_missing(still));
        std::erase_if(still, [&](const InputRef& in) { return complete(repo, in.oid); });
    }
    if (!still.empty()) {
        std::string list;
        for (const auto& in : still) list += fmt::format("{}{} ({})", list.empty() ? "" : ", ", in.path, in.oid.substr(0, 12));
        return fail(Error::usage(fmt::format("run {}: input{} not in the store or on the remote: {}", rec.run_id, still.size() == 1 ? "" : "s", list)));
    }
    // Verify the inputs before using a byte of them.
    for (const auto& [path, oid] : rec.deps) {
        if (oid.empty() || !repo.objects().exists(oid)) continue;
        std::vector<std::pair<std::string, std::string>> objs{{path, oid}};
        if (auto text = repo.objects().read(oid); text && text->starts_with("mlops-tree 1\n"))
            if (auto tree = store::Tree::parse(*text, oid))
                for (const auto& e : tree->entries) objs.push_back({path + "/" + e.path, e.oid});
        for (const auto& [p, o] : objs)
            if (MLOPS_TRY(repo.objects().check(o)) == store::ObjectState::corrupt)
                result.tampered_inputs.push_back(fmt::format("{} ({})", p, o.substr(0, 12)));
    }
    if (!result.tampered_inputs.empty()) return result;
    // The mlops repository of the work tree (its config came with the commit, if committed).
    auto init = MLOPS_TRY(Repository::init(wd.path, workspace::NoGit::no));
    (void)init;
    for (const auto& [path, oid] : rec.deps) {
        if (oid.empty() || !complete(repo, oid)) continue;
        std::string at = wd.path + "/" + path;
        if (MLOPS_TRY(util::stat_path(at))) remove_tree(at);
        MLOPS_TRYV(place(repo, oid, at));
    }
    // Outputs start absent, in folders that exist (as the runner leaves them).
    for (const auto& o : rec.outs) {
        if (MLOPS_TRY(util::stat_path(wd.path + "/" + o.path))) remove_tree(wd.path + "/" + o.path);
        MLOPS_TRYV(util::make_dirs(util::parent_path(wd.path + "/" + o.path)));
    }

    // Run the command the way the runner did.
    MLOPS_TRYV(util::make_dirs(wd.path + "/.mlops/tmp"));
    Job job;
    job.name = rec.stage;
    job.cmd = rec.cmd;
    job.cwd = rec.wdir.empty() ? wd.path : wd.path + "/" + rec.wdir;
    MLOPS_TRYV(util::make_dirs(job.cwd));
    job.env = {{"MLOPS_STAGE", rec.stage}, {"MLOPS_RUN_ID", rec.run_id}, {"MLOPS_REPO_ROOT", wd.path}, {"MLOPS_PIPELINE", rec.pipeline}};
    job.log_path = wd.path + "/.mlops/tmp/reproduce.log";
    job.echo = opts.echo;
    LocalExecutor exec;
    MLOPS_TRYV(exec.start(job));
    std::optional<JobResult> done;
    while (!(done = exec.wait(std::chrono::milliseconds(500)))) {
    }
    result.exit_status = done->exit_status;
    if (done->exit_status != 0) {
        result.log_tail = tail(job.log_path, 20);
        return result;
    }
    auto here = MLOPS_TRY(Repository::discover(wd.path));
    for (const auto& o : rec.outs) {
        OutputCheck c{o.path, o.oid, ""};
        if (MLOPS_TRY(util::stat_path(wd.path + "/" + o.path))) {
            workspace::ScanOptions so;
            c.reproduced = MLOPS_TRY(workspace::snapshot(*here, o.path, so)).pointer.oid;
        }
        result.outputs.push_back(std::move(c));
    }
    return result;
}

} // namespace mlops::pipeline
