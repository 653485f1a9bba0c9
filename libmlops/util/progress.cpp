#include <mlops/util/progress.hpp>

#include <cstdio>
#include <cstdlib>
#include <unistd.h>

#include <fmt/format.h>

namespace mlops::util {

bool progress_enabled(bool quiet) {
    if (quiet) return false;
    const char* env = std::getenv("MLOPS_PROGRESS");
    if (env && std::string(env) == "0") return false;
    return ::isatty(STDERR_FILENO) == 1;
}

std::string human_bytes(std::uint64_t bytes) {
    static const char* k_units[] = {"B", "KiB", "MiB", "GiB", "TiB"};
    double v = double(bytes);
    int u = 0;
    while (v >= 1024 && u < 4) {
        v /= 1024;
        ++u;
    }
    return u == 0 ? fmt::format("{} B", bytes) : fmt::format("{:.1f} {}", v, k_units[u]);
}

Progress::Progress(std::string label, std::uint64_t total_items, std::uint64_t total_bytes,
                   bool enabled)
    : m_label(std::move(label)), m_total_items(total_items), m_total_bytes(total_bytes),
      m_start(std::chrono::steady_clock::now()), m_enabled(enabled) {
    if (m_enabled) m_thread = std::thread([this] { run(); });
}

Progress::~Progress() { finish(); }

void Progress::finish() {
    {
        std::lock_guard lock(m_mutex);
        if (m_done) return;
        m_done = true;
    }
    m_cv.notify_all();
    if (m_thread.joinable()) m_thread.join();
    if (m_drawn) draw(true);
}

void Progress::run() {
    std::unique_lock lock(m_mutex);
    // Short work never shows a bar.
    if (m_cv.wait_for(lock, std::chrono::seconds(1), [this] { return m_done; })) return;
    while (!m_done) {
        draw(false);
        m_drawn = true;
        m_cv.wait_for(lock, std::chrono::milliseconds(200), [this] { return m_done; });
    }
}

void Progress::draw(bool final_line) {
    double secs = std::chrono::duration<double>(std::chrono::steady_clock::now() - m_start).count();
    std::uint64_t items = m_items.load(), bytes = m_bytes.load();
    double rate = secs > 0 ? double(bytes) / secs : 0;
    std::string eta;
    if (!final_line && m_total_bytes > 0 && rate > 0 && bytes < m_total_bytes) {
        int s = int(double(m_total_bytes - bytes) / rate);
        eta = fmt::format("  ETA {}:{:02}", s / 60, s % 60);
    } else if (!final_line && m_total_items > 0 && items > 0 && items < m_total_items) {
        int s = int(secs * double(m_total_items - items) / double(items));
        eta = fmt::format("  ETA {}:{:02}", s / 60, s % 60);
    }
    std::string count = m_total_items ? fmt::format("{}/{}", items, m_total_items) : fmt::format("{}", items);
    std::string line = fmt::format("\r{}: {} files, {} ({}/s){}\x1b[K", m_label, count,
                                   human_bytes(bytes), human_bytes(std::uint64_t(rate)), eta);
    if (final_line) line += "\n";
    std::fputs(line.c_str(), stderr);
    std::fflush(stderr);
}

} // namespace mlops::util
