#include "scratch.hpp"

#include <cstdlib>
#include <filesystem>
#include <fstream>
#include <sstream>
#include <stdexcept>
#include <sys/wait.h>

namespace mlops::test {

Scratch::Scratch() {
    std::string tmpl = (std::filesystem::temp_directory_path() / "mlops-unit-XXXXXX").string();
    if (!::mkdtemp(tmpl.data())) throw std::runtime_error("mkdtemp failed");
    m_path = std::filesystem::canonical(tmpl).string();
}

Scratch::~Scratch() {
    std::error_code ec;
    // Objects are read-only; make them removable first.
    std::filesystem::permissions(m_path, std::filesystem::perms::owner_all, std::filesystem::perm_options::add, ec);
    for (auto& e : std::filesystem::recursive_directory_iterator(m_path, ec))
        std::filesystem::permissions(e.path(), std::filesystem::perms::owner_write, std::filesystem::perm_options::add, ec);
    std::filesystem::remove_all(m_path, ec);
}

void Scratch::write(const std::string& rel, const std::string& content) const {
    auto p = std::filesystem::path(m_path) / rel;
    std::filesystem::create_directories(p.parent_path());
    std::ofstream(p, std::ios::binary) << content;
}

std::string Scratch::read(const std::string& rel) const {
    std::ifstream in(std::filesystem::path(m_path) / rel, std::ios::binary);
    std::stringstream ss;
    ss << in.rdbuf();
    return ss.str();
}

int Scratch::sh(const std::string& command) const {
    std::string full = "cd '" + m_path + "' && " + command;
    int rc = std::system(full.c_str());
    return WIFEXITED(rc) ? WEXITSTATUS(rc) : -1;
}

} // namespace mlops::test
