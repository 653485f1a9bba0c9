// mlops reproduce RUN [--verify]: rerun a recorded stage from its code commit and exact inputs in a
// temporary work tree, and with --verify compare every output with the recorded one (exit 1 on any
// difference). See docs/reproduce.md.
#include "commands.hpp"

#include <mlops/pipeline/reproduce.hpp>

#include "records_cli.hpp"
#include "remote_cli.hpp"
#include "run_lookup.hpp"

namespace mlops::cli {

struct ReproduceOptions {
    std::string run;
    bool verify = false;
    bool keep = false;
    std::string remote;
};

int run_reproduce(Context& ctx, const ReproduceOptions& opts) {
    auto& repo = ctx.repo();
    auto rec = load_run_record(ctx, opts.run);
    if (rec.code.dirty)
        ctx.warn(fmt::format("run {} was made from a work tree with uncommitted changes ({}); reproduction cannot be promised",
                             rec.run_id, fmt::join(rec.code.dirty_files, ", ")));
    pipeline::ReproduceOptions ro;
    ro.echo = !ctx.global.json && !ctx.global.quiet;
    ro.keep = opts.keep;
    // Inputs that are not here come from the default (or chosen) remote when there is one.
    ro.fetch_missing = [&](const std::vector<pipeline::InputRef>& missing) -> util::Status {
        std::optional<remote::OpenedRemote> r;
        try {
            r.emplace(open_remote_for(ctx, opts.remote, 0, remote::Access::read));
        } catch (const util::CommandError& e) {
            if (!opts.remote.empty()) throw;
            return {}; // no remote configured: the error names the missing inputs
        }
        std::vector<remote::Root> roots;
        for (const auto& in : missing) roots.push_back({in.oid, false, in.path, ""});
        auto st = remote::fetch(repo, *r, roots, {ctx.progress()});
        if (!st) return util::fail(util::Error(st.error().kind, st.error().message));
        // A folder input is a tree: now that it is here, its entries follow.
        std::vector<remote::Root> trees;
        for (auto root : roots) {
            auto text = repo.objects().read(root.oid);
            if (text && text->starts_with("mlops-tree 1\n")) {
                root.tree = true;
                trees.push_back(root);
            }
        }
        if (!trees.empty()) {
            auto more = remote::fetch(repo, *r, trees, {ctx.progress()});
            if (!more) return util::fail(util::Error(more.error().kind, more.error().message));
            add_transfer_stats(*st, *more);
        }
        if (!ctx.global.json) ctx.say(fmt::format("fetched {} missing input object{} from '{}'", st->transferred.objects, st->transferred.objects == 1 ? "" : "s", r->name));
        return {};
    };
    if (!ctx.global.json) ctx.say(fmt::format("reproducing run {} ({}) at commit {}", rec.run_id, rec.stage, rec.code.commit.substr(0, 12)));
    ctx.out().flush(); // before the command's own output on stderr
    auto result = util::value_or_throw(pipeline::reproduce(repo, rec, ro));
    bool tampered = !result.tampered_inputs.empty();
    if (tampered && !opts.verify)
        throw util::CommandError(util::Error::integrity(fmt::format("run {}: input object{} no longer match{} {} oid{}: {}; nothing was run (see `mlops fsck`)",
                                                                    rec.run_id, result.tampered_inputs.size() == 1 ? "" : "s",
                                                                    result.tampered_inputs.size() == 1 ? "es" : "", result.tampered_inputs.size() == 1 ? "its" : "their",
                                                                    result.tampered_inputs.size() == 1 ? "" : "s", fmt::join(result.tampered_inputs, ", "))));
    bool identical = !tampered && result.exit_status == 0 && result.all_identical();
    if (ctx.global.json) {
        nlohmann::json outs = nlohmann::json::array();
        for (const auto& o : result.outputs)
            outs.push_back({{"path", o.path},
                            {"recorded", o.recorded},
                            {"reproduced", o.reproduced.empty() ? nlohmann::json(nullptr) : nlohmann::json(o.reproduced)},
                            {"identical", o.identical()}});
        ctx.print_json({{"run_id", rec.run_id},
                        {"stage", rec.stage},
                        {"commit", rec.code.commit},
                        {"dirty", rec.code.dirty},
                        {"dirty_files", rec.code.dirty_files},
                        {"exit_status", result.exit_status},
                        {"outputs", outs},
                        {"identical", identical},
                        {"notes", result.notes},
                        {"tampered_inputs", result.tampered_inputs},
                        {"work_dir", opts.keep ? nlohmann::json(result.work_dir) : nlohmann::json(nullptr)}});
    } else {
        for (const auto& n : result.notes) ctx.say("  input " + n);
        for (const auto& t : result.tampered_inputs) ctx.say("  DIFFERENT  input " + t + ": the stored object no longer matches its oid");
        if (tampered) {
        } else if (result.exit_status != 0) {
            ctx.err() << result.log_tail;
        } else if (opts.verify) {
            for (const auto& o : result.outputs)
                ctx.say(fmt::format("  {:<10} {}  {}", o.identical() ? "identical" : o.reproduced.empty() ? "missing" : "DIFFERENT",
                                    o.path, o.identical() ? o.recorded.substr(0, 12)
                                                          : fmt::format("recorded {}, now {}", o.recorded.substr(0, 12),
                                                                        o.reproduced.empty() ? "-" : o.reproduced.substr(0, 12))));
        }
        if (opts.keep) ctx.say("work tree kept at " + result.work_dir);
    }
    if (tampered) {
        if (!ctx.global.json) ctx.say("NOT reproduced: an input differs from the recorded one; the command was not run");
        return int(util::ExitCode::condition_false);
    }
    if (result.exit_status != 0) {
        ctx.err() << fmt::format("mlops: the command of stage {} exited with status {}\n", rec.stage, result.exit_status);
        return int(util::ExitCode::stage_failed);
    }
    if (!opts.verify) {
        if (!ctx.global.json) ctx.say("the command succeeded (use --verify to compare its outputs with the recorded ones)");
        return 0;
    }
    std::size_t differ = std::count_if(result.outputs.begin(), result.outputs.end(), [](const auto& o) { return !o.identical(); });
    if (!ctx.global.json)
        ctx.say(differ == 0 ? fmt::format("reproduced: all {} output{} identical", result.outputs.size(), result.outputs.size() == 1 ? "" : "s")
                            : fmt::format("NOT reproduced: {} of {} outputs differ", differ, result.outputs.size()));
    return differ == 0 ? 0 : int(util::ExitCode::condition_false);
}

Runner register_reproduce(CLI::App& app) {
    auto opts = std::make_shared<ReproduceOptions>();
    auto* cmd = app.add_subcommand("reproduce", "Rerun a recorded run from its commit and exact inputs in a temporary work tree");
    cmd->add_option("run", opts->run, "Run id (or a unique prefix)")->required();
    cmd->add_flag("--verify", opts->verify, "Compare every output with the recorded oid (exit 1 on any difference)");
    cmd->add_flag("--keep", opts->keep, "Keep the temporary work tree and print where it is");
    cmd->add_option("-r,--remote", opts->remote, "Fetch missing inputs from this remote (default: the default remote)")->type_name("NAME");
    return [opts](Context& ctx) { return run_reproduce(ctx, *opts); };
}

} // namespace mlops::cli
