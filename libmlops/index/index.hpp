// The SQLite index (`.mlops/index.db`): a cache over the objects and pointer files that makes
// status fast. WAL mode, a busy timeout and BEGIN IMMEDIATE for writes, so several mlops processes
// can use it at once. It can always be rebuilt: a lost or corrupt index costs time, never data.
#pragma once

#include <cstdint>
#include <functional>
#include <memory>
#include <optional>
#include <stdexcept>
#include <string>
#include <string_view>
#include <unordered_map>
#include <vector>

#include <mlops/util/error.hpp>

struct sqlite3;
struct sqlite3_stmt;

namespace mlops::index {

using util::Result;
using util::Status;

inline constexpr int k_application_id = 0x6d6c6f70; // "mlop"
inline constexpr int k_schema_version = 3;

// What the stat cache remembers of a file: if a file still has this inode, size, mtime and ctime,
// its content hash is `oid` and it is not read again.
struct StatRow {
    std::string path; // relative to the tracked path ("" for a tracked file)
    std::uint64_t inode = 0;
    std::uint64_t size = 0;
    std::int64_t mtime_ns = 0;
    std::int64_t ctime_ns = 0;
    std::string oid;
    std::int64_t cached_at_ns = 0;
};

// The stat cache of one tracked path, sorted by path, as written. `tree_oid` is the oid of the
// folder's tree made from exactly these rows (every entry a regular file, modes as they were then);
// "" when unknown. A later scan that trusts every row, and finds no other entry, has that tree
// again without re-serialising and hashing it: a mode change moves the ctime, so it is not trusted.
struct StatSet {
    std::vector<StatRow> rows;
    std::string tree_oid;
};

// A row of a loaded stat cache: views into the loaded blob.
struct StatRowView {
    std::string_view path;
    std::uint64_t inode = 0;
    std::uint64_t size = 0;
    std::int64_t mtime_ns = 0;
    std::int64_t ctime_ns = 0;
    std::int64_t cached_at_ns = 0;
    std::string_view oid;
};

// A loaded stat cache: the blob and where each row starts in it, so loading 100,000 rows allocates
// nothing per row (a row is decoded when it is looked at). Moving keeps the views valid (a vector's
// buffer moves with it); a copy would not, so there is none.
class StatCache {
  public:
    StatCache() = default;
    StatCache(StatCache&&) noexcept = default;
    StatCache& operator=(StatCache&&) noexcept = default;
    StatCache(const StatCache&) = delete;
    StatCache& operator=(const StatCache&) = delete;
    std::size_t size() const { return m_rows.size(); }
    bool empty() const { return m_rows.empty(); }
    StatRowView operator[](std::size_t i) const;
    StatRowView at(std::size_t i) const {
        if (i >= size()) throw std::out_of_range("StatCache::at");
        return (*this)[i];
    }
    std::string_view tree_oid() const { return m_tree_oid; }

  private:
    friend Result<StatCache> unpack_stat_set(std::string_view blob, std::string_view tracked_path);
    std::vector<char> m_blob;
    std::vector<std::uint32_t> m_rows; // offset of each row in m_blob
    std::string_view m_tree_oid;
};

// Stored as one packed row per tracked path, so that loading 100,000 entries is one read, not
// 100,000 rows.
std::string pack_stat_set(const StatSet& set);
Result<StatCache> unpack_stat_set(std::string_view blob, std::string_view tracked_path);

struct Artifact {
    std::string path; // work-tree relative path of the tracked file or folder
    std::string oid;
    std::string kind; // "file" or "dir"
    std::uint64_t size = 0;
    std::uint64_t files = 0;
};

// One pipeline stage execution; the run record object (oid) holds everything else.
struct RunRow {
    std::string run_id;
    std::string oid;
    std::string stage;
    std::string pipeline;
    std::string status; // succeeded, failed, interrupted
    std::int64_t started_ns = 0;
    std::int64_t ended_ns = 0;
    std::string fingerprint;
    std::string git_commit;
};

// An object of the model registry (a version entry or an alias event), listed by model name.
struct RegistryRow {
    std::string oid;
    std::string kind; // "version" or "alias"
    std::string name; // the model
    std::int64_t time_ns = 0;
};

class Stmt;

class Index {
  public:
    // Opens (creating and migrating as needed). A file that is not a valid index is moved aside
    // and recreated, with a warning through `warn`.
    static Result<std::unique_ptr<Index>> open(const std::string& path);
    ~Index();

    // The stat cache of a tracked path (empty when none is stored or it is unreadable).
    Result<StatCache> load_stat_set(std::string_view tracked_path);
    Status store_stat_set(std::string_view tracked_path, const StatSet& set);

    Status upsert_artifact(const Artifact& a);
    Status remove_artifact(std::string_view path);
    Result<std::vector<Artifact>> artifacts();

    // Records a run; a succeeded one also enters the run cache under its fingerprint.
    Status insert_run(const RunRow& r);
    Status insert_runs(const std::vector<RunRow>& rows); // one transaction
    // Newest first; `stage` "" = all, "train" also matches "train@x".
    Result<std::vector<RunRow>> runs(std::string_view stage, std::size_t limit);
    Result<std::vector<RunRow>> runs_with_prefix(std::string_view prefix);
    Result<std::optional<RunRow>> cached_run(std::string_view fingerprint);

    // Registry objects; an oid already listed is ignored. `name` "" = every model.
    Status insert_registry_objects(const std::vector<RegistryRow>& rows);
    Result<std::vector<RegistryRow>> registry_objects(std::string_view name);

    // Drops every row (used by fsck --rebuild-index before re-indexing).
    Status clear();

    // BEGIN IMMEDIATE, `body`, then COMMIT, or ROLLBACK when `body` fails.
    Status in_transaction(const std::function<Status()>& body);
    Status begin_immediate();
    Status commit();
    void rollback();

    sqlite3* handle() { return m_db; }
    const std::string& path() const { return m_path; }

  private:
    Index(sqlite3* db, std::string path) : m_db(db), m_path(std::move(path)) {}
    Status exec(const char* sql);
    Status check_schema();
    Status migrate();
    Result<Stmt> prepare(const char* sql);
    sqlite3* m_db;
    std::string m_path;
};

// Warnings the index wants a user to see (set by the CLI; default prints nothing).
void set_index_warning_handler(void (*handler)(const std::string&));

} // namespace mlops::index
