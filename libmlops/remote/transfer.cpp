#include <mlops/remote/transfer.hpp>

#include <algorithm>
#include <atomic>
#include <cerrno>
#include <fcntl.h>
#include <mutex>
#include <sys/stat.h>
#include <unistd.h>
#include <unordered_map>
#include <unordered_set>

#include <fmt/format.h>

#include <mlops/remote/parallel.hpp>
#include <mlops/store/tree.hpp>
#include <mlops/util/fs.hpp>
#include <mlops/util/hash.hpp>
#include <mlops/util/paths.hpp>
#include <mlops/util/progress.hpp>
#include <mlops/workspace/add.hpp>
#include <mlops/workspace/checkout.hpp>
#include <mlops/workspace/materialize.hpp>
#include <mlops/workspace/pointer.hpp>
#include <mlops/workspace/scan.hpp>

namespace mlops::remote {

using workspace::Repository;

namespace {

// Objects at least this big go one at a time, each using every job for its own parts.
constexpr std::uint64_t k_big_object = 64ull << 20;
constexpr std::size_t k_commit_every = 1024;

struct Item {
    std::string oid;
    std::uint64_t size = 0;
    std::string where;
    bool tree = false;
};

struct Expanded {
    std::vector<Item> blobs;      // deduplicated
    std::vector<Item> trees;      // expanded (present locally)
    std::vector<Item> unexpanded; // trees not in the local store: their entries are unknown here
    std::unordered_map<std::string, std::vector<std::string>> tree_blobs; // tree oid -> blob oids used
    std::vector<std::vector<std::string>> root_oids;                      // per root: every oid it reaches
};

std::string display_oid(const std::string& oid) { return oid.substr(0, 12); }

// What earlier transfers saw on a remote (see transfer.hpp).
class KnownObjects {
  public:
    KnownObjects(Repository& repo, const OpenedRemote& remote)
        : m_enabled(!remote.backend->cheap_exists()),
          m_path(repo.mlops_dir() + "/tmp/known-" + util::sha256_hex(remote.location).substr(0, 16)) {}
    void load() {
        if (!m_enabled) return;
        auto text = util::read_file(m_path);
        if (!text) return;
        std::size_t pos = 0;
        while (pos + 64 <= text->size()) {
            auto nl = text->find('\n', pos);
            if (nl == std::string::npos) nl = text->size();
            std::string_view line(text->data() + pos, nl - pos);
            if (util::is_oid(line)) m_oids.emplace(line);
            pos = nl + 1;
        }
    }
    bool contains(const std::string& oid) const { return m_oids.contains(oid); }
    void add(const std::string& oid) {
        std::lock_guard lock(m_mutex);
        if (m_enabled && !m_oids.contains(oid)) m_new.push_back(oid);
    }
    // One append; losing it only costs requests next time.
    void save() {
        if (!m_enabled || m_new.empty()) return;
        std::string buf;
        for (const auto& o : m_new) buf.append(o).append("\n");
        if (!util::make_dirs(util::parent_path(m_path))) return;
        int fd = ::open(m_path.c_str(), O_WRONLY | O_CREAT | O_APPEND | O_CLOEXEC, 0644);
        if (fd < 0) return;
        (void)util::write_all(fd, buf.data(), buf.size(), m_path);
        ::close(fd);
        m_new.clear();
    }

  private:
    bool m_enabled;
    std::string m_path;
    std::unordered_set<std::string> m_oids;
    std::vector<std::string> m_new;
    std::mutex m_mutex;
};

std::uint64_t local_size(Repository& repo, const std::string& oid) {
    struct stat st;
    return ::stat(repo.objects().path_of(oid).c_str(), &st) == 0 ? std::uint64_t(st.st_size) : 0;
}

bool under(const std::string& path, const std::string& sub) {
    return sub.empty() || path == sub || (path.size() > sub.size() && path.starts_with(sub) && path[sub.size()] == '/');
}

Result<Expanded> expand(Repository& repo, const std::vector<Root>& roots) {
    Expanded ex;
    std::unordered_set<std::string> seen_blobs, seen_trees;
    for (const auto& root : roots) {
        std::vector<std::string> reach{root.oid};
        if (!root.tree) {
            if (seen_blobs.insert(root.oid).second)
                ex.blobs.push_back({root.oid, root.oid.empty() ? 0 : local_size(repo, root.oid), root.where, false});
            ex.root_oids.push_back(std::move(reach));
            continue;
        }
        bool local = repo.objects().exists(root.oid);
        if (!local) {
            if (seen_trees.insert(root.oid).second) ex.unexpanded.push_back({root.oid, 0, root.where, true});
            ex.root_oids.push_back(std::move(reach));
            continue;
        }
        auto text = repo.objects().read(root.oid);
        if (!text) {
            auto e = std::move(text).error();
            return fail(Error(util::Error{e.kind, fmt::format("{}: {}", root.where, e.message)}));
        }
        auto tree = MLOPS_TRY(store::Tree::parse(*text, root.oid));
        auto& used = ex.tree_blobs[root.oid];
        for (const auto& e : tree.entries) {
            if (!under(e.path, root.sub)) continue;
            reach.push_back(e.oid);
            used.push_back(e.oid);
            if (seen_blobs.insert(e.oid).second) ex.blobs.push_back({e.oid, e.size, root.where + "/" + e.path, false});
        }
        if (seen_trees.insert(root.oid).second) ex.trees.push_back({root.oid, text->size(), root.where, true});
        ex.root_oids.push_back(std::move(reach));
    }
    return ex;
}

Error name_remote(const OpenedRemote& r, Error e) {
    e.message = fmt::format("remote '{}' ({}): {}", r.name, r.location, e.message);
    return e;
}

Result<std::vector<bool>> check_remote(OpenedRemote& remote, const std::vector<Item>& items) {
    std::vector<std::string> keys;
    keys.reserve(items.size());
    for (const auto& it : items) keys.push_back(object_key(it.oid));
    auto found = exists_many(*remote.backend, keys, remote.jobs);
    if (!found) return fail(name_remote(remote, std::move(found).error()));
    return found;
}

class Failures {
  public:
    void add(TransferStats& st, const Item& it, const std::string& why, util::ErrorKind kind) {
        std::lock_guard lock(m_mutex);
        st.failed.objects++;
        st.failed.bytes += it.size;
        st.failures.push_back(fmt::format("{} ({}): {}", it.where, display_oid(it.oid), why));
        m_oids.insert(it.oid);
        if (!m_kind) m_kind = kind;
    }
    bool contains(const std::string& oid) {
        std::lock_guard lock(m_mutex);
        return m_oids.contains(oid);
    }
    void finish(TransferStats& st, const OpenedRemote& remote, const char* verb) {
        if (st.failures.empty()) return;
        std::sort(st.failures.begin(), st.failures.end());
        st.error = util::Error{*m_kind, fmt::format("remote '{}': {} object{} could not be {}: {}{}", remote.name,
                                                    st.failures.size(), st.failures.size() == 1 ? "" : "s", verb,
                                                    st.failures.front(),
                                                    st.failures.size() > 1 ? fmt::format(" (and {} more)", st.failures.size() - 1) : "")};
    }

  private:
    std::mutex m_mutex;
    std::unordered_set<std::string> m_oids;
    std::optional<util::ErrorKind> m_kind;
};

} // namespace

// ---- selecting roots ----

Result<std::vector<Selection>> select_paths(Repository& repo, const std::vector<std::string>& paths) {
    std::vector<Selection> out;
    auto tracked_here = [&](const std::string& p) -> Result<bool> {
        auto st = MLOPS_TRY(util::stat_path(repo.abs(workspace::pointer_path_for(p))));
        return st && st->is_regular;
    };
    bool all = paths.empty() || std::find(paths.begin(), paths.end(), ".") != paths.end();
    if (all) {
        for (auto& p : MLOPS_TRY(workspace::find_tracked_paths(repo))) out.push_back({p, ""});
        return out;
    }
    for (const auto& raw : paths) {
        std::string p = workspace::data_path_for(raw).value_or(raw);
        if (MLOPS_TRY(tracked_here(p))) {
            out.push_back({p, ""});
            continue;
        }
        // Inside a tracked folder?
        std::string q = util::parent_path(p);
        bool found = false;
        while (!q.empty() && q != "." && q != "/") {
            if (MLOPS_TRY(tracked_here(q))) {
                std::string ptr = workspace::pointer_path_for(q);
                auto pointer = MLOPS_TRY(workspace::read_pointer(repo.abs(ptr), ptr));
                if (pointer && pointer->kind != workspace::Kind::dir)
                    return fail(util::Error::usage(fmt::format("{}: {} tracks a single file, not a folder", raw, ptr)));
                out.push_back({q, p.substr(q.size() + 1)});
                found = true;
                break;
            }
            q = util::parent_path(q);
        }
        if (!found)
            return fail(util::Error::usage(fmt::format("{}: not tracked (no {} file, nor one for a folder above it)", raw,
                                                       workspace::pointer_path_for(p))));
    }
    // A path named twice (or a part of a folder also named whole) travels once.
    std::sort(out.begin(), out.end(), [](const Selection& a, const Selection& b) {
        return a.tracked != b.tracked ? a.tracked < b.tracked : a.sub < b.sub;
    });
    std::vector<Selection> dedup;
    for (auto& s : out) {
        if (!dedup.empty() && dedup.back().tracked == s.tracked && (dedup.back().sub.empty() || under(s.sub, dedup.back().sub)))
            continue;
        dedup.push_back(std::move(s));
    }
    return dedup;
}

Result<std::vector<Root>> roots_for(Repository& repo, const std::vector<Selection>& sel) {
    std::vector<Root> roots;
    for (const auto& s : sel) {
        std::string ptr = workspace::pointer_path_for(s.tracked);
        auto p = MLOPS_TRY(workspace::read_pointer(repo.abs(ptr), ptr));
        if (!p) return fail(util::Error::usage(fmt::format("{}: not tracked (no {} file)", s.tracked, ptr)));
        roots.push_back({p->oid, p->kind == workspace::Kind::dir, s.sub.empty() ? s.tracked : s.tracked + "/" + s.sub, s.sub});
        // `where` for a partial root names the part, but entry paths are relative to the tree.
        if (!s.sub.empty()) roots.back().where = s.tracked;
    }
    return roots;
}

// ---- push ----

Result<TransferStats> push(Repository& repo, OpenedRemote& remote, const std::vector<Root>& roots,
                           const TransferOptions& opts) {
    TransferStats st;
    Failures failures;
    auto ex = MLOPS_TRY(expand(repo, roots));
    std::vector<Item> candidates = ex.blobs;
    candidates.insert(candidates.end(), ex.trees.begin(), ex.trees.end());
    candidates.insert(candidates.end(), ex.unexpanded.begin(), ex.unexpanded.end());
    KnownObjects known(repo, remote);
    if (!opts.recheck) known.load();
    std::vector<Item> all;
    for (auto& it : candidates) {
        if (known.contains(it.oid)) {
            st.skipped.objects++;
            st.skipped.bytes += it.size;
        } else {
            all.push_back(std::move(it));
        }
    }
    auto on_remote = MLOPS_TRY(check_remote(remote, all));

    std::vector<Item> blobs, trees;
    for (std::size_t i = 0; i < all.size(); ++i) {
        auto& it = all[i];
        if (on_remote[i]) {
            known.add(it.oid);
            st.skipped.objects++;
            st.skipped.bytes += it.size;
            continue;
        }
        if (!repo.objects().exists(it.oid)) {
            failures.add(st, it, it.tree ? "the tree object is not in the local store (fetch it first)"
                                         : "not in the local store (was it added on another machine and not fetched?)",
                         util::ErrorKind::integrity);
            continue;
        }
        it.size = local_size(repo, it.oid);
        (it.tree ? trees : blobs).push_back(it);
    }
    std::uint64_t bytes = 0;
    for (const auto& v : {&blobs, &trees})
        for (const auto& it : *v) bytes += it.size;
    util::Progress progress("pushing", blobs.size() + trees.size(), bytes, opts.progress);

    std::mutex count_mutex;
    auto put_one = [&](const Item& it) -> Status {
        auto r = remote.backend->put(object_key(it.oid), repo.objects().path_of(it.oid), {it.size, it.oid});
        if (!r) {
            if (r.error().fault == Fault::corrupt) {
                failures.add(st, it, "the local object is corrupt (run `mlops fsck`); not pushed", util::ErrorKind::integrity);
                return {};
            }
            return fail(name_remote(remote, std::move(r).error()));
        }
        {
            std::lock_guard lock(count_mutex);
            st.transferred.objects++;
            st.transferred.bytes += it.size;
        }
        known.add(it.oid);
        progress.add(1, it.size);
        return {};
    };
    auto send_all = [&](std::vector<Item>& items) -> Status {
        std::vector<const Item*> small, big;
        // As fetch does: a folder remote takes an object on one thread, so a big one goes first,
        // alongside the others (its hashing overlaps their I/O), not alone after them; S3 splits it
        // into parts that use every job.
        bool parts = !remote.backend->cheap_exists();
        for (const auto& it : items) (parts && it.size >= k_big_object ? big : small).push_back(&it);
        if (!parts)
            std::stable_sort(small.begin(), small.end(), [](const Item* a, const Item* b) { return a->size > b->size; });
        MLOPS_TRYV(run_parallel(small.size(), remote.jobs, [&](std::size_t i) { return put_one(*small[i]); }));
        for (const auto* it : big) MLOPS_TRYV(put_one(*it));
        return {};
    };
    // What went up is recorded even when a later object fails (the record is only kept for remotes
    // whose puts are durable when they return: not for folders, which batch).
    auto sent = [&]() -> Status {
        MLOPS_TRYV(send_all(blobs));
        // A tree goes up only once everything it lists is there.
        std::vector<Item> ready;
        for (auto& t : trees) {
            const auto& used = ex.tree_blobs[t.oid];
            auto bad = std::find_if(used.begin(), used.end(), [&](const std::string& o) { return failures.contains(o); });
            if (bad != used.end())
                failures.add(st, t, fmt::format("not pushed because its file {} failed", display_oid(*bad)),
                             util::ErrorKind::integrity);
            else
                ready.push_back(t);
        }
        MLOPS_TRYV(send_all(ready));
        // Backends that batch (a local folder) publish in put order: blobs before the trees.
        if (auto f = remote.backend->flush(); !f) return fail(name_remote(remote, std::move(f).error()));
        return {};
    }();
    known.save();
    MLOPS_TRYV(sent);
    progress.finish();
    failures.finish(st, remote, "pushed");
    return st;
}

// ---- fetch ----

namespace {

struct Downloader {
    Repository& repo;
    OpenedRemote& remote;
    TransferStats& st;
    Failures& failures;
    util::Progress& progress;
    std::string tmp_dir;
    store::WriteBatch batch;
    std::atomic<std::size_t> pending{0};
    std::mutex commit_mutex;
    std::mutex count_mutex;

    Status commit() {
        std::lock_guard lock(commit_mutex);
        auto c = repo.objects().commit(batch);
        pending = 0;
        if (!c) return fail(Error(std::move(c).error()));
        return {};
    }

    Status one(const Item& it) {
        for (int attempt = 0; attempt < 2; ++attempt) {
            std::string tmp = util::temp_name_in(tmp_dir);
            auto got = remote.backend->get(object_key(it.oid), tmp);
            if (!got) {
                ::unlink(tmp.c_str());
                if (got.error().fault == Fault::not_found) {
                    failures.add(st, it, "the remote does not have it", util::ErrorKind::remote);
                    return {};
                }
                return fail(name_remote(remote, std::move(got).error()));
            }
            // Never trust a byte that came back: the backend hashed what it wrote, else read it.
            util::Result<std::string> actual = got->sha256;
            if (got->sha256.empty()) actual = util::sha256_file(tmp);
            if (!actual) {
                ::unlink(tmp.c_str());
                return fail(Error(std::move(actual).error()));
            }
            if (*actual != it.oid) {
                ::unlink(tmp.c_str());
                if (attempt == 0) continue; // a flipped bit in transit deserves one more try
                failures.add(st, it,
                             fmt::format("the remote's copy is corrupt (its content hashes to {}); not stored",
                                         display_oid(*actual)),
                             util::ErrorKind::integrity);
                return {};
            }
            struct stat s;
            std::uint64_t size = ::stat(tmp.c_str(), &s) == 0 ? std::uint64_t(s.st_size) : it.size;
            ::chmod(tmp.c_str(), 0444);
            batch.add(tmp, it.oid);
            repo.objects().note_verified(it.oid); // a pull's checkout need not hash it again
            {
                std::lock_guard lock(count_mutex);
                st.transferred.objects++;
                st.transferred.bytes += size;
            }
            progress.add(1, size);
            if (++pending >= k_commit_every) MLOPS_TRYV(commit());
            return {};
        }
        return {};
    }

    Status all(const std::vector<Item>& items) {
        std::vector<const Item*> small, big;
        // A folder remote gets an object on one thread: there a big one goes first, alongside the
        // others, rather than alone after them (S3 splits it into parts that use every job).
        bool parts = !remote.backend->cheap_exists();
        for (const auto& it : items) (parts && it.size >= k_big_object ? big : small).push_back(&it);
        if (!parts)
            std::stable_sort(small.begin(), small.end(), [](const Item* a, const Item* b) { return a->size > b->size; });
        MLOPS_TRYV(run_parallel(small.size(), remote.jobs, [&](std::size_t i) { return one(*small[i]); }));
        for (const auto* it : big) MLOPS_TRYV(one(*it));
        return commit();
    }
};

} // namespace

Result<TransferStats> fetch(Repository& repo, OpenedRemote& remote, const std::vector<Root>& roots,
                            const TransferOptions& opts) {
    TransferStats st;
    Failures failures;
    // gc must not remove what we publish before a pointer refers to it... and we publish only
    // objects something already refers to.
    auto lock = MLOPS_TRY(repo.lock_objects(util::LockMode::shared));
    std::string tmp_dir = repo.mlops_dir() + "/tmp";
    MLOPS_TRYV(util::make_dirs(tmp_dir));

    // Trees first: their entries say what else to fetch.
    std::vector<Item> trees;
    std::unordered_set<std::string> seen;
    for (const auto& r : roots)
        if (r.tree && !repo.objects().exists(r.oid) && seen.insert(r.oid).second) trees.push_back({r.oid, 0, r.where, true});
    std::uint64_t tree_total = trees.size();
    {
        util::Progress progress("fetching trees", tree_total, 0, opts.progress && tree_total > 16);
        Downloader d{repo, remote, st, failures, progress, tmp_dir, {}, {}, {}, {}};
        MLOPS_TRYV(d.all(trees));
        progress.finish();
    }
    auto ex = MLOPS_TRY(expand(repo, roots));
    for (const auto& t : ex.trees)
        if (!seen.contains(t.oid)) {
            st.skipped.objects++;
            st.skipped.bytes += t.size;
        }
    std::vector<Item> blobs;
    std::uint64_t bytes = 0;
    for (const auto& b : ex.blobs) {
        if (repo.objects().exists(b.oid)) {
            st.skipped.objects++;
            st.skipped.bytes += b.size;
            continue;
        }
        blobs.push_back(b);
        bytes += b.size;
    }
    util::Progress progress("fetching", blobs.size(), bytes, opts.progress);
    Downloader d{repo, remote, st, failures, progress, tmp_dir, {}, {}, {}, {}};
    MLOPS_TRYV(d.all(blobs));
    // What came down verified is on the remote: a later push need not ask about it.
    KnownObjects known(repo, remote);
    known.load();
    for (const auto* v : {&trees, &blobs})
        for (const auto& it : *v)
            if (repo.objects().exists(it.oid)) known.add(it.oid);
    known.save();
    progress.finish();
    failures.finish(st, remote, "fetched");
    return st;
}

// ---- status ----

Result<std::vector<RootReport>> remote_status(Repository& repo, OpenedRemote& remote, const std::vector<Root>& roots) {
    auto ex = MLOPS_TRY(expand(repo, roots));
    std::vector<Item> all = ex.blobs;
    all.insert(all.end(), ex.trees.begin(), ex.trees.end());
    all.insert(all.end(), ex.unexpanded.begin(), ex.unexpanded.end());
    auto on_remote = MLOPS_TRY(check_remote(remote, all));
    std::unordered_map<std::string, std::size_t> index;
    for (std::size_t i = 0; i < all.size(); ++i) index.emplace(all[i].oid, i);

    std::vector<RootReport> out;
    for (std::size_t r = 0; r < roots.size(); ++r) {
        RootReport rep;
        rep.where = roots[r].sub.empty() ? roots[r].where : roots[r].where + "/" + roots[r].sub;
        std::unordered_set<std::string> counted;
        for (const auto& oid : ex.root_oids[r]) {
            if (!counted.insert(oid).second) continue;
            auto it = index.find(oid);
            if (it == index.end()) continue;
            const auto& item = all[it->second];
            rep.objects++;
            rep.bytes += item.size;
            if (on_remote[it->second]) continue;
            if (!repo.objects().exists(oid) ||
                std::any_of(ex.unexpanded.begin(), ex.unexpanded.end(), [&](const Item& u) { return u.oid == oid; }))
                rep.missing_locally++;
            rep.missing_on_remote++;
            rep.missing_bytes += item.size;
            rep.missing.push_back(item.where + "\t" + oid);
        }
        std::sort(rep.missing.begin(), rep.missing.end());
        out.push_back(std::move(rep));
    }
    return out;
}

// ---- partial checkout ----

Result<PartialCheckout> checkout_part(Repository& repo, const Selection& sel, bool force) {
    std::string ptr = workspace::pointer_path_for(sel.tracked);
    auto p = MLOPS_TRY(workspace::read_pointer(repo.abs(ptr), ptr));
    if (!p) return fail(util::Error::usage(fmt::format("{}: not tracked (no {} file)", sel.tracked, ptr)));
    auto tree = MLOPS_TRY(workspace::target_tree(repo, *p, sel.tracked));
    auto links = MLOPS_TRY(workspace::link_types(repo));
    std::vector<const store::TreeEntry*> write;
    PartialCheckout out;
    for (const auto& e : tree.entries) {
        if (!under(e.path, sel.sub)) continue;
        std::string dest = repo.abs(sel.tracked + "/" + e.path);
        auto st = MLOPS_TRY(util::stat_path(dest));
        if (st && st->is_regular && e.mode != store::EntryMode::symlink) {
            auto actual = MLOPS_TRY(util::sha256_file(dest));
            bool mode_ok = ((st->mode & 0100) != 0) == (e.mode == store::EntryMode::executable);
            if (actual == e.oid && mode_ok) {
                out.unchanged++;
                continue;
            }
            if (!force && !repo.objects().exists(actual))
                return fail(util::Error::usage(fmt::format(
                    "{}/{}: local changes would be overwritten (their content is not in the store); run `mlops add` to "
                    "keep them, or pass --force to discard them", sel.tracked, e.path)));
        } else if (st && st->is_dir) {
            return fail(util::Error::usage(fmt::format("{}/{}: a folder stands where a file goes", sel.tracked, e.path)));
        }
        if (!repo.objects().exists(e.oid))
            return fail(util::Error::integrity(fmt::format("{}/{}: object missing from the store; fetch it from a remote",
                                                           sel.tracked, e.path)));
        write.push_back(&e);
    }
    MLOPS_TRYV(run_parallel(write.size(), repo.jobs(), [&](std::size_t i) -> Status {
        const auto* e = write[i];
        auto w = workspace::materialize_file(repo, e->oid, e->mode, repo.abs(sel.tracked + "/" + e->path), links);
        if (!w) {
            auto err = std::move(w).error();
            err.message = fmt::format("{}/{}: {}", sel.tracked, e->path, err.message);
            return fail(Error(std::move(err)));
        }
        return {};
    }));
    out.written = write.size();
    return out;
}

} // namespace mlops::remote
