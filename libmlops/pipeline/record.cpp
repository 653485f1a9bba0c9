#include <mlops/pipeline/record.hpp>

#include <algorithm>
#include <ctime>
#include <unistd.h>

namespace mlops::pipeline {

using util::Error;
using util::fail;

#ifndef MLOPS_VERSION
#define MLOPS_VERSION "0.1.0"
#endif

Result<CodeVersion> code_version(workspace::Repository& repo, const std::vector<std::string>& exclude) {
    CodeVersion v;
    if (!repo.has_git()) return v;
    auto* git = MLOPS_TRY(repo.git());
    if (auto head = MLOPS_TRY(git->head_commit())) v.commit = *head;
    for (auto& f : MLOPS_TRY(git->changed_files()))
        if (std::find(exclude.begin(), exclude.end(), f) == exclude.end()) v.dirty_files.push_back(std::move(f));
    v.dirty = !v.dirty_files.empty();
    return v;
}

std::string iso_time(std::int64_t ns) {
    std::time_t secs = std::time_t(ns / 1'000'000'000);
    std::tm tm{};
    gmtime_r(&secs, &tm);
    char buf[32];
    std::strftime(buf, sizeof buf, "%Y-%m-%dT%H:%M:%S", &tm);
    return fmt::format("{}.{:03}Z", buf, (ns / 1'000'000) % 1000);
}

nlohmann::json run_record_json(const RunRecord& r) {
    nlohmann::json outs = nlohmann::json::array();
    for (const auto& o : r.outs)
        outs.push_back({{"path", o.path}, {"oid", o.oid}, {"kind", o.kind}, {"size", o.size}, {"files", o.files}, {"cache", o.cache}});
    nlohmann::json deps = nlohmann::json::array();
    for (const auto& [p, oid] : r.deps) deps.push_back({{"path", p}, {"oid", oid.empty() ? nlohmann::json(nullptr) : nlohmann::json(oid)}});
    return {
        {"type", "mlops-run"},
        {"version", 1},
        {"run_id", r.run_id},
        {"stage", r.stage},
        {"pipeline", r.pipeline},
        {"cmd", r.cmd},
        {"wdir", r.wdir},
        {"fingerprint", r.fingerprint},
        {"deps", deps},
        {"params", r.params},
        {"outs", outs},
        {"metrics", r.metrics},
        {"code", {{"commit", r.code.commit.empty() ? nlohmann::json(nullptr) : nlohmann::json(r.code.commit)},
                  {"dirty", r.code.dirty},
                  {"dirty_files", r.code.dirty_files}}},
        {"host", r.host},
        {"user", r.user},
        {"tool", {{"mlops", r.tool_version}}},
        {"started", iso_time(r.started_ns)},
        {"ended", iso_time(r.ended_ns)},
        {"started_ns", r.started_ns},
        {"ended_ns", r.ended_ns},
        {"duration_s", double(r.ended_ns - r.started_ns) / 1e9},
        {"exit_status", r.exit_status},
        {"status", r.status},
        {"error", r.error},
        {"log_oid", r.log_oid},
    };
}

std::string serialize_run_record(RunRecord rec) {
    if (rec.host.empty()) rec.host = util::host_name();
    if (rec.user.empty()) rec.user = util::user_name();
    if (rec.tool_version.empty()) rec.tool_version = MLOPS_VERSION;
    return run_record_json(rec).dump(2) + "\n";
}

Result<RunRecord> parse_run_record(const std::string& text, const std::string& oid) {
    RunRecord r;
    try {
        auto j = nlohmann::json::parse(text);
        if (j.value("type", "") != "mlops-run") return fail(Error::integrity(fmt::format("object {} is not a run record", oid)));
        r.run_id = j.at("run_id");
        r.stage = j.at("stage");
        r.pipeline = j.value("pipeline", "");
        r.cmd = j.at("cmd");
        r.wdir = j.value("wdir", "");
        r.fingerprint = j.value("fingerprint", "");
        for (const auto& d : j.at("deps")) r.deps[d.at("path")] = d.at("oid").is_null() ? "" : d.at("oid").get<std::string>();
        r.params = j.value("params", nlohmann::json::object());
        for (const auto& o : j.at("outs"))
            r.outs.push_back({o.at("path"), o.at("oid"), o.value("kind", "file"), o.value("size", std::uint64_t(0)),
                              o.value("files", std::uint64_t(1)), o.value("cache", true)});
        r.metrics = j.value("metrics", nlohmann::json::object());
        const auto& code = j.at("code");
        r.code.commit = code.at("commit").is_null() ? "" : code.at("commit").get<std::string>();
        r.code.dirty = code.value("dirty", false);
        r.code.dirty_files = code.value("dirty_files", std::vector<std::string>{});
        r.host = j.value("host", "");
        r.user = j.value("user", "");
        r.tool_version = j.value("tool", nlohmann::json::object()).value("mlops", "");
        r.started_ns = j.value("started_ns", std::int64_t(0));
        r.ended_ns = j.value("ended_ns", std::int64_t(0));
        r.exit_status = j.value("exit_status", 0);
        r.status = j.value("status", "");
        r.error = j.value("error", "");
        r.log_oid = j.value("log_oid", "");
    } catch (const nlohmann::json::exception& e) {
        return fail(Error::integrity(fmt::format("run record {} is malformed: {}", oid, e.what())));
    }
    return r;
}

index::RunRow run_row(const RunRecord& rec, const std::string& oid) {
    return {rec.run_id, oid, rec.stage, rec.pipeline, rec.status, rec.started_ns, rec.ended_ns,
            rec.status == "succeeded" ? rec.fingerprint : "", rec.code.commit};
}

Result<bool> index_run_object(workspace::Repository& repo, const std::string& oid, const std::string& text) {
    auto rec = parse_run_record(text, oid);
    if (!rec) return false;
    auto* index = MLOPS_TRY(repo.index());
    MLOPS_TRYV(index->insert_run(run_row(*rec, oid)));
    return true;
}

Result<std::size_t> reindex_runs(workspace::Repository& repo) {
    std::size_t n = 0;
    MLOPS_TRYV(repo.objects().for_each_record("mlops-run", [&](const std::string& oid, const std::string& text) -> Status {
        if (MLOPS_TRY(index_run_object(repo, oid, text))) ++n;
        return {};
    }));
    return n;
}

} // namespace mlops::pipeline
