// What travels besides the work tree's data (docs/remotes.md, "Runs and the registry"): run records
// with their logs, and the model registry (version entries, alias events and the registered models).
// `mlops push` without paths sends them and lists them on the remote (remote/refs.hpp); `fetch` and
// `pull` without paths bring every listed record this clone lacks and index it, so a team sees the
// same runs and registry with no server. A model's bundle comes along on request: `fetch NAME@ALIAS`.
#pragma once

#include <string>
#include <vector>

#include <mlops/remote/transfer.hpp>

#include "context.hpp"

namespace mlops::cli {

// What a push of the records sends: roots for every run record (and its log) and every registry
// object and registered model, and the oids to list on the remote once they are there.
struct RecordSet {
    std::vector<remote::Root> roots;
    std::vector<std::string> runs;     // run record oids
    std::vector<std::string> registry; // registry object oids
};
RecordSet record_set(Context& ctx);
// After a successful push of a record set: lists on the remote what it does not list yet.
struct RefsPushed {
    std::size_t runs = 0;
    std::size_t registry = 0;
};
RefsPushed push_record_refs(Context& ctx, remote::OpenedRemote& r, const RecordSet& records);

struct RecordsFetched {
    std::size_t runs = 0;     // new run records indexed
    std::size_t registry = 0; // new registry objects indexed
    remote::TransferStats stats;
    std::vector<std::string> conflicts; // of the models that received something
};
// Fetches every listed record this clone lacks (and the logs of new runs), then indexes them.
RecordsFetched fetch_records(Context& ctx, remote::OpenedRemote& r);

// True when a command-line argument names a registered model (NAME@ALIAS, NAME:VERSION) rather
// than a path: it has that shape and no file of that name exists.
bool names_model(Context& ctx, const std::string& arg);
// Splits fetch arguments into paths and model references (NAME@ALIAS, NAME:VERSION that are not
// paths in the work tree); returns the roots of the models' bundles.
std::vector<remote::Root> model_roots(Context& ctx, std::vector<std::string>& args);

// Adds `from`'s counts, failures and first error to `into`.
void add_transfer_stats(remote::TransferStats& into, const remote::TransferStats& from);

// Adds {"records": {...}} to a transfer's JSON and prints a line for people.
nlohmann::json records_json(std::size_t runs, std::size_t registry);
void say_records(Context& ctx, const char* verb, std::size_t runs, std::size_t registry, const std::vector<std::string>& conflicts);

} // namespace mlops::cli
