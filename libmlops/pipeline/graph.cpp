#include <mlops/pipeline/graph.hpp>

#include <algorithm>
#include <map>
#include <queue>

#include <mlops/util/strings.hpp>

namespace mlops::pipeline {

using util::Error;
using util::fail;

namespace {
// a == b, or one lies inside the other.
bool overlaps(const std::string& a, const std::string& b) {
    return a == b || a.starts_with(b + "/") || b.starts_with(a + "/");
}
} // namespace

std::size_t Graph::index_of(std::string_view name) const {
    for (std::size_t i = 0; i < pipeline->stages.size(); ++i)
        if (pipeline->stages[i].name == name) return i;
    return std::size_t(-1);
}

std::vector<std::size_t> Graph::closure(const std::vector<std::size_t>& roots, bool with_upstream, bool with_downstream) const {
    std::vector<char> in(upstream.size(), 0);
    std::vector<std::size_t> stack(roots.begin(), roots.end());
    for (auto r : roots) in[r] = 1;
    auto walk = [&](const std::vector<std::vector<std::size_t>>& edges) {
        std::vector<std::size_t> todo(stack);
        while (!todo.empty()) {
            auto i = todo.back();
            todo.pop_back();
            for (auto j : edges[i])
                if (!in[j]) {
                    in[j] = 1;
                    todo.push_back(j);
                }
        }
    };
    if (with_upstream) walk(upstream);
    if (with_downstream) {
        walk(downstream);
        // Downstream stages need their other inputs too.
        if (with_upstream) {
            std::vector<std::size_t> now;
            for (std::size_t i = 0; i < in.size(); ++i)
                if (in[i]) now.push_back(i);
            stack = now;
            walk(upstream);
        }
    }
    std::vector<std::size_t> out;
    for (auto i : order)
        if (in[i]) out.push_back(i);
    return out;
}

Result<Graph> build_graph(const Pipeline& p, const std::function<bool(const std::string&)>& exists) {
    Graph g;
    g.pipeline = &p;
    std::size_t n = p.stages.size();
    g.upstream.resize(n);
    g.downstream.resize(n);
    // Who writes what.
    std::vector<std::pair<std::string, std::size_t>> outs;
    for (std::size_t i = 0; i < n; ++i) {
        const auto& s = p.stages[i];
        for (const auto& o : s.outs) {
            for (const auto& [path, j] : outs)
                if (overlaps(path, o.path))
                    return fail(Error::usage(fmt::format("{}: output '{}' of stage '{}' overlaps output '{}' of stage '{}'",
                                                         o.where.str(), o.path, s.name, path, p.stages[j].name)));
            outs.emplace_back(o.path, i);
            for (std::size_t d = 0; d < s.deps.size(); ++d)
                if (overlaps(s.deps[d], o.path))
                    return fail(Error::usage(fmt::format("{}: '{}' is both a dependency and an output of stage '{}'",
                                                         s.dep_where[d].str(), s.deps[d], s.name)));
        }
    }
    for (std::size_t i = 0; i < n; ++i) {
        const auto& s = p.stages[i];
        for (std::size_t d = 0; d < s.deps.size(); ++d) {
            bool provided = false;
            for (const auto& [path, j] : outs) {
                if (!overlaps(path, s.deps[d])) continue;
                provided = true;
                if (std::find(g.upstream[i].begin(), g.upstream[i].end(), j) == g.upstream[i].end()) {
                    g.upstream[i].push_back(j);
                    g.downstream[j].push_back(i);
                }
            }
            if (!provided && !exists(s.deps[d]))
                return fail(Error::usage(fmt::format("{}: dependency '{}' of stage '{}' does not exist and no stage outputs it",
                                                     s.dep_where[d].str(), s.deps[d], s.name)));
        }
    }
    // Kahn's algorithm, taking the earliest stage in file order first.
    std::vector<std::size_t> indegree(n);
    for (std::size_t i = 0; i < n; ++i) indegree[i] = g.upstream[i].size();
    std::priority_queue<std::size_t, std::vector<std::size_t>, std::greater<>> ready;
    for (std::size_t i = 0; i < n; ++i)
        if (indegree[i] == 0) ready.push(i);
    while (!ready.empty()) {
        auto i = ready.top();
        ready.pop();
        g.order.push_back(i);
        for (auto j : g.downstream[i])
            if (--indegree[j] == 0) ready.push(j);
    }
    if (g.order.size() != n) {
        // Name the stages of one cycle: follow upstream edges among the stages left.
        std::vector<char> left(n, 0);
        for (std::size_t i = 0; i < n; ++i) left[i] = indegree[i] > 0;
        std::size_t start = std::find(left.begin(), left.end(), 1) - left.begin();
        std::vector<std::size_t> path;
        std::vector<int> seen_at(n, -1);
        std::size_t cur = start;
        while (seen_at[cur] < 0) {
            seen_at[cur] = int(path.size());
            path.push_back(cur);
            for (auto u : g.upstream[cur])
                if (left[u]) {
                    cur = u;
                    break;
                }
        }
        std::string cycle;
        for (std::size_t k = std::size_t(seen_at[cur]); k < path.size(); ++k) cycle = p.stages[path[k]].name + (cycle.empty() ? "" : " -> ") + cycle;
        cycle += " -> " + p.stages[path.back()].name;
        return fail(Error::usage(fmt::format("{}: the stages form a cycle: {}", p.file, cycle)));
    }
    return g;
}

Result<std::vector<std::size_t>> select_stages(const Graph& g, const std::vector<std::string>& names) {
    std::vector<std::size_t> out;
    const auto& stages = g.pipeline->stages;
    for (const auto& name : names) {
        bool found = false;
        for (std::size_t i = 0; i < stages.size(); ++i) {
            const auto& s = stages[i].name;
            if (s == name || (s.starts_with(name + "@") && name.find('@') == std::string::npos)) {
                if (std::find(out.begin(), out.end(), i) == out.end()) out.push_back(i);
                found = true;
            }
        }
        if (!found) {
            std::vector<std::string> all;
            for (const auto& s : stages) all.push_back(s.name);
            auto hint = util::closest_match(name, all);
            return fail(Error::usage(fmt::format("{}: no stage named '{}'{}", g.pipeline->file, name,
                                                 hint.empty() ? "" : fmt::format(" (did you mean '{}'?)", hint))));
        }
    }
    return out;
}

} // namespace mlops::pipeline
