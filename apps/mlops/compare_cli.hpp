// What `params diff` and `metrics diff` share on the command line: their output flags, and printing
// the changes (JSON, an aligned or Markdown table, or one line saying nothing changed) with the exit
// code of --exit-code.
#pragma once

#include <string>

#include <CLI/CLI.hpp>
#include <nlohmann/json.hpp>

#include <mlops/pipeline/compare.hpp>

#include "context.hpp"

namespace mlops::cli {

struct CompareOptions {
    std::string format = "table"; // table or md
    bool all = false;             // unchanged values too
    bool exit_code = false;       // exit 1 when anything differs
};

// --format (also for `metrics show`).
void add_format_flag(CLI::App* cmd, std::string& format);
// --format, -a/--all and --exit-code; `noun` is "params" or "metrics".
void add_diff_flags(CLI::App* cmd, CompareOptions& opts, const std::string& noun);

struct DiffSide {
    nlohmann::json json; // what --json prints as "old"/"new"
    std::string label;   // how the no-change line names it
};

struct DiffKind {
    std::string noun;       // "params" or "metrics": the JSON key, and the no-change line's word
    std::string key_column; // "Param" or "Metric"
    pipeline::Relative relative;
};

// Compares, prints, and returns the command's exit code.
int print_diff(Context& ctx, const DiffKind& kind, const CompareOptions& opts,
               const DiffSide& old_side, const DiffSide& new_side,
               const pipeline::Values& old_values, const pipeline::Values& new_values);

// The Markdown form of a diff (--format md): a heading naming both sides and the table, with
// arrows in the Change column (\u25b2 up, \u25bc down) and `added`/`removed`/`changed` for keys
// without a numeric delta.
std::string markdown_diff(const DiffKind& kind, const DiffSide& old_side, const DiffSide& new_side,
                          const std::vector<pipeline::Change>& changes);

} // namespace mlops::cli
