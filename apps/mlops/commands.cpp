#include "commands.hpp"

#include <iostream>
#include <map>

#include <mlops/index/index.hpp>

namespace mlops::cli {

namespace {
constexpr Command k_commands[] = {
    {"init", register_init},         {"add", register_add},   {"status", register_status},
    {"checkout", register_checkout}, {"diff", register_diff}, {"log", register_log},
    {"gc", register_gc},             {"fsck", register_fsck}, {"config", register_config},
    {"remote", register_remote},     {"push", register_push}, {"fetch", register_fetch},
    {"pull", register_pull},
    {"run", register_run},           {"dag", register_dag},   {"runs", register_runs},
    {"params", register_params},     {"metrics", register_metrics},
    {"train", register_train},       {"evaluate", register_evaluate}, {"predict", register_predict},
    {"drift", register_drift},       {"monitor", register_monitor}, {"watch", register_watch}, {"explain", register_explain},
    {"stage-exec", register_stage_exec},
    {"model", register_model},
    {"lineage", register_lineage},
    {"reproduce", register_reproduce},
    {"serve", register_serve},
    {"keygen", register_keygen},
    {"export", register_export},
    {"import-dvc", register_import_dvc},
    {"report", register_report},
    {"hooks", register_hooks},
    {"completion", register_completion},
    {"man", register_man},
};

Context* g_ctx = nullptr;
void index_warning(const std::string& m) {
    if (g_ctx) g_ctx->warn(m);
}
} // namespace

const char* const k_exit_code_help = R"(Exit codes:
  0    success
  1    the checked condition is false (status, diff, params diff, metrics diff --exit-code
       found changes; config key unset; evaluate --min/--max missed;
       drift --fail-on-drift found drift; model verify: not signed by the key)
  2    usage error or bad input (bad path, bad pointer file, not a repository)
  3    integrity error: a corrupt or missing object, a model bundle unlike its manifest,
       a model signature that does not verify (or is missing under --require-signature)
  4    a lock is held by another mlops process
  5    a remote failed
  6    the operating system refused (disk full, permission denied)
  7    a pipeline stage failed
  130  interrupted)";

std::span<const Command> commands() { return k_commands; }

int run_main(int argc, char** argv, Context& ctx) {
    g_ctx = &ctx;
    index::set_index_warning_handler(index_warning);
    CLI::App app{"mlops: version data, models and pipelines next to your git repository", "mlops"};
    app.set_version_flag("--version", std::string("mlops ") + MLOPS_VERSION);
    app.require_subcommand(1);
    app.fallthrough(); // global options are accepted after the subcommand too
    app.footer(k_exit_code_help);
    app.add_option("-C", ctx.global.directory, "Run as if started in DIR")->option_text("DIR");
    app.add_flag("--json", ctx.global.json, "Machine-readable output on stdout (documented in docs/json.md)");
    app.add_flag("-q,--quiet", ctx.global.quiet, "Print only errors");
    app.add_flag("-v,--verbose", ctx.global.verbose, "Print more detail (repeatable)");

    std::map<CLI::App*, Runner> runners;
    for (const auto& c : commands()) {
        auto before = app.get_subcommands({});
        Runner r = c.add(app);
        for (auto* sub : app.get_subcommands({}))
            if (std::find(before.begin(), before.end(), sub) == before.end()) runners[sub] = std::move(r);
    }
    try {
        app.parse(argc, argv);
    } catch (const CLI::CallForHelp& e) {
        return app.exit(e);
    } catch (const CLI::CallForAllHelp& e) {
        return app.exit(e);
    } catch (const CLI::CallForVersion& e) {
        return app.exit(e);
    } catch (const CLI::ParseError& e) {
        // For "mlops frobnicate" CLI11 only says that a subcommand is required: name what was typed.
        auto extra = app.remaining();
        if (app.get_subcommands().empty() && !extra.empty() && !extra.front().starts_with("-")) {
            ctx.err() << "mlops: error: '" << extra.front() << "' is not an mlops command (see `mlops --help`)\n";
            return int(util::ExitCode::usage);
        }
        ctx.err() << "mlops: error: " << e.what() << " (see `mlops --help`)\n";
        return int(util::ExitCode::usage);
    }
    try {
        for (auto* sub : app.get_subcommands())
            if (auto it = runners.find(sub); it != runners.end()) return it->second(ctx);
        ctx.err() << "mlops: error: no command given (see `mlops --help`)\n";
        return int(util::ExitCode::usage);
    } catch (const util::CommandError& e) {
        ctx.err() << "mlops: error: " << e.error().message << "\n";
        return int(e.error().exit_code());
    } catch (const std::bad_alloc&) {
        ctx.err() << "mlops: error: out of memory\n";
        return int(util::ExitCode::io);
    } catch (const std::exception& e) {
        ctx.err() << "mlops: error: " << e.what() << "\n";
        return int(util::ExitCode::io);
    }
}

} // namespace mlops::cli
