#include <mlops/index/index.hpp>

#include <cstdio>
#include <cstring>
#include <sqlite3.h>
#include <unistd.h>

#include <mlops/util/fs.hpp>

namespace mlops::index {

using util::Error;
using util::fail;

namespace {
void (*g_warn)(const std::string&) = nullptr;
void warn(const std::string& m) {
    if (g_warn) g_warn(m);
}

// Schema migrations; entry i brings version i to i + 1. Never edit a released entry.
constexpr const char* k_migrations[] = {
    R"sql(
    CREATE TABLE stat_cache (
        path TEXT PRIMARY KEY,
        data BLOB NOT NULL
    ) WITHOUT ROWID;
    CREATE TABLE artifacts (
        path TEXT PRIMARY KEY,
        oid TEXT NOT NULL,
        kind TEXT NOT NULL,
        size INTEGER NOT NULL,
        files INTEGER NOT NULL
    ) WITHOUT ROWID;
    )sql",
    // 2: pipeline runs and the run cache.
    R"sql(
    CREATE TABLE runs (
        run_id TEXT PRIMARY KEY,
        oid TEXT NOT NULL,
        stage TEXT NOT NULL,
        pipeline TEXT NOT NULL,
        status TEXT NOT NULL,
        started_ns INTEGER NOT NULL,
        ended_ns INTEGER NOT NULL,
        fingerprint TEXT NOT NULL,
        git_commit TEXT NOT NULL
    ) WITHOUT ROWID;
    CREATE INDEX runs_by_stage ON runs(stage, started_ns);
    CREATE INDEX runs_by_time ON runs(started_ns);
    CREATE TABLE run_cache (
        fingerprint TEXT PRIMARY KEY,
        run_id TEXT NOT NULL
    ) WITHOUT ROWID;
    )sql",
    // 3: the model registry (entries and alias events are objects; this lists them by model).
    R"sql(
    CREATE TABLE registry (
        oid TEXT PRIMARY KEY,
        kind TEXT NOT NULL,
        name TEXT NOT NULL,
        time_ns INTEGER NOT NULL
    ) WITHOUT ROWID;
    CREATE INDEX registry_by_name ON registry(name, time_ns);
    )sql",
};
static_assert(std::size(k_migrations) == k_schema_version);
} // namespace

void set_index_warning_handler(void (*handler)(const std::string&)) { g_warn = handler; }

class Stmt {
  public:
    Stmt(sqlite3_stmt* s, sqlite3* db) : m_s(s), m_db(db) {}
    Stmt(Stmt&& o) noexcept : m_s(std::exchange(o.m_s, nullptr)), m_db(o.m_db) {}
    ~Stmt() { sqlite3_finalize(m_s); }
    Stmt& text(int i, std::string_view v) {
        sqlite3_bind_text(m_s, i, v.data(), int(v.size()), SQLITE_TRANSIENT);
        return *this;
    }
    Stmt& blob(int i, std::string_view v) {
        sqlite3_bind_blob(m_s, i, v.data(), int(v.size()), SQLITE_TRANSIENT);
        return *this;
    }
    std::string_view col_blob(int i) {
        auto* p = static_cast<const char*>(sqlite3_column_blob(m_s, i));
        return p ? std::string_view(p, std::size_t(sqlite3_column_bytes(m_s, i))) : std::string_view();
    }
    Stmt& integer(int i, std::int64_t v) {
        sqlite3_bind_int64(m_s, i, v);
        return *this;
    }
    // true: a row is ready; false: done.
    Result<bool> step() {
        int rc = sqlite3_step(m_s);
        if (rc == SQLITE_ROW) return true;
        if (rc == SQLITE_DONE) return false;
        return fail(error(rc));
    }
    Status run() {
        auto r = step();
        if (!r) return fail(std::move(r).error());
        sqlite3_reset(m_s);
        return {};
    }
    void reset() {
        sqlite3_reset(m_s);
        sqlite3_clear_bindings(m_s);
    }
    std::string col_text(int i) {
        auto* p = sqlite3_column_text(m_s, i);
        return p ? std::string(reinterpret_cast<const char*>(p), std::size_t(sqlite3_column_bytes(m_s, i))) : "";
    }
    std::int64_t col_int(int i) { return sqlite3_column_int64(m_s, i); }
    Error error(int rc) {
        if (rc == SQLITE_BUSY || rc == SQLITE_LOCKED)
            return Error::lock(fmt::format("the index is busy (another mlops process): {}", sqlite3_errmsg(m_db)));
        return Error::io(fmt::format("index: {}", sqlite3_errmsg(m_db)));
    }

  private:
    sqlite3_stmt* m_s;
    sqlite3* m_db;
};

static Result<sqlite3*> open_db(const std::string& path) {
    sqlite3* db = nullptr;
    int rc = sqlite3_open_v2(path.c_str(), &db, SQLITE_OPEN_READWRITE | SQLITE_OPEN_CREATE | SQLITE_OPEN_NOMUTEX, nullptr);
    if (rc != SQLITE_OK) {
        std::string msg = db ? sqlite3_errmsg(db) : sqlite3_errstr(rc);
        sqlite3_close(db);
        return fail(Error::io(fmt::format("cannot open index {}: {}", path, msg)));
    }
    sqlite3_busy_timeout(db, 30000);
    return db;
}

Result<std::unique_ptr<Index>> Index::open(const std::string& path) {
    for (int attempt = 0;; ++attempt) {
        sqlite3* db = MLOPS_TRY(open_db(path));
        std::unique_ptr<Index> index(new Index(db, path));
        auto st = index->migrate();
        if (st) return index;
        // Only a damaged file is replaced; a busy one is an error for the caller to report.
        int code = sqlite3_errcode(db);
        index.reset();
        if (attempt > 0 || (code != SQLITE_NOTADB && code != SQLITE_CORRUPT && st.error().kind != util::ErrorKind::integrity))
            return fail(std::move(st).error());
        std::string aside = fmt::format("{}.corrupt-{}", path, ::getpid());
        warn(fmt::format("index {} is damaged ({}); moved it to {} and rebuilding", path, st.error().message, aside));
        std::rename(path.c_str(), aside.c_str());
        ::unlink((path + "-wal").c_str());
        ::unlink((path + "-shm").c_str());
    }
}

Index::~Index() { sqlite3_close(m_db); }

Status Index::exec(const char* sql) {
    char* err = nullptr;
    int rc = sqlite3_exec(m_db, sql, nullptr, nullptr, &err);
    if (rc != SQLITE_OK) {
        std::string msg = err ? err : sqlite3_errstr(rc);
        sqlite3_free(err);
        if (rc == SQLITE_BUSY || rc == SQLITE_LOCKED)
            return fail(Error::lock(fmt::format("the index {} is busy: {}", m_path, msg)));
        return fail(Error::io(fmt::format("index {}: {}", m_path, msg)));
    }
    return {};
}

Result<Stmt> Index::prepare(const char* sql) {
    sqlite3_stmt* s = nullptr;
    int rc = sqlite3_prepare_v2(m_db, sql, -1, &s, nullptr);
    if (rc != SQLITE_OK) return fail(Error::io(fmt::format("index {}: {}", m_path, sqlite3_errmsg(m_db))));
    return Stmt(s, m_db);
}

Status Index::migrate() {
    MLOPS_TRYV(exec("PRAGMA journal_mode=WAL; PRAGMA synchronous=NORMAL;"));
    auto read_int = [&](const char* sql) -> Result<std::int64_t> {
        auto st = MLOPS_TRY(prepare(sql));
        MLOPS_TRY(st.step());
        return st.col_int(0);
    };
    auto app = MLOPS_TRY(read_int("PRAGMA application_id"));
    auto version = MLOPS_TRY(read_int("PRAGMA user_version"));
    if (app != 0 && app != k_application_id)
        return fail(Error::integrity(fmt::format("{} is not an mlops index (application_id {})", m_path, app)));
    if (version > k_schema_version)
        return fail(Error::usage(fmt::format(
            "index {} has schema version {}, newer than this mlops understands ({}); upgrade mlops",
            m_path, version, k_schema_version)));
    if (version == k_schema_version && app == k_application_id) return check_schema();
    MLOPS_TRYV(begin_immediate());
    // Re-read under the write lock: another process may have migrated meanwhile.
    version = MLOPS_TRY(read_int("PRAGMA user_version"));
    for (auto v = version; v < k_schema_version; ++v) {
        auto st = exec(k_migrations[v]);
        if (!st) {
            rollback();
            return st;
        }
    }
    auto st = exec(fmt::format("PRAGMA application_id={}; PRAGMA user_version={};", k_application_id,
                               k_schema_version).c_str());
    if (!st) {
        rollback();
        return st;
    }
    MLOPS_TRYV(commit());
    return check_schema();
}

Status Index::check_schema() {
    // The version says which tables there are; a file whose tables lack a column (made by a
    // development build that shared the version number, or edited by hand) is treated as damaged,
    // moved aside and rebuilt, like any other cache.
    static constexpr const char* k_probes[] = {
        "SELECT path, data FROM stat_cache LIMIT 0",
        "SELECT path, oid, kind, size, files FROM artifacts LIMIT 0",
        "SELECT run_id, oid, stage, pipeline, status, started_ns, ended_ns, fingerprint, git_commit FROM runs LIMIT 0",
        "SELECT fingerprint, run_id FROM run_cache LIMIT 0",
        "SELECT oid, kind, name, time_ns FROM registry LIMIT 0",
    };
    for (const char* sql : k_probes) {
        sqlite3_stmt* s = nullptr;
        int rc = sqlite3_prepare_v2(m_db, sql, -1, &s, nullptr);
        sqlite3_finalize(s);
        if (rc == SQLITE_BUSY || rc == SQLITE_LOCKED)
            return fail(Error::lock(fmt::format("the index {} is busy: {}", m_path, sqlite3_errmsg(m_db))));
        if (rc != SQLITE_OK)
            return fail(Error::integrity(fmt::format("schema does not match version {}: {}", k_schema_version, sqlite3_errmsg(m_db))));
    }
    return {};
}

Status Index::begin_immediate() { return exec("BEGIN IMMEDIATE"); }
Status Index::commit() { return exec("COMMIT"); }
void Index::rollback() { sqlite3_exec(m_db, "ROLLBACK", nullptr, nullptr, nullptr); }

namespace {
// "msc1": rows only; "msc2" (written since): the tree oid of the rows, then the rows. Both read.
constexpr std::string_view k_stat_magic_v1 = "msc1";
constexpr std::string_view k_stat_magic = "msc2";
const std::string k_no_oid(64, '0');

template <class T> void put(std::string& out, T v) { out.append(reinterpret_cast<const char*>(&v), sizeof v); }
template <class T> bool get(std::string_view& in, T& v) {
    if (in.size() < sizeof v) return false;
    std::memcpy(&v, in.data(), sizeof v);
    in.remove_prefix(sizeof v);
    return true;
}
} // namespace

std::string pack_stat_set(const StatSet& set) {
    std::string out(k_stat_magic);
    std::size_t bytes = k_stat_magic.size() + 4 + 64;
    for (const auto& r : set.rows) bytes += 4 + r.path.size() + 5 * 8 + 64;
    out.reserve(bytes);
    put(out, std::uint32_t(set.rows.size()));
    out.append(set.tree_oid.size() == 64 ? set.tree_oid : k_no_oid);
    for (const auto& r : set.rows) {
        put(out, std::uint32_t(r.path.size()));
        out += r.path;
        put(out, r.inode);
        put(out, r.size);
        put(out, r.mtime_ns);
        put(out, r.ctime_ns);
        put(out, r.cached_at_ns);
        out.append(r.oid.size() == 64 ? r.oid : k_no_oid);
    }
    return out;
}

// A row: path length (u32), path, inode, size, mtime, ctime, cached_at (u64/i64 each), oid (64).
constexpr std::size_t k_row_fixed = 4 + 5 * 8 + 64;

Result<StatCache> unpack_stat_set(std::string_view blob, std::string_view tracked_path) {
    auto bad = [&] { return fail(Error::integrity(fmt::format("stat cache of {} is damaged", tracked_path))); };
    bool v1 = blob.starts_with(k_stat_magic_v1);
    if (!v1 && !blob.starts_with(k_stat_magic)) return bad();
    if (blob.size() > UINT32_MAX) return bad(); // offsets are 32-bit (about 30 million files)
    StatCache set;
    set.m_blob.assign(blob.begin(), blob.end());
    std::string_view all(set.m_blob.data(), set.m_blob.size());
    std::string_view in = all.substr(k_stat_magic.size());
    std::uint32_t n = 0;
    if (!get(in, n)) return bad();
    if (!v1) {
        if (in.size() < 64) return bad();
        if (in.substr(0, 64) != k_no_oid) set.m_tree_oid = in.substr(0, 64);
        in.remove_prefix(64);
    }
    // A damaged count cannot make us reserve gigabytes.
    if (n > in.size() / k_row_fixed) return bad();
    set.m_rows.resize(n);
    for (auto& at : set.m_rows) {
        at = std::uint32_t(all.size() - in.size());
        std::uint32_t len = 0;
        if (!get(in, len) || in.size() < std::size_t(len) + k_row_fixed - 4) return bad();
        in.remove_prefix(len + k_row_fixed - 4);
    }
    if (!in.empty()) return bad();
    return set;
}

StatRowView StatCache::operator[](std::size_t i) const {
    std::string_view in(m_blob.data() + m_rows[i], m_blob.size() - m_rows[i]);
    StatRowView r;
    std::uint32_t len = 0;
    get(in, len); // checked by unpack_stat_set
    r.path = in.substr(0, len);
    in.remove_prefix(len);
    get(in, r.inode);
    get(in, r.size);
    get(in, r.mtime_ns);
    get(in, r.ctime_ns);
    get(in, r.cached_at_ns);
    r.oid = in.substr(0, 64);
    return r;
}

Result<StatCache> Index::load_stat_set(std::string_view tracked_path) {
    auto st = MLOPS_TRY(prepare("SELECT data FROM stat_cache WHERE path = ?1"));
    st.text(1, tracked_path);
    if (!MLOPS_TRY(st.step())) return StatCache{};
    auto blob = st.col_blob(0);
    auto set = unpack_stat_set(blob, tracked_path);
    if (!set) return StatCache{}; // a cache: a damaged row only costs re-hashing
    return set;
}

Status Index::store_stat_set(std::string_view tracked_path, const StatSet& set) {
    auto st = MLOPS_TRY(prepare("INSERT OR REPLACE INTO stat_cache VALUES (?1, ?2)"));
    std::string blob = pack_stat_set(set);
    st.text(1, tracked_path).blob(2, blob);
    return st.run();
}

Status Index::upsert_artifact(const Artifact& a) {
    auto st = MLOPS_TRY(prepare("INSERT OR REPLACE INTO artifacts VALUES (?1, ?2, ?3, ?4, ?5)"));
    st.text(1, a.path).text(2, a.oid).text(3, a.kind).integer(4, std::int64_t(a.size)).integer(5, std::int64_t(a.files));
    return st.run();
}

Status Index::remove_artifact(std::string_view path) {
    auto st = MLOPS_TRY(prepare("DELETE FROM artifacts WHERE path = ?1"));
    st.text(1, path);
    return st.run();
}

Result<std::vector<Artifact>> Index::artifacts() {
    std::vector<Artifact> out;
    auto st = MLOPS_TRY(prepare("SELECT path, oid, kind, size, files FROM artifacts ORDER BY path"));
    while (MLOPS_TRY(st.step())) {
        out.push_back({st.col_text(0), st.col_text(1), st.col_text(2), std::uint64_t(st.col_int(3)),
                       std::uint64_t(st.col_int(4))});
    }
    return out;
}

Status Index::clear() {
    return exec("DELETE FROM stat_cache; DELETE FROM artifacts; DELETE FROM runs; DELETE FROM run_cache; DELETE FROM registry;");
}

Status Index::insert_run(const RunRow& r) { return insert_runs({r}); }

Status Index::in_transaction(const std::function<Status()>& body) {
    MLOPS_TRYV(begin_immediate());
    auto st = body();
    if (!st) {
        rollback();
        return st;
    }
    return commit();
}

Status Index::insert_runs(const std::vector<RunRow>& rows) {
    if (rows.empty()) return {};
    return in_transaction([&]() -> Status {
        auto st = MLOPS_TRY(prepare("INSERT OR REPLACE INTO runs VALUES (?1, ?2, ?3, ?4, ?5, ?6, ?7, ?8, ?9)"));
        auto rc = MLOPS_TRY(prepare("INSERT OR REPLACE INTO run_cache VALUES (?1, ?2)"));
        for (const auto& r : rows) {
            st.text(1, r.run_id).text(2, r.oid).text(3, r.stage).text(4, r.pipeline).text(5, r.status)
                .integer(6, r.started_ns).integer(7, r.ended_ns).text(8, r.fingerprint).text(9, r.git_commit);
            MLOPS_TRYV(st.run());
            if (r.status == "succeeded" && !r.fingerprint.empty()) {
                rc.text(1, r.fingerprint).text(2, r.run_id);
                MLOPS_TRYV(rc.run());
            }
        }
        return {};
    });
}

static RunRow read_run(Stmt& st) {
    return {st.col_text(0), st.col_text(1), st.col_text(2), st.col_text(3), st.col_text(4),
            st.col_int(5),  st.col_int(6),  st.col_text(7), st.col_text(8)};
}

Result<std::vector<RunRow>> Index::runs(std::string_view stage, std::size_t limit) {
    std::vector<RunRow> out;
    auto st = MLOPS_TRY(prepare(stage.empty()
        ? "SELECT * FROM runs ORDER BY started_ns DESC, run_id LIMIT ?1"
        : "SELECT * FROM runs WHERE stage = ?2 OR stage LIKE ?3 ORDER BY started_ns DESC, run_id LIMIT ?1"));
    st.integer(1, limit == 0 ? -1 : std::int64_t(limit));
    if (!stage.empty()) st.text(2, stage).text(3, std::string(stage) + "@%");
    while (MLOPS_TRY(st.step())) out.push_back(read_run(st));
    return out;
}

Result<std::vector<RunRow>> Index::runs_with_prefix(std::string_view prefix) {
    std::vector<RunRow> out;
    auto st = MLOPS_TRY(prepare("SELECT * FROM runs WHERE run_id >= ?1 AND run_id < ?2 ORDER BY run_id LIMIT 20"));
    st.text(1, prefix).text(2, std::string(prefix) + "\x7f");
    while (MLOPS_TRY(st.step())) out.push_back(read_run(st));
    return out;
}

Result<std::optional<RunRow>> Index::cached_run(std::string_view fingerprint) {
    auto st = MLOPS_TRY(prepare("SELECT runs.* FROM run_cache JOIN runs USING (run_id) WHERE run_cache.fingerprint = ?1"));
    st.text(1, fingerprint);
    if (!MLOPS_TRY(st.step())) return std::optional<RunRow>{};
    return std::optional<RunRow>{read_run(st)};
}

Status Index::insert_registry_objects(const std::vector<RegistryRow>& rows) {
    if (rows.empty()) return {};
    return in_transaction([&]() -> Status {
        auto st = MLOPS_TRY(prepare("INSERT OR IGNORE INTO registry VALUES (?1, ?2, ?3, ?4)"));
        for (const auto& r : rows) {
            st.text(1, r.oid).text(2, r.kind).text(3, r.name).integer(4, r.time_ns);
            MLOPS_TRYV(st.run());
        }
        return {};
    });
}

Result<std::vector<RegistryRow>> Index::registry_objects(std::string_view name) {
    std::vector<RegistryRow> out;
    auto st = MLOPS_TRY(prepare(name.empty() ? "SELECT oid, kind, name, time_ns FROM registry ORDER BY name, time_ns, oid"
                                             : "SELECT oid, kind, name, time_ns FROM registry WHERE name = ?1 ORDER BY time_ns, oid"));
    if (!name.empty()) st.text(1, name);
    while (MLOPS_TRY(st.step())) out.push_back({st.col_text(0), st.col_text(1), st.col_text(2), st.col_int(3)});
    return out;
}

} // namespace mlops::index
