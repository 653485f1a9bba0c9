#include <mlops/remote/refs.hpp>

#include <fcntl.h>
#include <unistd.h>

#include <fmt/format.h>

#include <mlops/remote/parallel.hpp>
#include <mlops/util/fs.hpp>
#include <mlops/util/hash.hpp>

namespace mlops::remote {

namespace {
std::string prefix_of(std::string_view kind) { return fmt::format("refs/{}/", kind); }
Error named(const OpenedRemote& r, Error e) {
    e.message = fmt::format("remote {}: {}", r.name, e.message);
    return e;
}
} // namespace

Result<std::unordered_set<std::string>> list_refs(OpenedRemote& remote, std::string_view kind) {
    std::unordered_set<std::string> out;
    std::string prefix = prefix_of(kind);
    auto st = remote.backend->list(prefix, [&](const ObjectInfo& info) -> Status {
        std::string_view oid = std::string_view(info.key).substr(prefix.size());
        if (util::is_oid(oid)) out.emplace(oid);
        return {};
    });
    if (!st) {
        // A remote nobody pushed to yet has nothing listed.
        if (st.error().fault == Fault::not_found) return out;
        return fail(named(remote, std::move(st).error()));
    }
    return out;
}

Result<std::size_t> put_refs(workspace::Repository& repo, OpenedRemote& remote, std::string_view kind,
                             const std::vector<std::string>& oids, const std::unordered_set<std::string>& listed) {
    std::vector<std::string> missing;
    for (const auto& o : oids)
        if (!listed.contains(o)) missing.push_back(o);
    if (missing.empty()) return std::size_t(0);
    std::string tmp_dir = repo.mlops_dir() + "/tmp";
    MLOPS_TRYV(util::make_dirs(tmp_dir));
    std::string empty = util::temp_name_in(tmp_dir);
    int fd = ::open(empty.c_str(), O_WRONLY | O_CREAT | O_EXCL | O_CLOEXEC, 0644);
    if (fd < 0) return fail(Error(util::Error::from_errno(fmt::format("cannot create {}", empty), errno)));
    ::close(fd);
    std::string prefix = prefix_of(kind);
    auto st = run_parallel(missing.size(), remote.jobs, [&](std::size_t i) -> Status {
        auto r = remote.backend->put(prefix + missing[i], empty, {0, ""});
        if (!r) return fail(named(remote, std::move(r).error()));
        return {};
    });
    if (st) {
        auto f = remote.backend->flush();
        if (!f) st = fail(named(remote, std::move(f).error()));
    }
    ::unlink(empty.c_str());
    if (!st) return fail(std::move(st).error());
    return missing.size();
}

} // namespace mlops::remote
