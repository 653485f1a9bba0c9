// The content-addressed object store: `.mlops/objects/<2 hex>/<62 hex>`, named by the SHA-256 of
// the content. Objects are written to a temporary file and renamed into place; an existing object of
// the same name is success. A single put syncs its object before the rename. Many puts go through a
// WriteBatch: their temporary files are made durable together by one syncfs, and only then renamed
// to their final names (git's core.fsyncMethod=batch), so an object under its final name is always
// complete and durable, even after a power loss. Every read that hands content on verifies the hash.
#pragma once

#include <cstdint>
#include <atomic>
#include <functional>
#include <memory>
#include <mutex>
#include <string>
#include <string_view>
#include <vector>

#include <mlops/util/error.hpp>

namespace mlops::store {

using util::Result;
using util::Status;

struct PutResult {
    std::string oid;
    std::uint64_t size = 0;
    bool stored = false; // false when the object was there already
};

enum class ObjectState { ok, missing, corrupt };

// Objects written but not yet published; thread-safe. Abandoned batches leave only temporary
// files, which gc removes.
class WriteBatch {
  public:
    void add(std::string tmp, std::string oid) {
        std::lock_guard lock(m_mutex);
        m_pending.emplace_back(std::move(tmp), std::move(oid));
    }
    std::size_t size() const { return m_pending.size(); }

  private:
    friend class ObjectStore;
    std::mutex m_mutex;
    std::vector<std::pair<std::string, std::string>> m_pending;
};

class ObjectStore {
  public:
    // `objects_dir` holds the fan-out folders; `tmp_dir` must be on the same filesystem.
    ObjectStore(std::string objects_dir, std::string tmp_dir);

    const std::string& dir() const { return m_dir; }
    std::string path_of(std::string_view oid) const;
    bool exists(std::string_view oid) const;

    // Hashes the file at `src` and stores its content (read once; hashing and writing overlap).
    // With a batch the object is published by commit(batch); without one, at once (synced).
    Result<PutResult> put_file(const std::string& src, WriteBatch* batch = nullptr);
    Result<PutResult> put_bytes(std::string_view content, WriteBatch* batch = nullptr);
    // syncfs, then renames every pending object into place, then syncs the renames.
    Status commit(WriteBatch& batch);

    // The content of an object, verified against its name.
    Result<std::string> read(std::string_view oid) const;
    // Streams an object to `sink`, verifying its hash at the end: sink must not publish anything
    // before this returns success.
    Status stream(std::string_view oid, const std::function<Status(const char*, std::size_t)>& sink) const;
    // Re-hashes the object.
    Result<ObjectState> check(std::string_view oid) const;

    // Objects this process hashed and verified as they entered the store (fetch): a checkout in
    // the same process (pull) copies them without reading and hashing them a second time. Only
    // ever set after verification; the set lives in memory, so another process never trusts it.
    void note_verified(std::string_view oid);
    bool verified_here(std::string_view oid) const;

    // Every oid in the store (unordered).
    Result<std::vector<std::string>> list() const;
    // Calls `fn(oid, text)` for every small JSON object whose text names `type` ("mlops-run"):
    // how the index rebuilds its tables of records from the objects. Other objects are skipped
    // by size or first byte without being read whole.
    Status for_each_record(std::string_view type, const std::function<Status(const std::string&, const std::string&)>& fn) const;
    Status remove(std::string_view oid);
    // Temporary files left behind by crashed writers, older than `min_age_ns`.
    Result<std::vector<std::string>> stale_temp_files(std::int64_t min_age_ns) const;

  private:
    Result<PutResult> finish_temp(const std::string& tmp, int fd, const std::string& oid,
                                  std::uint64_t size, WriteBatch* batch, bool known_missing);
    Status publish(const std::string& tmp, const std::string& oid);
    std::string m_dir;
    std::string m_tmp;
    std::unique_ptr<std::atomic<bool>[]> m_fans; // fan-out folders known to exist
    struct Verified;
    std::shared_ptr<Verified> m_verified;
};

} // namespace mlops::store
