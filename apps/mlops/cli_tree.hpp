// The command line as data: CLI11's App tree walked into plain structs, for what is generated from
// it (bash completion, man pages), so those never drift from the parser.
#pragma once

#include <string>
#include <vector>

#include <CLI/CLI.hpp>

namespace mlops::cli {

struct OptionInfo {
    std::vector<std::string> names; // "-f", "--file"; empty for a positional
    std::string positional;         // the positional's name ("paths")
    std::string value;              // what a value looks like ("PATH...", "{table,md}"); "" for a flag
    std::vector<std::string> choices; // from an IsMember check
    std::string description;
    bool required = false;
    bool takes_value() const { return !value.empty(); }
};

struct CommandInfo {
    std::string name;  // "diff"
    std::string path;  // "metrics diff" ("" for mlops itself)
    std::string description;
    std::vector<OptionInfo> options;    // help first, then in declaration order
    std::vector<CommandInfo> subcommands; // hidden ones (group "") left out
    bool requires_subcommand = false;
};

CommandInfo describe(const CLI::App& app);

} // namespace mlops::cli
