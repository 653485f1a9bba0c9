#include "compare_cli.hpp"

#include <cctype>

namespace mlops::cli {

void add_format_flag(CLI::App* cmd, std::string& format) {
    cmd->add_option("--format", format, "table (aligned, the default) or md (a Markdown table)")
        ->check(CLI::IsMember({"table", "md"}));
}

void add_diff_flags(CLI::App* cmd, CompareOptions& opts, const std::string& noun) {
    add_format_flag(cmd, opts.format);
    cmd->add_flag("-a,--all", opts.all, fmt::format("Show unchanged {} too", noun));
    cmd->add_flag("--exit-code", opts.exit_code,
                  fmt::format("Exit with 1 when any of the {} differs, 0 when none does (like "
                              "git diff --exit-code)",
                              noun));
}

int print_diff(Context& ctx, const DiffKind& kind, const CompareOptions& opts,
               const DiffSide& old_side, const DiffSide& new_side,
               const pipeline::Values& old_values, const pipeline::Values& new_values) {
    auto format = util::value_or_throw(pipeline::parse_table_format(opts.format));
    auto changes = pipeline::compare_values(
        old_values, new_values, opts.all ? pipeline::Unchanged::show : pipeline::Unchanged::hide);
    int rc = opts.exit_code && pipeline::any_difference(changes)
                 ? int(util::ExitCode::condition_false)
                 : 0;
    if (ctx.global.json) {
        nlohmann::json list = nlohmann::json::array();
        for (const auto& c : changes)
            list.push_back(pipeline::change_json(c, kind.relative));
        ctx.print_json({{"old", old_side.json}, {"new", new_side.json}, {kind.noun, list}});
    } else if (changes.empty()) {
        ctx.say(fmt::format("No {}{} between {} and {}.", opts.all ? "" : "changed ", kind.noun,
                            old_side.label, new_side.label));
    } else if (!ctx.global.quiet && format == pipeline::TableFormat::markdown) {
        ctx.out() << markdown_diff(kind, old_side, new_side, changes);
    } else if (!ctx.global.quiet) {
        ctx.out() << pipeline::render_table(
            pipeline::changes_table(changes, kind.key_column, kind.relative), format);
    }
    return rc;
}

std::string markdown_diff(const DiffKind& kind, const DiffSide& old_side, const DiffSide& new_side,
                          const std::vector<pipeline::Change>& changes) {
    // What a CI bot posts as is: a heading naming both sides, and a Change column whose arrows
    // read at a glance (the signed delta stays for copying).
    auto table = pipeline::changes_table(changes, kind.key_column, kind.relative);
    const std::size_t col = 4; // File, key, Old, New, Change
    for (std::size_t i = 0; i < changes.size() && i < table.rows.size(); ++i) {
        auto& cell = table.rows[i][col];
        switch (changes[i].kind) {
        case pipeline::ChangeKind::added: cell = "added"; break;
        case pipeline::ChangeKind::removed: cell = "removed"; break;
        case pipeline::ChangeKind::modified:
            if (cell.starts_with("+"))
                cell = "\u25b2 " + cell;
            else if (cell.starts_with("-"))
                cell = "\u25bc " + cell;
            else if (cell.empty())
                cell = "changed";
            break;
        case pipeline::ChangeKind::unchanged: break;
        }
    }
    std::string noun = kind.noun;
    if (!noun.empty()) noun[0] = char(std::toupper(static_cast<unsigned char>(noun[0])));
    return fmt::format("#### {}: `{}` \u2192 `{}`\n\n", noun, old_side.label, new_side.label) +
           pipeline::render_table(table, pipeline::TableFormat::markdown);
}

} // namespace mlops::cli
