#include "compare_cli.hpp"

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
    } else if (!ctx.global.quiet) {
        ctx.out() << pipeline::render_table(
            pipeline::changes_table(changes, kind.key_column, kind.relative), format);
    }
    return rc;
}

} // namespace mlops::cli
