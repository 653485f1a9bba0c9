#include <mlops/lineage/graph.hpp>

#include <algorithm>
#include <cstring>
#include <deque>
#include <set>
#include <fcntl.h>
#include <unistd.h>

#include <fmt/format.h>

#include <mlops/pipeline/record.hpp>
#include <mlops/registry/registry.hpp>
#include <mlops/store/tree.hpp>
#include <mlops/util/fs.hpp>
#include <mlops/util/hash.hpp>
#include <mlops/util/paths.hpp>
#include <mlops/workspace/pointer.hpp>
#include <mlops/workspace/scan.hpp>

namespace mlops::lineage {

using util::Error;
using util::fail;
using workspace::Repository;

const char* kind_name(NodeKind k) {
    switch (k) {
    case NodeKind::artifact: return "artifact";
    case NodeKind::run: return "run";
    case NodeKind::version: return "version";
    case NodeKind::alias: return "alias";
    case NodeKind::explanation: return "explanation";
    }
    return "?";
}

std::size_t Graph::add(Node n) {
    if (auto it = by_id.find(n.id); it != by_id.end()) return it->second;
    by_id.emplace(n.id, nodes.size());
    nodes.push_back(std::move(n));
    return nodes.size() - 1;
}

void Graph::link(std::size_t from, std::size_t to, const std::string& kind) {
    for (const auto& e : edges)
        if (e.from == from && e.to == to && e.kind == kind) return;
    edges.push_back({from, to, kind});
}

const Node* Graph::find(const std::string& id) const {
    auto it = by_id.find(id);
    return it == by_id.end() ? nullptr : &nodes[it->second];
}

namespace {

std::string short_oid(const std::string& oid) { return oid.substr(0, 12); }

// Whether a stored object is a tree, from its first bytes (without reading a large blob).
bool is_tree_object(Repository& repo, const std::string& oid) {
    int fd = ::open(repo.objects().path_of(oid).c_str(), O_RDONLY | O_CLOEXEC);
    if (fd < 0) return false;
    char buf[16] = {};
    auto n = ::read(fd, buf, sizeof buf);
    ::close(fd);
    return n >= 13 && std::memcmp(buf, "mlops-tree 1\n", 13) == 0;
}

struct Builder {
    Repository& repo;
    std::function<bool(const index::RunRow&)> keep;
    Graph g;
    std::map<std::string, std::pair<std::string, std::int64_t>> latest_by_path; // path -> (oid, time)

    std::size_t artifact(const std::string& oid, const std::string& path, const std::string& kind, std::int64_t time) {
        std::size_t i = g.add({"artifact:" + oid, NodeKind::artifact, path.empty() ? short_oid(oid) : path,
                               {{"oid", oid}, {"kind", kind}, {"paths", nlohmann::json::array()}}});
        auto& d = g.nodes[i].details;
        if (!path.empty()) {
            auto& paths = d["paths"];
            if (std::find(paths.begin(), paths.end(), path) == paths.end()) paths.push_back(path);
            auto& latest = latest_by_path[path];
            if (time >= latest.second) latest = {oid, time};
        }
        if (kind == "dir") d["kind"] = "dir";
        return i;
    }

    Result<void> runs() {
        auto* index = MLOPS_TRY(repo.index());
        auto rows = MLOPS_TRY(index->runs("", 0));
        std::reverse(rows.begin(), rows.end()); // oldest first: labels come from the first use
        for (const auto& row : rows) {
            if (keep && !keep(row)) continue;
            auto text = repo.objects().read(row.oid);
            if (!text) continue; // fsck reports damaged records; lineage shows what it can read
            auto rec = pipeline::parse_run_record(*text, row.oid);
            if (!rec) continue;
            std::size_t r = g.add({"run:" + rec->run_id, NodeKind::run, fmt::format("{} ({})", rec->stage, rec->run_id.substr(0, 8)),
                                   {{"run_id", rec->run_id},
                                    {"stage", rec->stage},
                                    {"status", rec->status},
                                    {"cmd", rec->cmd},
                                    {"commit", rec->code.commit.empty() ? nlohmann::json(nullptr) : nlohmann::json(rec->code.commit)},
                                    {"dirty", rec->code.dirty},
                                    {"params", rec->params},
                                    {"metrics", rec->metrics},
                                    {"started", pipeline::iso_time(rec->started_ns)},
                                    {"record", row.oid}}});
            for (const auto& [path, oid] : rec->deps)
                if (!oid.empty()) g.link(artifact(oid, path, "file", rec->started_ns), r, "input");
            for (const auto& o : rec->outs) g.link(r, artifact(o.oid, o.path, o.kind, rec->ended_ns), "output");
        }
        return {};
    }

    Result<void> pointers() {
        for (const auto& rel : MLOPS_TRY(workspace::find_tracked_paths(repo))) {
            auto ptr = workspace::pointer_path_for(rel);
            auto p = workspace::read_pointer(repo.abs(ptr), ptr);
            if (!p || !*p) continue;
            auto i = artifact((*p)->oid, rel, workspace::kind_name((*p)->kind), util::now_ns());
            g.nodes[i].details["tracked"] = true;
        }
        return {};
    }

    Result<void> registry() {
        for (const auto& name : MLOPS_TRY(registry::model_names(repo))) {
            auto state = registry::load_model(repo, name);
            if (!state) continue; // alias events whose versions have not arrived yet
            for (const auto& v : state->versions) {
                std::size_t vi = g.add({fmt::format("version:{}:{}", name, v.version), NodeKind::version,
                                        fmt::format("{}:{}", name, v.version),
                                        {{"name", name},
                                         {"version", v.version},
                                         {"run", v.run_id.empty() ? nlohmann::json(nullptr) : nlohmann::json(v.run_id)},
                                         {"metrics", v.metrics},
                                         {"tags", v.tags},
                                         {"user", v.user},
                                         {"created", pipeline::iso_time(v.created_ns)},
                                         {"entry", v.oid}}});
                g.link(artifact(v.model_oid, v.source, v.model_kind, v.created_ns), vi, "registers");
                for (const auto& e : MLOPS_TRY(registry::explanations(repo, v))) {
                    std::size_t ei = g.add({"explanation:" + e.oid, NodeKind::explanation,
                                            fmt::format("explanation of {}:{}", name, v.version),
                                            {{"oid", e.oid},
                                             {"method", e.method},
                                             {"data", e.data},
                                             {"summary", registry::explanation_summary(e)},
                                             {"user", e.user},
                                             {"created", pipeline::iso_time(e.time_ns)}}});
                    g.link(vi, ei, "explained");
                }
            }
            for (const auto& [alias, entry] : state->aliases) {
                const auto* v = state->entry(entry);
                if (!v) continue;
                std::size_t ai = g.add({fmt::format("alias:{}@{}", name, alias), NodeKind::alias, fmt::format("{}@{}", name, alias),
                                        {{"name", name}, {"alias", alias}, {"version", v->version}}});
                g.link(g.by_id.at(fmt::format("version:{}:{}", name, v->version)), ai, "alias");
            }
        }
        return {};
    }

    // A folder links to the entries that other nodes name.
    void contains() {
        std::size_t n = g.nodes.size();
        for (std::size_t i = 0; i < n; ++i) {
            auto& node = g.nodes[i];
            if (node.kind != NodeKind::artifact) continue;
            std::string oid = node.details["oid"];
            if (!repo.objects().exists(oid) || !is_tree_object(repo, oid)) continue;
            node.details["kind"] = "dir";
            auto text = repo.objects().read(oid);
            if (!text) continue;
            auto tree = store::Tree::parse(*text, oid);
            if (!tree) continue;
            for (const auto& e : tree->entries)
                if (auto it = g.by_id.find("artifact:" + e.oid); it != g.by_id.end() && it->second != i) g.link(i, it->second, "contains");
        }
    }
};

} // namespace

Result<Graph> build_graph(Repository& repo) { return build_graph(repo, nullptr); }

Result<Graph> build_graph(Repository& repo, const std::function<bool(const index::RunRow&)>& keep) {
    Builder b{repo, keep, {}, {}};
    MLOPS_TRYV(b.runs());
    MLOPS_TRYV(b.pointers());
    MLOPS_TRYV(b.registry());
    b.contains();
    // Remember, per path, the newest oid a run or pointer gave it (for resolving a path target).
    for (const auto& [path, latest] : b.latest_by_path) {
        auto it = b.g.by_id.find("artifact:" + latest.first);
        if (it != b.g.by_id.end()) b.g.nodes[it->second].details["latest_for"].push_back(path);
    }
    return std::move(b.g);
}

Result<std::size_t> resolve_target(Repository& repo, const Graph& g, const std::string& rel, const std::string& raw) {
    auto node = [&](const std::string& id) -> std::optional<std::size_t> {
        auto it = g.by_id.find(id);
        if (it == g.by_id.end()) return std::nullopt;
        return it->second;
    };
    bool exists = !rel.empty() && MLOPS_TRY(util::stat_path(repo.abs(rel))).has_value();
    // A model reference (unless a file of that name exists).
    if (!exists && registry::looks_like_model_ref(raw)) {
        auto ref = MLOPS_TRY(registry::parse_model_ref(raw));
        auto state = MLOPS_TRY(registry::load_model(repo, ref.name));
        const auto* v = MLOPS_TRY(registry::resolve(state, ref));
        if (!ref.alias.empty()) return node(fmt::format("alias:{}@{}", ref.name, ref.alias)).value();
        return node(fmt::format("version:{}:{}", ref.name, v->version)).value();
    }
    if (!rel.empty()) {
        // A tracked path, or an entry of a tracked folder.
        std::string dir = rel;
        while (!dir.empty() && dir != ".") {
            auto ptr = workspace::pointer_path_for(dir);
            auto p = MLOPS_TRY(workspace::read_pointer(repo.abs(ptr), ptr));
            if (p) {
                std::string oid = p->oid;
                if (dir != rel && repo.objects().exists(p->oid)) {
                    auto tree = MLOPS_TRY(store::Tree::parse(MLOPS_TRY(repo.objects().read(p->oid)), p->oid));
                    std::string sub = rel.substr(dir.size() + 1);
                    oid.clear();
                    for (const auto& e : tree.entries)
                        if (e.path == sub) oid = e.oid;
                }
                if (!oid.empty())
                    if (auto n = node("artifact:" + oid)) return *n;
                break;
            }
            dir = util::parent_path(dir);
        }
        // A path a run used or made: its newest content.
        for (std::size_t i = 0; i < g.nodes.size(); ++i) {
            const auto& d = g.nodes[i].details;
            if (d.contains("latest_for") && std::find(d["latest_for"].begin(), d["latest_for"].end(), rel) != d["latest_for"].end())
                return i;
        }
        // A file in the work tree whose content some node has.
        if (exists) {
            auto st = MLOPS_TRY(util::stat_path(repo.abs(rel)));
            if (st->is_regular)
                if (auto n = node("artifact:" + MLOPS_TRY(util::sha256_file(repo.abs(rel))))) return *n;
        }
    }
    // A run id, or an oid prefix.
    if (!raw.empty() && std::all_of(raw.begin(), raw.end(), [](char c) { return std::isxdigit(static_cast<unsigned char>(c)); })) {
        std::vector<std::size_t> runs, oids;
        for (std::size_t i = 0; i < g.nodes.size(); ++i) {
            const auto& n = g.nodes[i];
            if (n.kind == NodeKind::run && n.details["run_id"].get<std::string>().starts_with(raw)) runs.push_back(i);
            if (n.kind == NodeKind::artifact && raw.size() >= 6 && n.details["oid"].get<std::string>().starts_with(raw)) oids.push_back(i);
        }
        if (runs.size() == 1 && oids.empty()) return runs.front();
        if (oids.size() == 1 && runs.empty()) return oids.front();
        if (runs.size() + oids.size() > 1) {
            std::string list;
            for (auto i : runs) list += " run " + g.nodes[i].details["run_id"].get<std::string>();
            for (auto i : oids) list += " oid " + short_oid(g.nodes[i].details["oid"]);
            return fail(Error::usage(fmt::format("'{}' is ambiguous; it matches{}", raw, list)));
        }
    }
    return fail(Error::usage(fmt::format(
        "no lineage for '{}': not a tracked path, a path a run used or made, a model (NAME@ALIAS, NAME:VERSION), a run id or a known oid",
        raw)));
}

Graph neighbourhood(const Graph& g, std::size_t target, Direction dir, int depth) {
    std::map<std::size_t, int> layer{{target, 0}};
    auto walk = [&](bool up) {
        std::deque<std::pair<std::size_t, int>> q{{target, 0}};
        std::set<std::size_t> seen{target};
        while (!q.empty()) {
            auto [n, d] = q.front();
            q.pop_front();
            if (depth > 0 && d >= depth) continue;
            for (const auto& e : g.edges) {
                std::size_t next = up ? e.from : e.to;
                if ((up ? e.to : e.from) != n || seen.contains(next)) continue;
                seen.insert(next);
                if (!layer.contains(next)) layer[next] = up ? -(d + 1) : d + 1;
                q.push_back({next, d + 1});
            }
        }
    };
    if (dir != Direction::downstream) walk(true);
    if (dir != Direction::upstream) walk(false);
    Graph out;
    std::map<std::size_t, std::size_t> remap;
    for (const auto& [i, l] : layer) {
        Node n = g.nodes[i];
        n.details["layer"] = l;
        n.details["target"] = i == target;
        remap[i] = out.add(std::move(n));
    }
    for (const auto& e : g.edges) {
        auto a = remap.find(e.from), b = remap.find(e.to);
        if (a == remap.end() || b == remap.end()) continue;
        // Keep edges that point the way the layers go (a folder containing a file that a run made
        // from it would otherwise draw backwards).
        if (layer[e.from] >= layer[e.to]) continue;
        out.link(a->second, b->second, e.kind);
    }
    return out;
}

Graph layered(const Graph& g) {
    std::size_t n = g.nodes.size();
    std::vector<std::vector<std::size_t>> out(n);
    std::vector<std::size_t> indegree(n, 0);
    for (const auto& e : g.edges) {
        if (e.from == e.to) continue;
        out[e.from].push_back(e.to);
        ++indegree[e.to];
    }
    // Kahn's algorithm, lowest index first; when only cycles are left, the lowest remaining node
    // is taken as if its unfinished predecessors were not there.
    std::vector<int> layer(n, 0);
    std::vector<bool> done(n, false);
    std::set<std::size_t> ready;
    for (std::size_t i = 0; i < n; ++i)
        if (indegree[i] == 0) ready.insert(i);
    std::size_t finished = 0, next_stuck = 0;
    while (finished < n) {
        if (ready.empty()) {
            while (done[next_stuck]) ++next_stuck;
            ready.insert(next_stuck);
        }
        std::size_t i = *ready.begin();
        ready.erase(ready.begin());
        if (done[i]) continue;
        done[i] = true;
        ++finished;
        for (auto j : out[i]) {
            if (done[j]) continue;
            layer[j] = std::max(layer[j], layer[i] + 1);
            if (--indegree[j] == 0) ready.insert(j);
        }
    }
    Graph r;
    for (std::size_t i = 0; i < n; ++i) {
        Node node = g.nodes[i];
        node.details["layer"] = layer[i];
        node.details["target"] = false;
        r.add(std::move(node));
    }
    for (const auto& e : g.edges)
        if (layer[e.from] < layer[e.to]) r.edges.push_back(e); // g's edges are already unique
    return r;
}

} // namespace mlops::lineage
