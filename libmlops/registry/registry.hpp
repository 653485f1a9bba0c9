// The model registry: named models with numbered versions and movable aliases ("production"),
// with no server. A version entry and every alias move are JSON objects in the object store,
// listed in the index's `registry` table, and travel through remotes like run records. The state
// of a model (which number each version has, who holds each alias) is a pure function of the set
// of its objects (`fold`), so every clone that holds the same objects sees the same registry, and
// merging two clones' objects after a pull is a set union; what two people did at once is
// reconciled deterministically and reported as a conflict (see docs/registry.md).
#pragma once

#include <cstdint>
#include <map>
#include <optional>
#include <string>
#include <vector>

#include <nlohmann/json.hpp>

#include <mlops/registry/gate.hpp>
#include <mlops/signing/signing.hpp>
#include <mlops/workspace/maintenance.hpp>
#include <mlops/workspace/repository.hpp>

namespace mlops::registry {

using util::Result;
using util::Status;

// NAME, NAME@ALIAS or NAME:VERSION (MLflow's model URIs without the "models:/" scheme, which is
// accepted too).
struct ModelRef {
    std::string name;
    std::string alias;
    int version = 0; // 0: none given
    std::string text;
};
Result<ModelRef> parse_model_ref(const std::string& text);
// Names of models and aliases: letters, digits, '_', '-', '.'; starting with a letter or digit.
bool valid_name(std::string_view name);
// True when `text` has the shape of a model reference with an alias or version (NAME@A, NAME:3).
bool looks_like_model_ref(std::string_view text);

struct VersionEntry {
    std::string oid; // of this entry object
    std::string name;
    int claimed = 0; // the number the writer gave it
    int version = 0; // the number it has after reconciliation (see fold)
    std::string model_oid;
    std::string model_kind = "dir"; // file or dir
    std::uint64_t model_size = 0;
    std::uint64_t model_files = 1;
    std::string source; // the path it was registered from, or "run <id>"
    std::string run_id; // "" when no run produced it
    std::string run_oid;
    std::map<std::string, std::string> tags;
    std::string description;
    nlohmann::json metrics = nlohmann::json::object(); // flat: {"accuracy": 0.97, "test.f1": 0.95}
    nlohmann::json data = nlohmann::json::array();     // [{"path", "oid"}] the inputs it came from
    std::string code_commit;
    bool code_dirty = false;
    nlohmann::json signature; // the bundle's input signature, null when unknown
    std::string user;
    std::string host;
    std::int64_t created_ns = 0;
};

struct AliasEvent {
    std::string oid;
    std::string name;
    std::string alias;
    std::string action; // set, promote, rollback, delete
    std::string from_entry, to_entry; // entry oids ("" = nobody)
    int from_version = 0, to_version = 0; // the numbers when the event was written
    nlohmann::json gates = nlohmann::json::array();
    std::string parent; // the latest event for this alias the writer knew ("" = none)
    std::string user;
    std::string host;
    std::int64_t time_ns = 0;
};

struct ModelState {
    std::string name;
    std::vector<VersionEntry> versions;          // ascending by version
    std::vector<AliasEvent> events;              // ascending by (time, oid)
    std::map<std::string, std::string> aliases;  // alias -> entry oid of the holder
    std::vector<std::string> conflicts;          // what reconciliation decided, one line each

    const VersionEntry* version(int v) const;
    const VersionEntry* entry(const std::string& oid) const;
    const VersionEntry* holder(const std::string& alias) const;
    std::vector<std::string> aliases_of(const std::string& entry_oid) const;
    const AliasEvent* latest_event(const std::string& alias) const;
    // Who held `alias` before the current holder took it (walking back over rollbacks): an entry
    // oid, "" when nobody did, nullopt when there is no earlier state.
    std::optional<std::string> previous_holder(const std::string& alias) const;
};

// Reconciliation, as a pure function of the objects:
// - versions are ordered by (claimed number, creation time, oid); each gets its claimed number
//   unless an earlier one took it, then the next free number (two clones that both registered
//   "version 3" end up with 3 and 4; the earlier registration keeps 3);
// - an alias is held by the `to` of its latest event by (time, oid); events that name the same
//   parent were made concurrently, and the later one wins.
ModelState fold(std::string name, std::vector<VersionEntry> versions, std::vector<AliasEvent> events);

std::string serialize_version(const VersionEntry& v);
Result<VersionEntry> parse_version(const std::string& text, const std::string& oid);
std::string serialize_event(const AliasEvent& e);
Result<AliasEvent> parse_event(const std::string& text, const std::string& oid);
nlohmann::json version_json(const VersionEntry& v, const ModelState& state);
nlohmann::json event_json(const AliasEvent& e);

// Every registered model name, sorted.
Result<std::vector<std::string>> model_names(workspace::Repository& repo);
// The whole state of one model; an unknown model is a usage error naming the known ones.
Result<ModelState> load_model(workspace::Repository& repo, const std::string& name);
// The version a reference names (NAME alone: the latest version); errors name what is unknown.
Result<const VersionEntry*> resolve(const ModelState& state, const ModelRef& ref);

// What a new version records; `register_version` assigns the next number under the registry lock.
struct NewVersion {
    std::string name;
    std::string model_oid;
    std::string model_kind = "dir";
    std::uint64_t model_size = 0;
    std::uint64_t model_files = 1;
    std::string source;
    std::string run_id, run_oid;
    std::map<std::string, std::string> tags;
    std::string description;
    nlohmann::json metrics = nlohmann::json::object();
    nlohmann::json data = nlohmann::json::array();
    std::string code_commit;
    bool code_dirty = false;
    nlohmann::json signature;
};
Result<VersionEntry> register_version(workspace::Repository& repo, const NewVersion& v);

// Describes the model at a work-tree path (stored in the object store now, like a run's output):
// its oid, the run that produced it (the latest succeeded run with an output of that oid), the
// data and code behind it, its signature and metrics (see docs/registry.md for where they come from).
Result<NewVersion> describe_path(workspace::Repository& repo, const std::string& rel);
// The same for a run's output: `output` names it when the run has several ("" = the one bundle).
Result<NewVersion> describe_run(workspace::Repository& repo, const std::string& run_prefix, const std::string& output);

// A folder holding the version's model (a bundle), for the commands that load models by NAME@ALIAS:
// `.mlops/tmp/models/<oid>` (ignored by git), written from the store the first time (temporary folder, then
// rename) and reused after; loaders verify the bundle against its manifest anyway. A model not in
// the local store is a usage error that says how to fetch it.
Result<std::string> model_folder(workspace::Repository& repo, const VersionEntry& v);

// Signatures of versions (docs/serving.md): `mlops-model-signature` objects listed with the model,
// linked to a version by its entry oid; they travel and are kept like the other registry objects.
Result<std::string> add_signature(workspace::Repository& repo, const signing::Signature& sig);
// The signatures of one version, oldest first.
Result<std::vector<signing::Signature>> signatures(workspace::Repository& repo, const VersionEntry& v);

// Explanations attached to versions (docs/explain.md): `mlops-model-explanation` objects listed
// with the model, linked to a version by its entry oid, holding the explanation's JSON report.
struct Explanation {
    std::string oid; // of this object
    std::string name, entry;
    int version = 0;           // the number when it was attached
    std::string method;        // permutation, integrated-gradients or both
    std::string data;          // the data as the user named it
    std::string data_sha256;
    nlohmann::json report;     // `mlops explain --json`
    std::string user, host;
    std::int64_t time_ns = 0;
};
std::string serialize_explanation(const Explanation& e);
Result<Explanation> parse_explanation(const std::string& text, const std::string& oid);
Result<std::string> add_explanation(workspace::Repository& repo, const Explanation& e);
// The explanations of one version, oldest first.
Result<std::vector<Explanation>> explanations(workspace::Repository& repo, const VersionEntry& v);
// Their top features, one line: "permutation: a, b, c; integrated gradients: c, a, b".
std::string explanation_summary(const Explanation& e, std::size_t top = 3);

// The promotion gates of moving `alias` to version `v`: each gate evaluated against `v`'s metrics
// and, for relative gates, the metrics of the alias's holder (nullptr: nobody holds it).
struct GateCheck {
    const VersionEntry* holder = nullptr;
    std::vector<GateResult> results;
    std::size_t failed = 0;
};
Result<GateCheck> check_gates(const ModelState& state, const VersionEntry& v, const std::string& alias,
                              const std::vector<Gate>& gates);

// Moves (or, with to_entry "", deletes) an alias: writes the event object, then its index row.
Result<AliasEvent> move_alias(workspace::Repository& repo, const std::string& name, const std::string& alias,
                              const std::string& to_entry, const std::string& action, const nlohmann::json& gates);

// Indexes a registry object (after a fetch); false when the text is not one.
Result<bool> index_object(workspace::Repository& repo, const std::string& oid, const std::string& text);
// Re-creates the registry rows from the objects (fsck --rebuild-index).
Result<std::size_t> reindex_registry(workspace::Repository& repo);

// Every registry object, and the model of every version: what a push sends and gc keeps.
struct Reachable {
    std::vector<std::string> objects;
    std::vector<VersionEntry> versions;
};
Result<Reachable> all_objects(workspace::Repository& repo);
const std::vector<workspace::RootSource>& root_sources();

} // namespace mlops::registry
