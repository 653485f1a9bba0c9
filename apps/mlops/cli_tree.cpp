#include "cli_tree.hpp"

namespace mlops::cli {

namespace {

OptionInfo option_info(const CLI::Option& o) {
    OptionInfo info;
    for (const auto& s : o.get_snames()) info.names.push_back("-" + s);
    for (const auto& l : o.get_lnames()) info.names.push_back("--" + l);
    if (o.get_positional() && info.names.empty()) info.positional = o.get_name(true);
    info.description = o.get_description();
    info.required = o.get_required();
    if (o.get_expected_max() != 0 || !info.positional.empty()) { // a flag expects 0 values
        std::string t = o.get_type_name();
        // "TEXT:{table,md}": the IsMember check names the choices.
        if (auto brace = t.find(":{"); brace != std::string::npos && t.back() == '}') {
            t = t.substr(brace + 1);
            std::string inner = t.substr(1, t.size() - 2), item;
            for (char c : inner) {
                if (c == ',') {
                    info.choices.push_back(item);
                    item.clear();
                } else {
                    item += c;
                }
            }
            if (!item.empty()) info.choices.push_back(item);
        }
        if (!o.get_option_text().empty()) t = o.get_option_text();
        info.value = t.empty() ? "VALUE" : t;
    }
    return info;
}

CommandInfo walk(const CLI::App& app, const std::string& path) {
    CommandInfo c;
    c.name = app.get_name();
    c.path = path;
    c.description = app.get_description();
    c.requires_subcommand = app.get_require_subcommand_min() > 0;
    for (const CLI::Option* o : app.get_options()) {
        if (o->get_group().empty() && !o->get_positional()) continue; // hidden
        c.options.push_back(option_info(*o));
    }
    for (const CLI::App* sub : app.get_subcommands([](const CLI::App* a) { return !a->get_group().empty(); })) {
        std::string p = path.empty() ? sub->get_name() : path + " " + sub->get_name();
        c.subcommands.push_back(walk(*sub, p));
    }
    return c;
}

} // namespace

CommandInfo describe(const CLI::App& app) { return walk(app, ""); }

} // namespace mlops::cli
