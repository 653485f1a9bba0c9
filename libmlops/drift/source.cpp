#include <mlops/drift/source.hpp>

#include <algorithm>

#include <fmt/format.h>

#include <mlops/workspace/pointer.hpp>

namespace mlops::drift {

namespace {

bool is_hex(std::string_view s) {
    return std::all_of(s.begin(), s.end(), [](char c) { return (c >= '0' && c <= '9') || (c >= 'a' && c <= 'f'); });
}

// The object as a readable file, after verifying its hash.
util::Result<Input> verified(workspace::Repository& repo, const std::string& oid, const std::string& label) {
    auto state = MLOPS_TRY(repo.objects().check(oid));
    if (state == store::ObjectState::missing)
        return util::fail(util::Error::integrity(
            fmt::format("{}: object {} is not in the local store (fetch it with `mlops fetch`)", label, oid)));
    if (state == store::ObjectState::corrupt)
        return util::fail(util::Error::integrity(fmt::format("{}: object {} is corrupt (its content does not match its id)", label, oid)));
    return Input{label, repo.objects().path_of(oid)};
}

} // namespace

InputSpec parse_input(const std::string& text, bool exists) {
    InputSpec s;
    s.path = text;
    if (exists) return s;
    if (auto at = text.rfind('@'); at != std::string::npos && at > 0 && at + 1 < text.size()) {
        s.kind = InputSpec::Kind::revision;
        s.path = text.substr(0, at);
        s.rev = text.substr(at + 1);
        return s;
    }
    if (text.size() >= 4 && text.size() <= 64 && is_hex(text)) {
        s.kind = InputSpec::Kind::object;
        s.oid = text;
    }
    return s;
}

util::Result<Input> tracked_at(workspace::Repository& repo, const std::string& rel_path, const std::string& rev,
                               const std::string& label) {
    if (!repo.has_git())
        return util::fail(util::Error::usage(fmt::format("{}: reading a revision needs git (this repository was made with --no-git)", label)));
    auto* git = MLOPS_TRY(repo.git());
    auto commit = git->resolve_commit(rev);
    if (!commit) return util::fail(util::Error{commit.error().kind, label + ": " + commit.error().message});
    auto pointer_rel = workspace::pointer_path_for(rel_path);
    auto text = MLOPS_TRY(git->read_file_at(*commit, pointer_rel));
    if (!text) {
        if (MLOPS_TRY(git->blob_id_at(*commit, rel_path)))
            return util::fail(util::Error::usage(fmt::format(
                "{}: {} is in git at {} but not tracked by mlops (check it out and pass the file)", label, rel_path, rev)));
        return util::fail(util::Error::usage(fmt::format("{}: {} was not tracked at {} (no {} there)", label, rel_path, rev, pointer_rel)));
    }
    auto ptr = MLOPS_TRY(workspace::Pointer::parse(*text, rev + ":" + pointer_rel));
    if (ptr.kind != workspace::Kind::file)
        return util::fail(util::Error::usage(fmt::format("{}: {} is a tracked folder at {}; name a CSV file", label, rel_path, rev)));
    return verified(repo, ptr.oid, label);
}

util::Result<Input> object_input(workspace::Repository& repo, const std::string& prefix, const std::string& label) {
    if (prefix.size() == 64) return verified(repo, prefix, label);
    auto all = MLOPS_TRY(repo.objects().list());
    std::vector<std::string> hits;
    for (const auto& oid : all)
        if (oid.starts_with(prefix)) hits.push_back(oid);
    if (hits.empty())
        return util::fail(util::Error::usage(fmt::format("{}: no such file, and no object id starts with {}", label, prefix)));
    if (hits.size() > 1)
        return util::fail(util::Error::usage(fmt::format("{}: ambiguous object id prefix ({} objects start with it; give more digits)", label, hits.size())));
    return verified(repo, hits.front(), label);
}

} // namespace mlops::drift
