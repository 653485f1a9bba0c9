// mlops config: git-style settings at the global, repository and local level.
#include "commands.hpp"

#include <mlops/config/config.hpp>
#include <mlops/remote/settings.hpp>

namespace mlops::cli {

struct ConfigOptions {
    std::string key;
    std::optional<std::string> value;
    bool global = false;
    bool local = false;
    bool list = false;
    bool unset = false;
};

int run_config(Context& ctx, const ConfigOptions& opts) {
    using config::Level;
    Level level = opts.global ? Level::global : opts.local ? Level::local : Level::repo;
    std::string mlops_dir = level == Level::global && !opts.list ? "" : "";
    auto dir_for = [&]() { return ctx.repo().mlops_dir(); };
    if (opts.list) {
        std::vector<std::pair<std::string, std::string>> entries;
        if (opts.global) {
            entries = util::value_or_throw(config::ConfigFile::load(config::global_config_path())).entries();
        } else if (opts.local) {
            entries = util::value_or_throw(config::ConfigFile::load(config::level_path(Level::local, dir_for()))).entries();
        } else {
            entries = util::value_or_throw(config::Config::load(dir_for())).entries();
        }
        for (auto& [k, v] : entries)
            if (remote::is_secret_key(k)) v = remote::k_masked;
        if (ctx.global.json) {
            nlohmann::json j = nlohmann::json::object();
            for (auto& [k, v] : entries) j[k] = v;
            ctx.print_json(j);
        } else {
            for (auto& [k, v] : entries) ctx.say(k + "=" + v);
        }
        return 0;
    }
    if (opts.key.empty()) throw util::CommandError(util::Error::usage("config needs a KEY (or --list)"));
    util::value_or_throw(config::split_key(opts.key));
    // Remote secrets never go to the committed file, and are never shown.
    bool secret = remote::is_secret_key(opts.key);
    if (secret && level == Level::repo) level = Level::local;
    std::string path = level == Level::global ? config::global_config_path() : config::level_path(level, dir_for());
    if (opts.unset) {
        auto file = util::value_or_throw(config::ConfigFile::load(path));
        if (!file.unset(opts.key)) return int(util::ExitCode::condition_false);
        util::check(file.save());
        return 0;
    }
    if (opts.value) {
        util::check(config::validate(opts.key, *opts.value));
        if (auto k = config::split_key(opts.key); k && k->section == "remote" && !k->subsection.empty())
            util::check(remote::validate_setting(k->name, *opts.value));
        auto file = util::value_or_throw(config::ConfigFile::load(path));
        file.set(opts.key, *opts.value);
        util::check(file.save());
        if (ctx.global.json) ctx.print_json({{"key", opts.key}, {"value", secret ? remote::k_masked : *opts.value}, {"file", path}});
        return 0;
    }
    std::optional<std::string> value;
    if (opts.global || opts.local) {
        value = util::value_or_throw(config::ConfigFile::load(path)).get(opts.key);
    } else {
        value = util::value_or_throw(config::Config::load(dir_for())).get(opts.key);
    }
    if (value && secret) value = remote::k_masked;
    if (ctx.global.json) {
        ctx.print_json({{"key", opts.key}, {"value", value ? nlohmann::json(*value) : nlohmann::json(nullptr)}});
    } else if (value) {
        ctx.out() << *value << "\n";
    }
    return value ? 0 : int(util::ExitCode::condition_false);
}

Runner register_config(CLI::App& app) {
    auto opts = std::make_shared<ConfigOptions>();
    auto* cmd = app.add_subcommand("config", "Get or set settings (section.name or section.sub.name)");
    cmd->add_option("key", opts->key, "section.name, e.g. core.jobs or remote.origin.url");
    cmd->add_option("value", opts->value, "New value");
    auto* g = cmd->add_flag("--global", opts->global, "The user's file (~/.config/mlops/config)");
    auto* l = cmd->add_flag("--local", opts->local, "This clone only (.mlops/config.local, not committed)");
    g->excludes(l);
    cmd->add_flag("-l,--list", opts->list, "Print every setting");
    cmd->add_flag("--unset", opts->unset, "Remove the key");
    return [opts](Context& ctx) { return run_config(ctx, *opts); };
}

} // namespace mlops::cli
