// Reproducing a recorded run: in a temporary work tree, the run's code commit is checked out
// (libgit2, borrowing this repository's git objects), its exact input objects are put at their
// paths, the stage's command runs as the runner ran it, and every output is hashed and compared
// with the recorded oid. Nothing in the user's work tree or store changes.
#pragma once

#include <functional>
#include <string>
#include <vector>

#include <mlops/pipeline/record.hpp>

namespace mlops::pipeline {

struct InputRef {
    std::string path;
    std::string oid;
};

struct ReproduceOptions {
    bool echo = false; // copy the command's output to stderr as it runs
    bool keep = false; // leave the temporary work tree (its path is in the result)
    // Called with the inputs whose objects are not in the store; fetches what it can (from the
    // default remote). Missing inputs after it are named in the error.
    std::function<Status(const std::vector<InputRef>&)> fetch_missing;
};

struct OutputCheck {
    std::string path;
    std::string recorded;
    std::string reproduced; // "" when the rerun did not make it
    bool identical() const { return recorded == reproduced; }
};

struct ReproduceResult {
    std::string work_dir;          // removed unless `keep`
    int exit_status = 0;
    std::string log_tail;          // the last lines of the command's output when it failed
    std::vector<OutputCheck> outputs;
    std::vector<std::string> notes; // inputs taken from the commit rather than the store, etc.
    // Inputs whose stored objects no longer match their oids ("path (oid…)"): nothing was run.
    std::vector<std::string> tampered_inputs;
    bool all_identical() const;
};

// Every input object is verified before anything runs; tampered ones are listed in the result and
// the command is not run (their bytes are never used). Errors: a run without a code commit, or whose commit no longer exists (usage), inputs that
// cannot be found (usage, naming each).
Result<ReproduceResult> reproduce(workspace::Repository& repo, const RunRecord& rec, const ReproduceOptions& opts);

} // namespace mlops::pipeline
