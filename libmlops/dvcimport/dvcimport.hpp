// `mlops import-dvc`: an existing DVC project to its mlops equivalent, in two steps so nothing is
// half-written. `plan` only reads: dvc.yaml becomes the text of mlops.yaml, every `*.dvc` file's
// outputs become paths to track (their data verified against DVC's md5, from the work tree or DVC's
// cache), `.dvc/config` remotes become mlops remotes, and whatever has no equivalent is listed with
// its file and line. `apply` then writes: data restored from DVC's cache, objects and pointer files
// (`mlops add`), mlops.yaml, the remotes.
#pragma once

#include <optional>
#include <string>
#include <vector>

#include <nlohmann/json.hpp>

#include <mlops/util/error.hpp>
#include <mlops/workspace/repository.hpp>

namespace mlops::dvcimport {

struct Problem {
    std::string file; // repository-relative
    std::size_t line = 0; // 0: the whole file
    std::string what;     // the key or path concerned
    std::string why;
};

struct Tracked {
    std::string path;     // repository-relative
    std::string dvc_file; // the .dvc file naming it
    bool dir = false;
    std::string md5;      // DVC's record ("" when it recorded none)
    std::string source;   // "work tree" or "DVC cache"
    std::string cache_file; // source "DVC cache": the cache file to copy
    bool verified = false;  // the data's md5 is the one DVC recorded
};

struct Remote {
    std::string name, url;
    bool is_default = false;
    std::vector<std::pair<std::string, std::string>> settings; // mlops setting -> value
};

// A stage whose dvc.lock entry matches the work tree (command, every dependency's and output's MD5,
// params values): it is recorded in mlops.lock as up to date, with its outputs stored.
struct Adopted {
    std::string stage;                          // expanded name ("train@small")
    nlohmann::json params = nlohmann::json::object(); // DVC's recorded values {file: {key: value}}
};

struct Plan {
    std::optional<std::string> pipeline; // mlops.yaml's text; nullopt without dvc.yaml
    std::vector<std::string> stages;      // stage names as written (before foreach expansion)
    std::vector<Adopted> adopted;         // stages dvc.lock shows up to date
    std::vector<Tracked> tracked;
    std::vector<Remote> remotes;
    std::vector<Problem> problems;
};

enum class Overwrite { no, yes };

// Reads the DVC project at the repository root. Fails (usage) on unreadable YAML, with file:line,
// when there is no DVC project, and when mlops.yaml exists and `overwrite` is no.
util::Result<Plan> plan(workspace::Repository& repo, Overwrite overwrite);

struct Applied {
    std::vector<std::pair<std::string, std::string>> oids; // tracked path -> oid
    std::vector<std::string> locked;                       // stages written to mlops.lock
    std::vector<std::string> gitignores;                  // .gitignore files that gained lines
};
util::Result<Applied> apply(workspace::Repository& repo, const Plan& plan, Overwrite overwrite);

// DVC's hashes, exposed for tests: a file's md5; a folder's ("<md5>.dir" of the JSON list of its
// files' md5 and relative paths, as dvc-data computes it).
util::Result<std::string> md5_file(const std::string& path, bool dos2unix = false);
util::Result<std::string> md5_dir(const std::string& path);

} // namespace mlops::dvcimport
