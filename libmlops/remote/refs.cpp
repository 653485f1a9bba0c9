#include <mlops/remote/refs.hpp>

#include <algorithm>
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

Result<std::size_t> publish_refs(workspace::Repository& repo, OpenedRemote& remote, std::string_view kind,
                                 const std::vector<std::string>& oids) {
    std::string known_path = fmt::format("{}/tmp/listed-{}-{}", repo.mlops_dir(), util::sha256_hex(remote.location).substr(0, 16), kind);
    std::unordered_set<std::string> known;
    bool use_known = !remote.backend->cheap_exists();
    if (use_known)
        if (auto text = util::read_file(known_path))
            for (std::size_t pos = 0; pos + 64 <= text->size(); pos += 65) known.emplace(text->substr(pos, 64));
    if (std::all_of(oids.begin(), oids.end(), [&](const std::string& o) { return known.contains(o); })) return std::size_t(0);
    auto listed = MLOPS_TRY(list_refs(remote, kind));
    std::vector<std::string> missing;
    for (const auto& o : oids)
        if (!listed.contains(o)) missing.push_back(o);
    if (!missing.empty()) {
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
    }
    // Remember everything now listed; losing this only costs a listing next time.
    if (use_known) {
        std::string text;
        for (const auto& o : oids) text += o + "\n";
        (void)util::write_file_atomic(known_path, text, util::Durability::none);
    }
    return missing.size();
}

} // namespace mlops::remote
