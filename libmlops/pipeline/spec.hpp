// The pipeline file (`mlops.yaml`): declarative stages with their command, dependencies, params,
// outputs and metrics. Parsing expands `foreach` and `matrix` stages and interpolates `${...}` from
// `vars`, the params file and the loop item; every error names the file, line and column.
#pragma once

#include <map>
#include <optional>
#include <string>
#include <vector>

#include <nlohmann/json.hpp>

#include <mlops/util/error.hpp>

namespace mlops::pipeline {

using util::Result;
using util::Status;

struct Location {
    std::string file;
    int line = 0;
    int column = 0;
    std::string str() const;
};

struct Output {
    std::string path; // repository-relative
    bool cache = true;    // stored in the object store (metrics default to false)
    bool persist = false; // not removed before the stage runs
    bool metric = false;
    Location where;
};

struct ParamRef {
    std::string file; // repository-relative params file
    std::string key;  // dotted key
    Location where;
};

struct Stage {
    std::string name; // "train@small" for expanded stages
    std::string cmd;
    std::string wdir; // repository-relative; "" = root
    std::vector<std::string> deps; // repository-relative
    std::vector<Location> dep_where;
    std::vector<ParamRef> params;
    std::vector<Output> outs; // outs and metrics
    bool always_changed = false;
    bool frozen = false;
    std::string desc;
    // Free-form per-stage executor settings (e.g. Slurm resources), kept as JSON.
    nlohmann::json resources;
    Location where;
};

struct Pipeline {
    std::string file; // repository-relative path of the pipeline file
    std::string default_params = "params.yaml";
    std::string executor; // `executor:` (local or slurm); "" = not set in the file
    Location executor_where;
    std::vector<Stage> stages; // in file order
    const Stage* find(std::string_view name) const;
};

// Parses `text` (the content of `file`, repository-relative). `read_file` reads params/vars files
// (repository-relative path -> content, nullopt when missing).
using FileReader = std::function<Result<std::optional<std::string>>(const std::string&)>;
Result<Pipeline> parse_pipeline(const std::string& text, const std::string& file, const FileReader& read_file);

// Reads one dotted key from a YAML/JSON params document, as JSON (nullopt when missing).
Result<std::optional<nlohmann::json>> lookup_param(const std::string& text, const std::string& file, const std::string& key);

// A YAML document as JSON (scalars typed: int, float, bool, null, string).
Result<nlohmann::json> yaml_to_json(const std::string& text, const std::string& file);

} // namespace mlops::pipeline
