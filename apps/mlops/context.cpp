#include "context.hpp"

#include <cstdlib>
#include <iostream>
#include <unistd.h>

#include <mlops/util/paths.hpp>
#include <mlops/util/progress.hpp>

namespace mlops::cli {

Context::Context(std::ostream& out, std::ostream& err) : m_out(out), m_err(err) {}

std::string Context::cwd() const {
    std::string here = util::current_dir();
    if (global.directory.empty()) return here;
    return util::normalize_path(global.directory.front() == '/' ? global.directory : here + "/" + global.directory);
}

workspace::Repository& Context::repo() {
    if (!m_repo) m_repo = util::value_or_throw(workspace::Repository::discover(cwd()));
    return *m_repo;
}

std::vector<std::string> Context::repo_paths(const std::vector<std::string>& user_paths) {
    std::vector<std::string> out;
    auto& r = repo();
    for (const auto& p : user_paths) out.push_back(util::value_or_throw(util::to_repo_relative(r.root(), cwd(), p)));
    return out;
}

bool Context::progress() const { return !global.json && util::progress_enabled(global.quiet); }

bool Context::color() const {
    static const bool tty = ::isatty(STDOUT_FILENO) == 1 && !std::getenv("NO_COLOR");
    return tty && !global.json;
}

void Context::print_json(const nlohmann::json& j) { m_out << j.dump(2) << "\n"; }

void Context::say(const std::string& line) {
    if (!global.quiet) m_out << line << "\n";
}

void Context::warn(const std::string& line) { m_err << "mlops: warning: " << line << "\n"; }

std::string Context::display(const std::string& rel) {
    if (!m_repo) return rel;
    std::string base = cwd();
    std::string abs = m_repo->abs(rel);
    if (base == m_repo->root() || rel == ".") return rel;
    if (abs.starts_with(base + "/")) return abs.substr(base.size() + 1);
    // Outside the current folder: climb to the common one, as git does ("../data"), so that the
    // path can be pasted into a command run from here.
    std::string up, dir = base;
    while (dir.size() > 1 && !abs.starts_with(dir + "/")) {
        up += "../";
        dir = util::parent_path(dir);
    }
    return up + abs.substr(dir.size() > 1 ? dir.size() + 1 : 1);
}

std::string paint(const Context& ctx, const char* code, const std::string& text) {
    if (!ctx.color()) return text;
    return std::string("\x1b[") + code + "m" + text + "\x1b[0m";
}

std::string Context::user_path(const std::string& p) const {
    if (global.directory.empty() || p.empty() || p.front() == '/') return p;
    return util::join_path(cwd(), p);
}

} // namespace mlops::cli
