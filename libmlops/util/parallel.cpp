#include <mlops/util/parallel.hpp>

#include <algorithm>
#include <atomic>
#include <mutex>
#include <optional>
#include <thread>
#include <vector>

namespace mlops::util {

unsigned default_jobs() {
    unsigned n = std::thread::hardware_concurrency();
    return n == 0 ? 1 : n;
}

unsigned io_jobs() {
    return std::min(64u, 4 * default_jobs());
}

Status parallel_for(std::size_t n, unsigned jobs, const std::function<Status(std::size_t)>& fn) {
    if (jobs == 0) jobs = default_jobs();
    if (jobs > n) jobs = static_cast<unsigned>(n);
    std::atomic<std::size_t> next{0};
    std::atomic<bool> stop{false};
    std::mutex mutex;
    std::optional<Error> first_error;
    auto worker = [&] {
        while (!stop.load(std::memory_order_relaxed)) {
            std::size_t i = next.fetch_add(1, std::memory_order_relaxed);
            if (i >= n) return;
            auto st = fn(i);
            if (!st) {
                std::lock_guard lock(mutex);
                if (!first_error) first_error = std::move(st).error();
                stop = true;
            }
        }
    };
    if (jobs <= 1) {
        worker();
    } else {
        std::vector<std::jthread> threads;
        threads.reserve(jobs - 1);
        for (unsigned t = 1; t < jobs; ++t) threads.emplace_back(worker);
        worker();
    }
    if (first_error) return fail(std::move(*first_error));
    return {};
}

} // namespace mlops::util
