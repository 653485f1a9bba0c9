// What the project site shows, read from the repository in one pass: the runs (index rows and their
// record objects, with what is missing from the local store), the registry, the lineage graph laid
// out in layers, the pipeline's out-of-date stages and the health reports that `mlops drift`,
// `mlops monitor --rules` and `mlops watch` leave under `.mlops/`. `render` turns it into pages.
#pragma once

#include <cstdint>
#include <map>
#include <optional>
#include <string>
#include <vector>

#include <nlohmann/json.hpp>

#include <mlops/index/index.hpp>
#include <mlops/lineage/graph.hpp>
#include <mlops/pipeline/record.hpp>
#include <mlops/registry/registry.hpp>
#include <mlops/workspace/repository.hpp>

namespace mlops::site {

using util::Result;

// A run's captured log is shown up to this many bytes (the head and the tail); beyond that the page
// says so and links to the full object.
inline constexpr std::size_t k_log_limit = 64 * 1024;

struct Run {
    index::RunRow row;
    std::optional<pipeline::RunRecord> record; // nullopt: the record object is missing or unreadable
    std::string problem;                       // why, when there is no record
    std::vector<std::string> missing;          // oids of inputs, outputs or the log not in the local store
    std::string log;                           // the log (its head and tail when it is longer than k_log_limit)
    std::uint64_t log_size = 0;
    bool log_truncated = false;
};

struct Model {
    registry::ModelState state;
    std::map<std::string, std::vector<signing::Signature>> signatures;       // by version entry oid
    std::map<std::string, std::vector<registry::Explanation>> explanations;  // by version entry oid
};

struct StageStatus {
    std::string stage;
    std::vector<std::string> reasons; // empty: up to date
};

// `mlops monitor --rules`: the alert state file and what the last run saw.
struct Monitor {
    std::string id;            // the state file's name without .json
    nlohmann::json state;      // the alert state (rules and their states)
    nlohmann::json last;       // {rules_file, window_s, now, windows, rules, events}; null when absent
};

struct SiteData {
    std::string project;            // the repository folder's name
    std::string head;               // HEAD commit ("" without git or commits)
    std::string since;              // --since as given, and the commit it resolved to
    std::string since_commit;
    std::vector<Run> runs;          // newest first
    std::vector<Model> models;      // by name
    lineage::Graph graph;           // layered (lineage::layered)
    std::size_t graph_runs_left_out = 0;
    bool has_pipeline = false;
    std::string pipeline_file;      // "mlops.yaml"
    std::string pipeline_problem;   // the pipeline file does not parse: why
    std::vector<StageStatus> stages;
    std::vector<nlohmann::json> drift;   // saved drift reports, newest first
    std::vector<Monitor> monitors;       // by id
    std::vector<nlohmann::json> watch;   // watch history, oldest first
};

struct GatherOptions {
    std::string since;                // a git revision: only runs at that commit or later ("" = all)
    std::size_t graph_run_limit = 200; // more runs than this: the lineage graph keeps the latest per stage
};

Result<SiteData> gather(workspace::Repository& repo, const GatherOptions& opts);

// Where `mlops drift` leaves its latest report for a pair of inputs (`.mlops/drift/<key>.json`,
// {version, time, reference, current, report}) and `mlops monitor --rules` what its last run saw
// (next to the alert state, `<state>.last.json`).
std::string drift_report_path(const std::string& repo_root, const std::string& reference, const std::string& current);
std::string monitor_last_path(const std::string& state_path);

} // namespace mlops::site
