#include <mlops/config/config.hpp>

#include <algorithm>
#include <cctype>
#include <cstdlib>

#include <mlops/util/fs.hpp>
#include <mlops/util/paths.hpp>
#include <mlops/util/strings.hpp>

namespace mlops::config {

using util::Error;
using util::fail;

static std::string lower(std::string_view s) {
    std::string out(s);
    for (auto& c : out) c = char(std::tolower(static_cast<unsigned char>(c)));
    return out;
}

static bool valid_name(std::string_view s) {
    if (s.empty()) return false;
    return std::all_of(s.begin(), s.end(), [](char c) {
        return std::isalnum(static_cast<unsigned char>(c)) || c == '-' || c == '_';
    });
}

Result<KeyParts> split_key(std::string_view key) {
    auto first = key.find('.');
    auto last = key.rfind('.');
    if (first == std::string_view::npos)
        return fail(Error::usage(fmt::format("config key '{}' needs a section: section.name", key)));
    KeyParts k;
    k.section = lower(key.substr(0, first));
    k.name = lower(key.substr(last + 1));
    if (last > first) k.subsection = std::string(key.substr(first + 1, last - first - 1));
    if (!valid_name(k.section) || !valid_name(k.name) ||
        (last > first && (k.subsection.empty() || k.subsection.find_first_of("\"\n") != std::string::npos)))
        return fail(Error::usage(fmt::format("config key '{}' is malformed", key)));
    return k;
}

static std::string canonical(const std::string& section, const std::string& sub, const std::string& name) {
    return sub.empty() ? section + "." + name : section + "." + sub + "." + name;
}

static std::string quote_value(std::string_view v) {
    bool needs = v.empty() || v.front() == ' ' || v.back() == ' ' ||
                 v.find_first_of("#;\"\\") != std::string_view::npos;
    if (!needs) return std::string(v);
    std::string out = "\"";
    for (char c : v) {
        if (c == '"' || c == '\\') out += '\\';
        out += c;
    }
    return out + "\"";
}

Result<ConfigFile> ConfigFile::parse(std::string_view text, const std::string& path) {
    ConfigFile f;
    f.m_path = path;
    std::string section, sub;
    std::size_t lineno = 0;
    for (std::string_view raw : util::split_lines(text)) {
        ++lineno;
        Line line;
        line.raw = std::string(raw);
        std::string_view s = util::trim(raw);
        auto bad = [&](std::string_view why) {
            return fail(Error::usage(fmt::format("{}:{}: {}", path, lineno, why)));
        };
        if (s.empty() || s.front() == '#' || s.front() == ';') {
        } else if (s.front() == '[') {
            if (s.back() != ']') return bad("section header must end with ']'");
            std::string_view inner = util::trim(s.substr(1, s.size() - 2));
            auto sp = inner.find_first_of(" \t");
            if (sp == std::string_view::npos) {
                section = lower(inner);
                sub.clear();
            } else {
                section = lower(inner.substr(0, sp));
                std::string_view q = util::trim(inner.substr(sp));
                if (q.size() < 2 || q.front() != '"' || q.back() != '"')
                    return bad("subsection name must be quoted: [section \"name\"]");
                sub = std::string(q.substr(1, q.size() - 2));
            }
            if (!valid_name(section)) return bad(fmt::format("invalid section name '{}'", section));
            line.is_header = true;
            line.section = section;
            line.subsection = sub;
        } else {
            if (section.empty()) return bad("key outside of any [section]");
            auto eq = s.find('=');
            std::string_view name = util::trim(s.substr(0, eq));
            if (!valid_name(name)) return bad(fmt::format("invalid key name '{}'", name));
            std::string value;
            if (eq != std::string_view::npos) {
                std::string_view v = util::trim(s.substr(eq + 1));
                if (!v.empty() && v.front() == '"') {
                    std::size_t i = 1;
                    bool closed = false;
                    for (; i < v.size(); ++i) {
                        if (v[i] == '\\' && i + 1 < v.size()) {
                            value += v[++i];
                        } else if (v[i] == '"') {
                            closed = true;
                            break;
                        } else {
                            value += v[i];
                        }
                    }
                    if (!closed) return bad("unterminated quoted value");
                } else {
                    auto c = v.find_first_of("#;");
                    value = std::string(util::trim(v.substr(0, c)));
                }
            } else {
                value = "true";
            }
            line.section = section;
            line.subsection = sub;
            line.name = lower(name);
            line.value = std::move(value);
        }
        f.m_lines.push_back(std::move(line));
    }
    return f;
}

Result<ConfigFile> ConfigFile::load(const std::string& path) {
    auto text = util::read_file(path);
    if (!text) {
        if (util::stat_path(path).value_or(std::nullopt)) return fail(std::move(text).error());
        ConfigFile f;
        f.m_path = path;
        return f;
    }
    return parse(*text, path);
}

std::optional<std::string> ConfigFile::get(std::string_view key) const {
    auto k = split_key(key);
    if (!k) return std::nullopt;
    std::optional<std::string> out;
    for (const auto& l : m_lines)
        if (!l.name.empty() && l.section == k->section && l.subsection == k->subsection && l.name == k->name)
            out = l.value;
    return out;
}

void ConfigFile::set(std::string_view key, std::string_view value) {
    auto k = split_key(key).value();
    std::string rendered = fmt::format("\t{} = {}", k.name, quote_value(value));
    // Replace the last existing assignment; drop earlier duplicates.
    std::ptrdiff_t last = -1, header = -1;
    for (std::size_t i = 0; i < m_lines.size(); ++i) {
        const auto& l = m_lines[i];
        if (l.section == k.section && l.subsection == k.subsection) {
            if (l.is_header) header = std::ptrdiff_t(i);
            if (l.name == k.name) last = std::ptrdiff_t(i);
        }
    }
    Line line{rendered, k.section, k.subsection, k.name, std::string(value), false};
    if (last >= 0) {
        m_lines[std::size_t(last)] = line;
        return;
    }
    if (header >= 0) {
        // After the last line of that section.
        std::size_t pos = std::size_t(header) + 1;
        while (pos < m_lines.size() && !m_lines[pos].is_header) ++pos;
        m_lines.insert(m_lines.begin() + std::ptrdiff_t(pos), line);
        return;
    }
    Line h;
    h.is_header = true;
    h.section = k.section;
    h.subsection = k.subsection;
    h.raw = k.subsection.empty() ? fmt::format("[{}]", k.section)
                                 : fmt::format("[{} \"{}\"]", k.section, k.subsection);
    m_lines.push_back(h);
    m_lines.push_back(line);
}

bool ConfigFile::unset(std::string_view key) {
    auto k = split_key(key);
    if (!k) return false;
    auto before = m_lines.size();
    std::erase_if(m_lines, [&](const Line& l) {
        return !l.name.empty() && l.section == k->section && l.subsection == k->subsection && l.name == k->name;
    });
    return m_lines.size() != before;
}

std::vector<std::pair<std::string, std::string>> ConfigFile::entries() const {
    std::vector<std::pair<std::string, std::string>> out;
    for (const auto& l : m_lines)
        if (!l.name.empty()) out.emplace_back(canonical(l.section, l.subsection, l.name), l.value);
    return out;
}

std::string ConfigFile::text() const {
    std::string out;
    for (const auto& l : m_lines) out += l.raw + "\n";
    return out;
}

Status ConfigFile::save() const {
    MLOPS_TRYV(util::make_dirs(util::parent_path(m_path)));
    auto lock = MLOPS_TRY(util::LockFile::acquire(m_path));
    return lock.commit(text());
}

std::string global_config_path() {
    if (const char* p = std::getenv("MLOPS_CONFIG_GLOBAL"); p && *p) return p;
    if (const char* x = std::getenv("XDG_CONFIG_HOME"); x && *x) return std::string(x) + "/mlops/config";
    const char* home = std::getenv("HOME");
    return std::string(home ? home : ".") + "/.config/mlops/config";
}

std::string level_path(Level level, const std::string& mlops_dir) {
    switch (level) {
    case Level::global: return global_config_path();
    case Level::repo: return mlops_dir + "/config";
    case Level::local: return mlops_dir + "/config.local";
    }
    return {};
}

Result<Config> Config::load(const std::string& mlops_dir) {
    Config c;
    c.m_files.push_back(MLOPS_TRY(ConfigFile::load(global_config_path())));
    if (!mlops_dir.empty()) {
        c.m_files.push_back(MLOPS_TRY(ConfigFile::load(level_path(Level::repo, mlops_dir))));
        c.m_files.push_back(MLOPS_TRY(ConfigFile::load(level_path(Level::local, mlops_dir))));
    }
    return c;
}

std::optional<std::string> Config::get(std::string_view key) const {
    for (auto it = m_files.rbegin(); it != m_files.rend(); ++it)
        if (auto v = it->get(key)) return v;
    return std::nullopt;
}

std::string Config::get_or(std::string_view key, std::string_view fallback) const {
    auto v = get(key);
    return v ? *v : std::string(fallback);
}

std::string Config::origin(std::string_view key) const {
    for (auto it = m_files.rbegin(); it != m_files.rend(); ++it)
        if (it->get(key)) return it->path();
    return {};
}

Result<long> Config::get_int(std::string_view key, long fallback) const {
    auto v = get(key);
    if (!v) return fallback;
    char* end = nullptr;
    long n = std::strtol(v->c_str(), &end, 10);
    if (v->empty() || *end != '\0')
        return fail(Error::usage(fmt::format("{}: {} = '{}' is not a whole number", origin(key), key, *v)));
    return n;
}

std::vector<std::pair<std::string, std::string>> Config::entries() const {
    std::vector<std::pair<std::string, std::string>> out;
    for (const auto& f : m_files)
        for (auto& [k, v] : f.entries()) {
            auto it = std::find_if(out.begin(), out.end(), [&](auto& p) { return p.first == k; });
            if (it != out.end()) it->second = v;
            else out.emplace_back(k, v);
        }
    return out;
}

namespace {
struct KnownKey {
    const char* key;
    const char* kind; // "int", "bool", "link"
};
constexpr KnownKey k_known[] = {
    {"core.jobs", "int"},
    {"core.progress", "bool"},
    {"cache.type", "link"},
};
} // namespace

Status validate(std::string_view key, std::string_view value) {
    auto k = MLOPS_TRY(split_key(key));
    if (k.section != "core" && k.section != "cache") return {};
    std::string flat = canonical(k.section, k.subsection, k.name);
    const KnownKey* known = nullptr;
    std::vector<std::string> names;
    for (const auto& kk : k_known) {
        names.emplace_back(kk.key);
        if (flat == kk.key) known = &kk;
    }
    if (!known) {
        auto hint = util::closest_match(flat, names);
        return fail(Error::usage(fmt::format("unknown config key '{}'{}", key,
                                             hint.empty() ? "" : fmt::format(" (did you mean '{}'?)", hint))));
    }
    std::string_view kind = known->kind;
    if (kind == "int") {
        char* end = nullptr;
        std::string v(value);
        long n = std::strtol(v.c_str(), &end, 10);
        if (v.empty() || *end != '\0' || n < 0)
            return fail(Error::usage(fmt::format("{} takes a whole number, not '{}'", key, value)));
    } else if (kind == "bool") {
        std::string v = lower(value);
        if (v != "true" && v != "false" && v != "yes" && v != "no" && v != "1" && v != "0")
            return fail(Error::usage(fmt::format("{} takes true or false, not '{}'", key, value)));
    } else if (kind == "link") {
        for (auto part : util::split(value, ',')) {
            auto p = util::trim(part);
            if (p != "reflink" && p != "copy" && p != "hardlink" && p != "symlink")
                return fail(Error::usage(fmt::format(
                    "{}: '{}' is not a link type (reflink, copy, hardlink, symlink)", key, p)));
        }
    }
    return {};
}

} // namespace mlops::config
