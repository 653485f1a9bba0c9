// What every command gets: the global options, output streams and the repository (found on first
// use, so commands that need none, like `config --global`, work anywhere).
#pragma once

#include <iosfwd>
#include <memory>
#include <string>
#include <vector>

#include <nlohmann/json.hpp>

#include <mlops/workspace/repository.hpp>

namespace mlops::cli {

struct GlobalOptions {
    std::string directory; // -C
    bool json = false;
    bool quiet = false;
    int verbose = 0;
};

class Context {
  public:
    Context(std::ostream& out, std::ostream& err);
    GlobalOptions global;

    std::ostream& out() { return m_out; }
    std::ostream& err() { return m_err; }
    // The working directory after -C.
    std::string cwd() const;
    workspace::Repository& repo();
    // User paths (relative to cwd) as normalized repository-relative paths; errors name the path.
    std::vector<std::string> repo_paths(const std::vector<std::string>& user_paths);
    bool progress() const;
    bool color() const;
    void print_json(const nlohmann::json& j);
    // Human output, suppressed by -q.
    void say(const std::string& line);
    void warn(const std::string& line);
    // A path the user typed, usable from this process: absolute ones as they are, relative ones
    // against the working directory after -C.
    std::string user_path(const std::string& p) const;
    // A repo-relative path as the user would type it from cwd.
    std::string display(const std::string& rel);

  private:
    std::ostream& m_out;
    std::ostream& m_err;
    std::unique_ptr<workspace::Repository> m_repo;
};

// ANSI colour helpers that return plain text when colour is off.
std::string paint(const Context& ctx, const char* code, const std::string& text);

} // namespace mlops::cli
