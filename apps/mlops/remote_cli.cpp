#include "remote_cli.hpp"

#include <mutex>

#include <mlops/util/progress.hpp>

namespace mlops::cli {

remote::OpenedRemote open_remote_for(Context& ctx, const std::string& name, unsigned jobs, remote::Access access) {
    auto& repo = ctx.repo();
    auto rc = util::value_or_throw(remote::find_remote(repo.config(), name));
    remote::OpenOptions o;
    o.repo_root = repo.root();
    o.access = access;
    o.jobs = jobs;
    if (ctx.global.verbose > 0) {
        // Threads log concurrently: one line at a time.
        auto mutex = std::make_shared<std::mutex>();
        auto* err = &ctx.err();
        std::string prefix = "mlops: remote '" + rc.name + "': ";
        o.log = [mutex, err, prefix](const std::string& line) {
            std::lock_guard lock(*mutex);
            *err << prefix << line << "\n";
        };
        o.retry_log = o.log;
    }
    auto opened = remote::open_remote(rc, o);
    if (!opened) throw util::CommandError(std::move(opened).error());
    return std::move(*opened);
}

void add_transfer_options(CLI::App* cmd, TransferCliOptions& o) {
    cmd->add_option("paths", o.paths, "Tracked paths, or folders inside a tracked folder (default: everything tracked)")
        ->type_name("PATH...");
    cmd->add_option("-r,--remote", o.remote, "Remote name (default: core.remote, or the only remote)")->type_name("NAME");
    cmd->add_option("-j,--jobs", o.jobs, "Parallel transfers (default: the remote's `jobs`, else 8 for S3, four per core for a folder)");
    cmd->add_flag("--no-records", o.no_records,
                  "Without PATH, run records and the model registry travel too; this leaves them alone");
}

namespace {
nlohmann::json count_json(const remote::Count& c) { return {{"objects", c.objects}, {"bytes", c.bytes}}; }
std::string objects(std::uint64_t n) { return fmt::format("{} object{}", n, n == 1 ? "" : "s"); }
} // namespace

void report_transfer(Context& ctx, const char* operation, const remote::OpenedRemote& r, const remote::TransferStats& st,
                     const nlohmann::json& extra) {
    bool is_push = std::string_view(operation) == "push";
    if (ctx.global.json) {
        nlohmann::json j = {{"operation", operation},
                            {"remote", r.name},
                            {"url", r.location},
                            {is_push ? "sent" : "received", count_json(st.transferred)},
                            {"skipped", count_json(st.skipped)},
                            {"failed", count_json(st.failed)},
                            {"failures", st.failures}};
        for (auto& [k, v] : extra.items()) j[k] = v;
        ctx.print_json(j);
    } else {
        for (std::size_t i = 0; i < st.failures.size() && i < 20; ++i) ctx.warn(st.failures[i]);
        if (st.failures.size() > 20) ctx.warn(fmt::format("... and {} more", st.failures.size() - 20));
        if (st.transferred.objects == 0 && st.failed.objects == 0) {
            ctx.say(fmt::format("Everything is already {} ({} checked).", is_push ? "on '" + r.name + "'" : "here",
                                objects(st.skipped.objects)));
        } else {
            ctx.say(fmt::format("{} {} ({}) {} '{}'; {} already {}.", is_push ? "Pushed" : "Fetched",
                                objects(st.transferred.objects), util::human_bytes(st.transferred.bytes),
                                is_push ? "to" : "from", r.name, st.skipped.objects, is_push ? "there" : "here"));
        }
    }
    if (st.error) throw util::CommandError(*st.error);
}

int run_remote_status(Context& ctx, const RemoteStatusOptions& opts) {
    auto& repo = ctx.repo();
    auto r = open_remote_for(ctx, opts.remote, opts.jobs, remote::Access::read);
    auto sel = remote::value_or_throw(remote::select_paths(repo, ctx.repo_paths(opts.paths)));
    auto roots = remote::value_or_throw(remote::roots_for(repo, sel));
    auto reports = remote::value_or_throw(remote::remote_status(repo, r, roots));
    std::uint64_t missing = 0;
    for (const auto& rep : reports) missing += rep.missing_on_remote;
    if (ctx.global.json) {
        nlohmann::json list = nlohmann::json::array();
        for (const auto& rep : reports) {
            nlohmann::json m = nlohmann::json::array();
            for (const auto& line : rep.missing) {
                auto tab = line.find('\t');
                m.push_back(nlohmann::json{{"path", line.substr(0, tab)}, {"oid", line.substr(tab + 1)}});
            }
            list.push_back(nlohmann::json{{"path", rep.where},
                            {"objects", rep.objects},
                            {"bytes", rep.bytes},
                            {"missing_on_remote", rep.missing_on_remote},
                            {"missing_bytes", rep.missing_bytes},
                            {"missing_locally", rep.missing_locally},
                            {"missing", m}});
        }
        ctx.print_json({{"remote", r.name}, {"url", r.location}, {"up_to_date", missing == 0}, {"paths", list}});
    } else if (reports.empty()) {
        ctx.say("Nothing tracked yet (track data with `mlops add PATH`).");
    } else {
        for (const auto& rep : reports) {
            if (rep.missing_on_remote == 0) {
                if (ctx.global.verbose) ctx.say(fmt::format("{}: on '{}'", ctx.display(rep.where), r.name));
                continue;
            }
            ctx.say(fmt::format("{}: {} of {} missing on '{}' ({}){}", ctx.display(rep.where), rep.missing_on_remote,
                                objects(rep.objects), r.name, util::human_bytes(rep.missing_bytes),
                                rep.missing_locally ? fmt::format(", {} not in the local store either", rep.missing_locally) : ""));
            if (ctx.global.verbose)
                for (const auto& line : rep.missing) ctx.say("\t" + line.substr(0, line.find('\t')));
        }
        if (missing == 0)
            ctx.say(fmt::format("'{}' has everything tracked here ({} path{}).", r.name, reports.size(), reports.size() == 1 ? "" : "s"));
        else
            ctx.say("\n(use `mlops push` to send what is missing)");
    }
    return opts.exit_code && missing ? int(util::ExitCode::condition_false) : 0;
}

} // namespace mlops::cli
