// The scheme -> factory table and the one place where a configured remote becomes a backend with
// its decorators: [fault injection (tests)] -> [logging (-v)] -> retry.
#pragma once

#include <memory>
#include <span>
#include <string>

#include <mlops/remote/backend.hpp>
#include <mlops/remote/decorators.hpp>
#include <mlops/remote/settings.hpp>

namespace mlops::remote {

enum class Access { read, write }; // write: a local folder may be created

struct OpenOptions {
    std::string repo_root; // relative folder URLs are relative to the repository root
    Access access = Access::read;
    unsigned jobs = 0;  // -j; 0: the remote's `jobs` setting, else the backend's default
    LogSink log;        // one line per operation (mlops -v); empty: none
    LogSink retry_log;  // one line per retry (mlops -v); empty: none
};

struct OpenedRemote {
    std::unique_ptr<Backend> backend;
    std::string name;
    std::string location; // "s3://bucket/prefix" or the folder
    unsigned jobs = 1;
};

using Factory = Result<std::unique_ptr<Backend>> (*)(const RemoteConfig&, const OpenOptions&, unsigned jobs);
struct SchemeEntry {
    Scheme scheme;
    const char* name;
    unsigned default_jobs; // 0: util::io_jobs() (four per core)
    Factory make;
};
std::span<const SchemeEntry> schemes();

// MLOPS_REMOTE_FAULTS (a FaultPlan, for tests) wraps the raw backend in a FaultyBackend.
Result<OpenedRemote> open_remote(const RemoteConfig& rc, const OpenOptions& opts);

// The folder a local URL names, made absolute against the repository root.
std::string local_root(const RemoteConfig& rc, const std::string& repo_root);

} // namespace mlops::remote
