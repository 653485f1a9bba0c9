#include <mlops/tablediff/source.hpp>

#include <fcntl.h>
#include <unistd.h>

#include <fmt/format.h>

#include <mlops/workspace/pointer.hpp>

namespace mlops::tablediff {

Version::Version(Version&& o) noexcept : side(std::move(o.side)), temporary(std::exchange(o.temporary, {})) {}
Version& Version::operator=(Version&& o) noexcept {
    if (this != &o) {
        if (!temporary.empty()) ::unlink(temporary.c_str());
        side = std::move(o.side);
        temporary = std::exchange(o.temporary, {});
    }
    return *this;
}
Version::~Version() {
    if (!temporary.empty()) ::unlink(temporary.c_str());
}

util::Result<Version> version_at(workspace::Repository& repo, const std::string& rel, const std::optional<std::string>& rev,
                                 const std::string& tmp_dir) {
    Version v;
    if (!rev) {
        v.side = Side{repo.abs(rel), rel};
        auto st = MLOPS_TRY(util::stat_path(v.side.file));
        v.side.absent = !st; // deleted in the work tree (diff() refuses when both sides are absent)
        return v;
    }
    std::string label = fmt::format("{}@{}", rel, *rev);
    if (!repo.has_git())
        return util::fail(util::Error::usage(fmt::format("{}: reading a revision needs git (this repository was made with --no-git)", label)));
    auto* git = MLOPS_TRY(repo.git());
    auto commit = git->resolve_commit(*rev);
    if (!commit) return util::fail(util::Error{commit.error().kind, label + ": " + commit.error().message});
    auto pointer_rel = workspace::pointer_path_for(rel);
    if (auto text = MLOPS_TRY(git->read_file_at(*commit, pointer_rel))) {
        auto ptr = MLOPS_TRY(workspace::Pointer::parse(*text, *rev + ":" + pointer_rel));
        if (ptr.kind != workspace::Kind::file)
            return util::fail(util::Error::usage(fmt::format("{}: a tracked folder, not a CSV file", label)));
        auto state = MLOPS_TRY(repo.objects().check(ptr.oid));
        if (state == store::ObjectState::missing)
            return util::fail(util::Error::integrity(
                fmt::format("{}: object {} is not in the local store (fetch it with `mlops fetch`)", label, ptr.oid)));
        if (state == store::ObjectState::corrupt)
            return util::fail(util::Error::integrity(fmt::format("{}: object {} is corrupt (its content does not match its id)", label, ptr.oid)));
        v.side = Side{repo.objects().path_of(ptr.oid), label};
        return v;
    }
    auto blob = MLOPS_TRY(git->blob_id_at(*commit, rel));
    if (!blob) {
        // Neither the file nor its pointer file is in that commit: created (or deleted) since.
        v.side = Side{"", label, true};
        return v;
    }
    auto content = MLOPS_TRY(git->read_blob(*blob));
    MLOPS_TRYV(util::make_dirs(tmp_dir));
    v.temporary = util::temp_name_in(tmp_dir);
    MLOPS_TRYV(util::write_file_atomic(v.temporary, content, util::Durability::none, 0600));
    v.side = Side{v.temporary, label};
    return v;
}

} // namespace mlops::tablediff
