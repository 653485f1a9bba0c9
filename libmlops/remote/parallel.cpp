#include <mlops/remote/parallel.hpp>

#include <mutex>
#include <optional>

#include <mlops/util/parallel.hpp>

namespace mlops::remote {

Status run_parallel(std::size_t n, unsigned jobs, const std::function<Status(std::size_t)>& fn) {
    std::mutex mutex;
    std::optional<Error> first;
    auto st = util::parallel_for(n, jobs, [&](std::size_t i) -> util::Status {
        auto r = fn(i);
        if (r) return {};
        std::lock_guard lock(mutex);
        if (!first) first = r.error();
        return std::unexpected<util::Error>(r.error());
    });
    if (first) return fail(std::move(*first));
    if (!st) return fail(Error(std::move(st).error()));
    return {};
}

} // namespace mlops::remote
