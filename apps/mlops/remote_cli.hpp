// What push, fetch, pull, remote and `status --remote` share: opening the chosen remote with the
// global options (-v logging), and printing transfer summaries and remote status.
#pragma once

#include <string>
#include <vector>

#include <CLI/CLI.hpp>

#include <mlops/remote/registry.hpp>
#include <mlops/remote/transfer.hpp>

#include "context.hpp"

namespace mlops::cli {

struct TransferCliOptions {
    std::vector<std::string> paths;
    std::string remote;
    unsigned jobs = 0;
    bool force = false;   // pull: overwrite local changes
    bool recheck = false; // push: ignore the record of what the remote has
    bool no_records = false; // leave run records and the registry alone (records_cli.hpp)
};

// PATH..., -r/--remote NAME, -j/--jobs N
void add_transfer_options(CLI::App* cmd, TransferCliOptions& o);

remote::OpenedRemote open_remote_for(Context& ctx, const std::string& name, unsigned jobs, remote::Access access);

// Prints the summary (human or JSON, with `extra` merged into the JSON) and throws the transfer's
// error, if any, after it.
void report_transfer(Context& ctx, const char* operation, const remote::OpenedRemote& r, const remote::TransferStats& st,
                     const nlohmann::json& extra = nlohmann::json::object());

struct RemoteStatusOptions {
    std::string remote;
    std::vector<std::string> paths;
    unsigned jobs = 0;
    bool exit_code = false;
};
int run_remote_status(Context& ctx, const RemoteStatusOptions& opts);

} // namespace mlops::cli
