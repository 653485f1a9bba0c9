// The stage graph: edges come from paths (an output of one stage that is a dependency of another),
// never from the order of the file. Checks what would make a pipeline ambiguous: two stages writing
// one output, a stage depending on its own output, cycles, dependencies nothing provides.
#pragma once

#include <functional>
#include <string>
#include <vector>

#include <mlops/pipeline/spec.hpp>

namespace mlops::pipeline {

struct Graph {
    const Pipeline* pipeline = nullptr;
    std::vector<std::vector<std::size_t>> upstream;   // stage index -> stages it depends on
    std::vector<std::vector<std::size_t>> downstream; // stage index -> stages that depend on it
    std::vector<std::size_t> order;                   // a topological order (file order among equals)

    std::size_t index_of(std::string_view name) const;
    // `roots` and everything upstream of them (and downstream too, with `with_downstream`), in order.
    std::vector<std::size_t> closure(const std::vector<std::size_t>& roots, bool with_upstream, bool with_downstream) const;
};

// `exists(path)` tells whether a repository-relative path exists in the work tree.
Result<Graph> build_graph(const Pipeline& p, const std::function<bool(const std::string&)>& exists);

// Resolves stage names as the user typed them: "train" selects train and every train@item.
Result<std::vector<std::size_t>> select_stages(const Graph& g, const std::vector<std::string>& names);

} // namespace mlops::pipeline
