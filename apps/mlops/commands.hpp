// The table of every command (git's commands[] in git.c): each entry registers one subcommand
// and returns the function that runs it once the command line has been parsed.
#pragma once

#include <functional>
#include <span>

#include <CLI/CLI.hpp>

#include "context.hpp"

namespace mlops::cli {

using Runner = std::function<int(Context&)>;

struct Command {
    const char* name;
    Runner (*add)(CLI::App& parent);
};

std::span<const Command> commands();

// Documented in docs/exit-codes.md; printed at the end of `mlops --help`.
extern const char* const k_exit_code_help;

// Every subcommand file defines one of these.
Runner register_init(CLI::App&);
Runner register_add(CLI::App&);
Runner register_status(CLI::App&);
Runner register_checkout(CLI::App&);
Runner register_diff(CLI::App&);
Runner register_log(CLI::App&);
Runner register_gc(CLI::App&);
Runner register_fsck(CLI::App&);
Runner register_config(CLI::App&);
Runner register_remote(CLI::App&);
Runner register_push(CLI::App&);
Runner register_fetch(CLI::App&);
Runner register_pull(CLI::App&);
Runner register_run(CLI::App&);
Runner register_dag(CLI::App&);
Runner register_runs(CLI::App&);
Runner register_params(CLI::App&);
Runner register_metrics(CLI::App&);
Runner register_train(CLI::App&);
Runner register_evaluate(CLI::App&);
Runner register_predict(CLI::App&);
Runner register_drift(CLI::App&);
Runner register_monitor(CLI::App&);
Runner register_watch(CLI::App&);
Runner register_explain(CLI::App&);
Runner register_stage_exec(CLI::App&);
Runner register_model(CLI::App&);
Runner register_lineage(CLI::App&);
Runner register_reproduce(CLI::App&);
Runner register_serve(CLI::App&);
Runner register_keygen(CLI::App&);
Runner register_export(CLI::App&);
Runner register_import_dvc(CLI::App&);
Runner register_report(CLI::App&);
Runner register_hooks(CLI::App&);
Runner register_completion(CLI::App&);
Runner register_man(CLI::App&);

// Runs the whole command line; returns the process exit code. Never throws.
int run_main(int argc, char** argv, Context& ctx);

} // namespace mlops::cli
