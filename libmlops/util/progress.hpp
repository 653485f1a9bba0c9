// A progress line on stderr (count, bytes, rate, ETA) for work that takes longer than about a
// second; only when stderr is a terminal, so CI logs and pipes never see it.
#pragma once

#include <atomic>
#include <condition_variable>
#include <cstdint>
#include <mutex>
#include <string>
#include <thread>

namespace mlops::util {

class Progress {
  public:
    // total_bytes == 0 means "unknown"; enabled is usually progress_enabled(quiet).
    Progress(std::string label, std::uint64_t total_items, std::uint64_t total_bytes, bool enabled);
    ~Progress();
    Progress(const Progress&) = delete;
    Progress& operator=(const Progress&) = delete;

    void add(std::uint64_t items, std::uint64_t bytes) {
        m_items.fetch_add(items, std::memory_order_relaxed);
        m_bytes.fetch_add(bytes, std::memory_order_relaxed);
    }
    void finish();

  private:
    void run();
    void draw(bool final_line);

    std::string m_label;
    std::uint64_t m_total_items;
    std::uint64_t m_total_bytes;
    std::atomic<std::uint64_t> m_items{0};
    std::atomic<std::uint64_t> m_bytes{0};
    std::chrono::steady_clock::time_point m_start;
    bool m_enabled;
    bool m_drawn = false;
    bool m_done = false;
    std::mutex m_mutex;
    std::condition_variable m_cv;
    std::thread m_thread;
};

// True when stderr is a terminal, not quiet, and MLOPS_PROGRESS is not "0".
bool progress_enabled(bool quiet);
std::string human_bytes(std::uint64_t bytes);

} // namespace mlops::util
