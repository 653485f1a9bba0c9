#include <mlops/store/object_store.hpp>

#include <cerrno>
#include <dirent.h>
#include <fcntl.h>
#include <sys/stat.h>
#include <unistd.h>
#include <unordered_set>

#include <mlops/util/fs.hpp>
#include <mlops/util/hash.hpp>
#include <mlops/util/parallel.hpp>
#include <mlops/util/paths.hpp>

namespace mlops::store {

using util::Error;
using util::fail;

namespace {
constexpr std::size_t k_small_file = 1 << 20; // read whole, hash, then write only if missing
constexpr unsigned k_object_mode = 0444;
} // namespace

struct ObjectStore::Verified {
    std::mutex mutex;
    std::unordered_set<std::string> oids;
};

ObjectStore::ObjectStore(std::string objects_dir, std::string tmp_dir)
    : m_dir(std::move(objects_dir)), m_tmp(std::move(tmp_dir)), m_fans(new std::atomic<bool>[256]),
      m_verified(std::make_shared<Verified>()) {
    for (int i = 0; i < 256; ++i) m_fans[i] = false;
}

void ObjectStore::note_verified(std::string_view oid) {
    std::lock_guard lock(m_verified->mutex);
    m_verified->oids.emplace(oid);
}

bool ObjectStore::verified_here(std::string_view oid) const {
    std::lock_guard lock(m_verified->mutex);
    return m_verified->oids.contains(std::string(oid));
}

std::string ObjectStore::path_of(std::string_view oid) const {
    std::string p;
    p.reserve(m_dir.size() + 66);
    p.append(m_dir).append("/").append(oid.substr(0, 2)).append("/").append(oid.substr(2));
    return p;
}

bool ObjectStore::exists(std::string_view oid) const {
    return ::access(path_of(oid).c_str(), F_OK) == 0;
}

util::Status ObjectStore::publish(const std::string& tmp, const std::string& oid) {
    std::string final_path = path_of(oid);
    std::string fan = final_path.substr(0, m_dir.size() + 3);
    // Each fan-out folder is made once per process, not once per object.
    auto& made_fan = m_fans[std::stoul(oid.substr(0, 2), nullptr, 16)];
    if (!made_fan.load(std::memory_order_relaxed) && ::mkdir(fan.c_str(), 0755) != 0 && errno != EEXIST) {
        // A fresh clone has .mlops/ from git but no objects folder yet.
        auto made = util::make_dirs(fan);
        if (!made) {
            ::unlink(tmp.c_str());
            return made;
        }
    }
    made_fan.store(true, std::memory_order_relaxed);
    // rename() replaces atomically; a concurrent writer of the same content is harmless.
    if (::rename(tmp.c_str(), final_path.c_str()) != 0) {
        int e = errno;
        ::unlink(tmp.c_str());
        return fail(Error::from_errno(fmt::format("cannot store object {}", oid), e));
    }
    return {};
}

Result<PutResult> ObjectStore::finish_temp(const std::string& tmp, int fd, const std::string& oid,
                                           std::uint64_t size, WriteBatch* batch, bool known_missing) {
    if (!known_missing && exists(oid)) {
        ::unlink(tmp.c_str());
        return PutResult{oid, size, false};
    }
    if (batch) {
        batch->add(tmp, oid);
        return PutResult{oid, size, true};
    }
    if (::fsync(fd) != 0) {
        int e = errno;
        ::unlink(tmp.c_str());
        return fail(Error::from_errno(fmt::format("cannot sync {}", tmp), e));
    }
    MLOPS_TRYV(publish(tmp, oid));
    MLOPS_TRYV(util::fsync_dir(util::parent_path(path_of(oid))));
    return PutResult{oid, size, true};
}

util::Status ObjectStore::commit(WriteBatch& batch) {
    std::lock_guard lock(batch.m_mutex);
    if (batch.m_pending.empty()) return {};
    MLOPS_TRYV(util::sync_filesystem(m_tmp));
    auto& pending = batch.m_pending;
    MLOPS_TRYV(util::parallel_for(pending.size(), 0, [&](std::size_t i) { return publish(pending[i].first, pending[i].second); }));
    pending.clear();
    return util::sync_filesystem(m_dir);
}

static Result<util::UniqueFd> create_temp(const std::string& dir, std::string& name) {
    name = util::temp_name_in(dir);
    int fd = ::open(name.c_str(), O_WRONLY | O_CREAT | O_EXCL | O_CLOEXEC, k_object_mode);
    if (fd < 0 && errno == ENOENT) {
        MLOPS_TRYV(util::make_dirs(dir));
        fd = ::open(name.c_str(), O_WRONLY | O_CREAT | O_EXCL | O_CLOEXEC, k_object_mode);
    }
    if (fd < 0) return fail(Error::from_errno(fmt::format("cannot create {}", name), errno));
    return util::UniqueFd(fd);
}

Result<PutResult> ObjectStore::put_bytes(std::string_view content, WriteBatch* batch) {
    std::string oid = util::sha256_hex(content);
    if (exists(oid)) return PutResult{oid, content.size(), false};
    std::string tmp;
    auto fd = MLOPS_TRY(create_temp(m_tmp, tmp));
    auto st = util::write_all(fd.get(), content.data(), content.size(), tmp);
    if (!st) {
        ::unlink(tmp.c_str());
        return fail(std::move(st).error());
    }
    return finish_temp(tmp, fd.get(), oid, content.size(), batch, /*known_missing=*/true);
}

Result<PutResult> ObjectStore::put_file(const std::string& src, WriteBatch* batch) {
    auto in = MLOPS_TRY(util::UniqueFd::open_read(src));
    struct stat st;
    if (::fstat(in.get(), &st) != 0) return fail(Error::from_errno(fmt::format("cannot stat {}", src), errno));
    if (std::uint64_t(st.st_size) <= k_small_file) {
        std::string content;
        content.reserve(std::size_t(st.st_size));
        MLOPS_TRYV(util::read_chunks(in.get(), src, [&](const char* p, std::size_t n) {
            content.append(p, n);
            return util::Status{};
        }));
        return put_bytes(content, batch);
    }
    ::posix_fadvise(in.get(), 0, 0, POSIX_FADV_SEQUENTIAL);
    std::string tmp;
    auto out = MLOPS_TRY(create_temp(m_tmp, tmp));
    util::Sha256 hash;
    std::uint64_t size = 0;
    auto copied = util::read_chunks(in.get(), src, [&](const char* p, std::size_t n) {
        hash.update(p, n);
        size += n;
        return util::write_all(out.get(), p, n, tmp);
    });
    if (!copied) {
        ::unlink(tmp.c_str());
        return fail(std::move(copied).error());
    }
    return finish_temp(tmp, out.get(), hash.finish().hex(), size, batch, /*known_missing=*/false);
}

util::Status ObjectStore::stream(std::string_view oid,
                                 const std::function<util::Status(const char*, std::size_t)>& sink) const {
    std::string path = path_of(oid);
    int fd = ::open(path.c_str(), O_RDONLY | O_CLOEXEC);
    if (fd < 0) {
        if (errno == ENOENT) return fail(Error::integrity(fmt::format("object {} is missing from the store", oid)));
        return fail(Error::from_errno(fmt::format("cannot open object {}", oid), errno));
    }
    util::UniqueFd owned(fd);
    util::Sha256 hash;
    MLOPS_TRYV(util::read_chunks(fd, path, [&](const char* p, std::size_t n) {
        hash.update(p, n);
        return sink(p, n);
    }));
    if (hash.finish().hex() != oid)
        return fail(Error::integrity(fmt::format(
            "object {} is corrupt (its content does not match its name); run `mlops fsck`", oid)));
    return {};
}

Result<std::string> ObjectStore::read(std::string_view oid) const {
    std::string out;
    MLOPS_TRYV(stream(oid, [&](const char* p, std::size_t n) {
        out.append(p, n);
        return util::Status{};
    }));
    return out;
}

Result<ObjectState> ObjectStore::check(std::string_view oid) const {
    auto st = stream(oid, [](const char*, std::size_t) { return util::Status{}; });
    if (st) return ObjectState::ok;
    if (st.error().kind != util::ErrorKind::integrity) return fail(std::move(st).error());
    return exists(oid) ? ObjectState::corrupt : ObjectState::missing;
}

Result<std::vector<std::string>> ObjectStore::list() const {
    std::vector<std::string> out;
    DIR* top = ::opendir(m_dir.c_str());
    if (!top) {
        if (errno == ENOENT) return out;
        return fail(Error::from_errno(fmt::format("cannot list {}", m_dir), errno));
    }
    std::vector<std::string> fans;
    while (auto* e = ::readdir(top)) {
        std::string_view n = e->d_name;
        if (n.size() == 2 && util::is_oid(std::string(n) + std::string(62, '0'))) fans.emplace_back(n);
    }
    ::closedir(top);
    for (const auto& fan : fans) {
        std::string d = m_dir + "/" + fan;
        DIR* dir = ::opendir(d.c_str());
        if (!dir) continue;
        while (auto* e = ::readdir(dir)) {
            std::string oid = fan + e->d_name;
            if (util::is_oid(oid)) out.push_back(std::move(oid));
        }
        ::closedir(dir);
    }
    return out;
}

util::Status ObjectStore::remove(std::string_view oid) {
    if (::unlink(path_of(oid).c_str()) != 0 && errno != ENOENT)
        return fail(Error::from_errno(fmt::format("cannot remove object {}", oid), errno));
    return {};
}

Result<std::vector<std::string>> ObjectStore::stale_temp_files(std::int64_t min_age_ns) const {
    std::vector<std::string> out;
    DIR* dir = ::opendir(m_tmp.c_str());
    if (!dir) return out;
    std::int64_t now = util::now_ns();
    while (auto* e = ::readdir(dir)) {
        std::string_view n = e->d_name;
        if (!n.starts_with(".tmp-")) continue;
        std::string p = m_tmp + "/" + std::string(n);
        struct stat st;
        if (::lstat(p.c_str(), &st) != 0) continue;
        if (now - util::to_file_stat(st).mtime_ns >= min_age_ns) out.push_back(p);
    }
    ::closedir(dir);
    return out;
}


Status ObjectStore::for_each_record(std::string_view type,
                                   const std::function<Status(const std::string&, const std::string&)>& fn) const {
    std::string marker = fmt::format("\"{}\"", type);
    for (const auto& oid : MLOPS_TRY(list())) {
        struct stat st;
        if (::stat(path_of(oid).c_str(), &st) != 0 || st.st_size > (1 << 20) || st.st_size < 20) continue;
        auto text = read(oid);
        if (!text || text->front() != '{' || text->find(marker) == std::string::npos) continue;
        MLOPS_TRYV(fn(oid, *text));
    }
    return {};
}

} // namespace mlops::store
