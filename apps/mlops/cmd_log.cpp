// mlops log: versions of one tracked path across git history.
#include "commands.hpp"

#include <ctime>

#include <mlops/util/progress.hpp>
#include <mlops/workspace/history.hpp>

namespace mlops::cli {

struct LogOptions {
    std::string path;
    std::size_t max_count = 0;
};

static std::string format_time(std::int64_t t, int offset_minutes) {
    std::time_t local = std::time_t(t + std::int64_t(offset_minutes) * 60);
    std::tm tm{};
    gmtime_r(&local, &tm);
    char buf[32];
    std::strftime(buf, sizeof buf, "%Y-%m-%d %H:%M:%S", &tm);
    int off = offset_minutes < 0 ? -offset_minutes : offset_minutes;
    return fmt::format("{} {}{:02}{:02}", buf, offset_minutes < 0 ? '-' : '+', off / 60, off % 60);
}

int run_log(Context& ctx, const LogOptions& opts) {
    auto& repo = ctx.repo();
    auto rel = ctx.repo_paths({opts.path}).front();
    rel = workspace::data_path_for(rel).value_or(rel);
    auto entries = util::value_or_throw(workspace::log(repo, rel, opts.max_count));
    if (ctx.global.json) {
        nlohmann::json list = nlohmann::json::array();
        for (const auto& e : entries) {
            nlohmann::json row = {{"commit", e.commit.id}, {"time", e.commit.time},
                                  {"date", format_time(e.commit.time, e.commit.offset_minutes)},
                                  {"author", e.commit.author}, {"summary", e.commit.summary}, {"deleted", !e.pointer}};
            if (e.pointer) {
                row["oid"] = e.pointer->oid;
                row["kind"] = workspace::kind_name(e.pointer->kind);
                row["size"] = e.pointer->size;
                row["files"] = e.pointer->files;
            }
            list.push_back(row);
        }
        ctx.print_json({{"path", rel}, {"versions", list}});
        return 0;
    }
    if (entries.empty()) {
        ctx.say(fmt::format("{}: no committed versions (commit {}.mlops with git)", rel, rel));
        return 0;
    }
    for (const auto& e : entries) {
        ctx.say(fmt::format("{} {}  {}", paint(ctx, "33", e.commit.id.substr(0, 12)),
                            format_time(e.commit.time, e.commit.offset_minutes), e.commit.author));
        if (e.pointer)
            ctx.say(fmt::format("    {} {}  {}{}  {}", workspace::kind_name(e.pointer->kind), e.pointer->oid.substr(0, 12),
                                util::human_bytes(e.pointer->size),
                                e.pointer->kind == workspace::Kind::dir ? fmt::format(", {} files", e.pointer->files) : "",
                                e.commit.summary));
        else
            ctx.say(fmt::format("    deleted  {}", e.commit.summary));
    }
    return 0;
}

Runner register_log(CLI::App& app) {
    auto opts = std::make_shared<LogOptions>();
    auto* cmd = app.add_subcommand("log", "Show the versions of a tracked path across git history");
    cmd->add_option("path", opts->path, "Tracked path (or its .mlops file)")->required();
    cmd->add_option("-n,--max-count", opts->max_count, "Show at most N versions");
    return [opts](Context& ctx) { return run_log(ctx, *opts); };
}

} // namespace mlops::cli
