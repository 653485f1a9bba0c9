// Each unit test runs in a scratch folder of its own, removed afterwards.
#pragma once

#include <string>

namespace mlops::test {

class Scratch {
  public:
    Scratch();
    ~Scratch();
    const std::string& path() const { return m_path; }
    std::string operator/(const std::string& rel) const { return m_path + "/" + rel; }
    void write(const std::string& rel, const std::string& content) const;
    std::string read(const std::string& rel) const;
    // Runs a shell command inside the scratch folder; returns its exit status.
    int sh(const std::string& command) const;

  private:
    std::string m_path;
};

} // namespace mlops::test
