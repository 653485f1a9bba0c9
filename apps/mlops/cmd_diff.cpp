// mlops diff: changes in tracked data between the work tree and a revision, or two revisions.
#include "commands.hpp"

#include <mlops/remote/settings.hpp>
#include <mlops/tablediff/render.hpp>
#include <mlops/tablediff/source.hpp>
#include <mlops/util/progress.hpp>
#include <mlops/workspace/history.hpp>

namespace mlops::cli {

struct DiffOptions {
    std::vector<std::string> revs;
    std::vector<std::string> paths;
    bool exit_code = false;
    // --rows: a row-level diff of one CSV file (docs/row-diff.md).
    std::string rows;
    std::vector<std::string> keys;
    std::string memory = "256MiB";
    std::size_t limit = 10;
    bool limit_given = false;
    std::string format;
};

// `diff --rows PATH`: the same revision conventions as the tracked-data diff (none: HEAD vs the
// work tree; one: REV vs the work tree; two: REV vs REV).
int run_row_diff(Context& ctx, const DiffOptions& opts) {
    auto& repo = ctx.repo();
    if (!opts.paths.empty()) throw util::CommandError(util::Error::usage("--rows takes one file; --path does not apply"));
    if (!opts.format.empty() && opts.format != "text" && opts.format != "md" && opts.format != "json")
        throw util::CommandError(util::Error::usage(fmt::format("--format {}: one of text, md, json", opts.format)));
    auto memory = remote::parse_size(opts.memory);
    if (!memory || *memory < (64u << 10))
        throw util::CommandError(util::Error::usage(fmt::format("--memory {}: give a size of at least 64KiB, like 256MiB or 2G", opts.memory)));
    auto rel = ctx.repo_paths({opts.rows}).front();
    std::optional<std::string> a_rev = opts.revs.empty() ? std::optional<std::string>("HEAD") : opts.revs[0];
    std::optional<std::string> b_rev = opts.revs.size() == 2 ? std::optional<std::string>(opts.revs[1]) : std::nullopt;
    std::string tmp = repo.mlops_dir() + "/tmp";
    auto a = util::value_or_throw(tablediff::version_at(repo, rel, a_rev, tmp));
    auto b = util::value_or_throw(tablediff::version_at(repo, rel, b_rev, tmp));
    bool json = ctx.global.json || opts.format == "json";
    tablediff::Options o;
    o.keys = opts.keys;
    o.memory = *memory;
    o.limit = json && !opts.limit_given ? 0 : opts.limit;
    o.tmp_dir = tmp;
    auto d = util::value_or_throw(tablediff::diff(a.side, b.side, o));
    tablediff::RenderOptions r{ctx.display(rel), *a_rev, b_rev.value_or("work tree"), o.limit};
    if (json) ctx.print_json(tablediff::to_json(d, r));
    else if (opts.format == "md") ctx.out() << tablediff::to_markdown(d, r);
    else if (!ctx.global.quiet) ctx.out() << tablediff::to_text(d, r);
    return opts.exit_code && d.any_difference() ? int(util::ExitCode::condition_false) : 0;
}

int run_diff(Context& ctx, const DiffOptions& opts) {
    if (opts.revs.size() > 2) throw util::CommandError(util::Error::usage("diff takes at most two revisions"));
    if (!opts.rows.empty()) return run_row_diff(ctx, opts);
    auto& repo = ctx.repo();
    workspace::DiffOptions d;
    if (opts.revs.size() >= 1) d.a_rev = opts.revs[0];
    if (opts.revs.size() == 2) d.b_rev = opts.revs[1];
    d.paths = ctx.repo_paths(opts.paths);
    auto entries = util::value_or_throw(workspace::diff(repo, d));
    if (ctx.global.json) {
        nlohmann::json j = {{"added", nlohmann::json::array()}, {"removed", nlohmann::json::array()}, {"modified", nlohmann::json::array()}};
        for (const auto& e : entries) {
            nlohmann::json row = {{"path", e.path}, {"old_size", e.old_size}, {"new_size", e.new_size},
                                  {"old_oid", e.old_oid.empty() ? nlohmann::json(nullptr) : nlohmann::json(e.old_oid)},
                                  {"new_oid", e.new_oid.empty() ? nlohmann::json(nullptr) : nlohmann::json(e.new_oid)},
                                  {"is_dir", e.is_dir}, {"contents_unknown", e.contents_unknown}};
            j[workspace::change_name(e.change)].push_back(row);
        }
        ctx.print_json(j);
    } else if (entries.empty()) {
        ctx.say("No changes in tracked data.");
    } else {
        for (const auto& e : entries) {
            std::string size = e.change == workspace::ChangeKind::added     ? util::human_bytes(e.new_size)
                               : e.change == workspace::ChangeKind::removed ? util::human_bytes(e.old_size)
                                   : fmt::format("{} -> {}", util::human_bytes(e.old_size), util::human_bytes(e.new_size));
            const char* colour = e.change == workspace::ChangeKind::added ? "32" : e.change == workspace::ChangeKind::removed ? "31" : "33";
            ctx.say(fmt::format("{}  {}{}  ({})", paint(ctx, colour, fmt::format("{:<9}", workspace::change_name(e.change))),
                                e.path, e.is_dir ? "/" : "", size));
        }
    }
    return opts.exit_code && !entries.empty() ? int(util::ExitCode::condition_false) : 0;
}

Runner register_diff(CLI::App& app) {
    auto opts = std::make_shared<DiffOptions>();
    auto* cmd = app.add_subcommand("diff", "Show changes in tracked data: work tree vs REV (default HEAD), or REV vs REV");
    cmd->add_option("revs", opts->revs, "Zero, one or two git revisions")->type_name("[REV [REV]]");
    // One value per --path: a vector option would otherwise swallow the revisions after it.
    cmd->add_option("--path", opts->paths, "Only these tracked paths (repeatable)")->allow_extra_args(false);
    cmd->add_flag("--exit-code", opts->exit_code, "Exit with 1 when there are changes");
    cmd->add_option("--rows", opts->rows, "Row-level diff of one CSV file (tracked or plain): rows added, removed, changed")
        ->option_text("PATH");
    cmd->add_option("--key", opts->keys, "With --rows: key column(s) that name a row (--key a,b); default: whole rows")
        ->delimiter(',')->allow_extra_args(false)->option_text("COL[,COL]");
    cmd->add_option("--memory", opts->memory, "With --rows: memory for rows held at once; beyond it rows spill to disk (default 256MiB)")
        ->option_text("SIZE");
    auto* limit = cmd->add_option("--limit", opts->limit, "With --rows: rows shown per kind (default 10; --json: all; 0 = all)")->option_text("N");
    cmd->add_option("--format", opts->format, "With --rows: text (default), md (Markdown for CI bots) or json")->option_text("FORMAT");
    return [opts, cmd, limit](Context& ctx) {
        opts->limit_given = limit->count() > 0;
        for (const char* o : {"--key", "--memory", "--limit", "--format"})
            if (opts->rows.empty() && cmd->count(o) > 0)
                throw util::CommandError(util::Error::usage(fmt::format("{} applies to --rows only", o)));
        return run_diff(ctx, *opts);
    };
}

} // namespace mlops::cli
