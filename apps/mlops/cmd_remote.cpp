// mlops remote: add, list, remove, default, modify and status of remotes (`[remote "NAME"]`
// sections of .mlops/config; secrets go to .mlops/config.local, which git ignores).
#include "commands.hpp"
#include "remote_cli.hpp"

#include <mlops/config/config.hpp>
#include <mlops/remote/settings.hpp>
#include <mlops/util/strings.hpp>

namespace mlops::cli {

namespace {

struct RemoteOptions {
    std::string name;
    std::string url;
    std::string key;
    std::string value;
    bool make_default = false;
    bool unset = false;
    RemoteStatusOptions status;
};

std::string repo_config_path(Context& ctx, config::Level level) { return config::level_path(level, ctx.repo().mlops_dir()); }

// Drops `[remote "NAME"]` headers that no longer hold any key.
std::string drop_empty_section(const std::string& text, const std::string& name) {
    auto lines = util::split_lines(text);
    std::string header = "[remote \"" + name + "\"]";
    std::string out;
    for (std::size_t i = 0; i < lines.size(); ++i) {
        if (util::trim(lines[i]) == header) {
            std::size_t j = i + 1;
            bool has_keys = false;
            for (; j < lines.size(); ++j) {
                auto t = util::trim(lines[j]);
                if (t.starts_with("[")) break;
                if (!t.empty() && t.front() != '#' && t.front() != ';') has_keys = true;
            }
            if (!has_keys) {
                i = j - 1;
                continue;
            }
        }
        out.append(lines[i]).append("\n");
    }
    return out;
}

void require_remote(Context& ctx, const std::string& name) {
    auto names = remote::remote_names(ctx.repo().config());
    if (std::find(names.begin(), names.end(), name) == names.end())
        util::value_or_throw(remote::find_remote(ctx.repo().config(), name)); // throws the standard message
}

int run_add(Context& ctx, const RemoteOptions& o) {
    if (!remote::valid_remote_name(o.name))
        throw util::CommandError(util::Error::usage(fmt::format(
            "'{}' is not a valid remote name (letters, digits, '-' and '_', not starting with '-')", o.name)));
    auto url = remote::parse_url(o.url);
    if (!url) throw util::CommandError(util::Error::usage(fmt::format("remote '{}': {}", o.name, url.error().message)));
    auto names = remote::remote_names(ctx.repo().config());
    if (std::find(names.begin(), names.end(), o.name) != names.end())
        throw util::CommandError(util::Error::usage(fmt::format(
            "remote '{}' already exists (change it with `mlops remote modify {} url URL`)", o.name, o.name)));
    auto file = util::value_or_throw(config::ConfigFile::load(repo_config_path(ctx, config::Level::repo)));
    file.set("remote." + o.name + ".url", o.url);
    if (o.make_default) file.set("core.remote", o.name);
    util::check(file.save());
    if (ctx.global.json)
        ctx.print_json({{"name", o.name}, {"url", o.url}, {"default", o.make_default}});
    else
        ctx.say(fmt::format("Added remote '{}' ({}){}.", o.name, o.url, o.make_default ? " as the default" : ""));
    return 0;
}

int run_list(Context& ctx) {
    const auto& cfg = ctx.repo().config();
    auto names = remote::remote_names(cfg);
    std::string def = remote::default_remote(cfg);
    if (def.empty() && names.size() == 1) def = names.front();
    nlohmann::json list = nlohmann::json::array();
    for (const auto& n : names) {
        nlohmann::json settings = nlohmann::json::object();
        std::string prefix = "remote." + n + ".";
        for (const auto& [k, v] : cfg.entries())
            if (k.starts_with(prefix)) settings[k.substr(prefix.size())] = remote::is_secret_key(k) ? remote::k_masked : v;
        std::string url = cfg.get_or(prefix + "url", "");
        if (ctx.global.json) {
            list.push_back({{"name", n}, {"url", url}, {"default", n == def}, {"settings", settings}});
            continue;
        }
        ctx.say(fmt::format("{}{}\t{}", n, n == def ? " (default)" : "", url));
        if (ctx.global.verbose)
            for (auto& [k, v] : settings.items())
                if (k != "url") ctx.say(fmt::format("\t{} = {}", k, v.get<std::string>()));
    }
    if (ctx.global.json) ctx.print_json({{"remotes", list}});
    else if (names.empty()) ctx.say("No remotes (add one with `mlops remote add NAME URL`).");
    return 0;
}

int run_remove(Context& ctx, const RemoteOptions& o) {
    require_remote(ctx, o.name);
    std::string prefix = "remote." + o.name + ".";
    for (auto level : {config::Level::repo, config::Level::local}) {
        auto path = repo_config_path(ctx, level);
        auto file = util::value_or_throw(config::ConfigFile::load(path));
        bool changed = false;
        for (const auto& [k, v] : file.entries())
            if (k.starts_with(prefix)) changed = file.unset(k) || changed;
        if (file.get("core.remote") == o.name) changed = file.unset("core.remote") || changed;
        if (!changed) continue;
        auto cleaned = util::value_or_throw(config::ConfigFile::parse(drop_empty_section(file.text(), o.name), path));
        util::check(cleaned.save());
    }
    if (ctx.global.json) ctx.print_json({{"removed", o.name}});
    else ctx.say(fmt::format("Removed remote '{}' (the data on it is untouched).", o.name));
    return 0;
}

int run_default(Context& ctx, const RemoteOptions& o) {
    if (o.name.empty()) {
        std::string def = remote::default_remote(ctx.repo().config());
        if (ctx.global.json) ctx.print_json({{"default", def.empty() ? nlohmann::json(nullptr) : nlohmann::json(def)}});
        else if (!def.empty()) ctx.out() << def << "\n";
        return def.empty() ? int(util::ExitCode::condition_false) : 0;
    }
    require_remote(ctx, o.name);
    auto file = util::value_or_throw(config::ConfigFile::load(repo_config_path(ctx, config::Level::repo)));
    file.set("core.remote", o.name);
    util::check(file.save());
    if (ctx.global.json) ctx.print_json({{"default", o.name}});
    else ctx.say(fmt::format("Default remote is now '{}'.", o.name));
    return 0;
}

int run_modify(Context& ctx, const RemoteOptions& o) {
    require_remote(ctx, o.name);
    std::string key = "remote." + o.name + "." + o.key;
    // Secrets never go to the committed file.
    auto level = remote::is_secret_key(key) ? config::Level::local : config::Level::repo;
    if (o.unset) {
        bool any = false;
        for (auto l : {config::Level::repo, config::Level::local}) {
            auto file = util::value_or_throw(config::ConfigFile::load(repo_config_path(ctx, l)));
            if (file.unset(key)) {
                util::check(file.save());
                any = true;
            }
        }
        if (o.key == "url") throw util::CommandError(util::Error::usage("a remote needs a url (use `mlops remote remove`)"));
        return any ? 0 : int(util::ExitCode::condition_false);
    }
    util::check(remote::validate_setting(o.key, o.value));
    auto path = repo_config_path(ctx, level);
    auto file = util::value_or_throw(config::ConfigFile::load(path));
    file.set(key, o.value);
    util::check(file.save());
    std::string shown = remote::is_secret_key(key) ? remote::k_masked : o.value;
    if (ctx.global.json) ctx.print_json({{"key", key}, {"value", shown}, {"file", path}});
    else if (level == config::Level::local) ctx.say(fmt::format("Set {} in {} (not committed).", key, path));
    return 0;
}

} // namespace

Runner register_remote(CLI::App& app) {
    auto o = std::make_shared<RemoteOptions>();
    auto* cmd = app.add_subcommand("remote", "Manage remotes: where push, fetch and pull send and get data");
    cmd->require_subcommand(1);
    auto* add = cmd->add_subcommand("add", "Add a remote: /path, file:///path or s3://bucket/prefix");
    add->add_option("name", o->name, "Remote name")->required();
    add->add_option("url", o->url, "Where the data goes")->required();
    add->add_flag("-d,--default", o->make_default, "Make it the default remote");
    auto* list = cmd->add_subcommand("list", "List remotes (-v: with their settings; secrets masked)");
    auto* remove = cmd->add_subcommand("remove", "Forget a remote (its data is not touched)");
    remove->add_option("name", o->name, "Remote name")->required();
    auto* def = cmd->add_subcommand("default", "Set (or print) the default remote (core.remote)");
    def->add_option("name", o->name, "Remote name");
    auto* modify = cmd->add_subcommand("modify", "Change a remote setting (same as `mlops config remote.NAME.KEY VALUE`)");
    modify->add_option("name", o->name, "Remote name")->required();
    std::string keys;
    for (const auto& s : remote::known_settings()) keys += fmt::format("\n  {:<20}{}", s.name, s.help);
    modify->add_option("key", o->key, "Setting:" + keys)->required();
    modify->add_option("value", o->value, "New value");
    modify->add_flag("--unset", o->unset, "Remove the setting");
    auto* status = cmd->add_subcommand("status", "Which tracked objects the remote lacks");
    status->add_option("paths", o->status.paths, "Tracked paths (default: all)")->type_name("PATH...");
    status->add_option("-r,--remote", o->status.remote, "Remote name (default: core.remote, or the only remote)")->type_name("NAME");
    status->add_option("-j,--jobs", o->status.jobs, "Parallel requests");
    status->add_flag("--exit-code", o->status.exit_code, "Exit with 1 when the remote lacks anything");
    return [=](Context& ctx) -> int {
        if (add->parsed()) return run_add(ctx, *o);
        if (list->parsed()) return run_list(ctx);
        if (remove->parsed()) return run_remove(ctx, *o);
        if (def->parsed()) return run_default(ctx, *o);
        if (modify->parsed()) {
            if (!o->unset && o->value.empty() && modify->count("value") == 0)
                throw util::CommandError(util::Error::usage("remote modify needs NAME KEY VALUE (or --unset)"));
            return run_modify(ctx, *o);
        }
        if (status->parsed()) return run_remote_status(ctx, o->status);
        throw util::CommandError(util::Error::usage("remote needs a subcommand (see `mlops remote --help`)"));
    };
}

} // namespace mlops::cli
