#include <mlops/remote/backend.hpp>

#include <algorithm>
#include <map>

#include <fmt/format.h>
#include <mutex>
#include <optional>
#include <unordered_set>

#include <mlops/remote/parallel.hpp>
#include <mlops/util/hash.hpp>

namespace mlops::remote {

namespace {
util::ErrorKind kind_of(Fault f) {
    switch (f) {
    case Fault::local: return util::ErrorKind::io;
    case Fault::corrupt: return util::ErrorKind::integrity;
    default: return util::ErrorKind::remote;
    }
}
constexpr std::size_t k_list_page = 1000; // keys per ListObjectsV2 page
constexpr std::size_t k_range_min_prefixes = 192; // of 256
constexpr std::size_t k_range_min_keys = 256 * k_list_page;
constexpr unsigned k_ranges = 8;
} // namespace

Error::Error(Fault f, std::string message, int status)
    : util::Error{kind_of(f), std::move(message)}, fault(f), http_status(status) {}

const char* fault_name(Fault f) {
    switch (f) {
    case Fault::local: return "local";
    case Fault::not_found: return "not_found";
    case Fault::no_bucket: return "no_bucket";
    case Fault::denied: return "denied";
    case Fault::transient: return "transient";
    case Fault::rejected: return "rejected";
    case Fault::corrupt: return "corrupt";
    }
    return "?";
}

std::string object_key(std::string_view oid) {
    std::string k;
    k.reserve(65);
    k.append(oid.substr(0, 2)).append("/").append(oid.substr(2));
    return k;
}

std::string oid_of_key(std::string_view key) {
    if (key.size() != 65 || key[2] != '/') return {};
    std::string oid;
    oid.reserve(64);
    oid.append(key.substr(0, 2)).append(key.substr(3));
    return util::is_oid(oid) ? oid : std::string();
}

Status Backend::list_from(const std::string& start_after, const std::function<Result<bool>(const ObjectInfo&)>& each) {
    std::vector<ObjectInfo> all;
    MLOPS_TRYV(list("", [&](const ObjectInfo& o) -> Status {
        if (o.key > start_after) all.push_back(o);
        return {};
    }));
    std::sort(all.begin(), all.end(), [](const ObjectInfo& a, const ObjectInfo& b) { return a.key < b.key; });
    for (const auto& o : all)
        if (!MLOPS_TRY(each(o))) break;
    return {};
}

ExistsStrategy choose_exists_strategy(std::size_t keys, std::size_t prefixes, std::size_t prefix_pages, bool cheap_exists) {
    if (cheap_exists || keys == 0) return ExistsStrategy::per_key;
    // When most fan-out prefixes are needed and each of them takes several pages, a full listing in
    // parallel ranges reads the same keys with fewer requests. Below that, listing each prefix is
    // as cheap and needs no start-after (which s3rver 3.7.1 answers with 500s on large buckets).
    if (prefixes >= k_range_min_prefixes && keys >= k_range_min_keys) return ExistsStrategy::list_ranges;
    return prefix_pages < keys ? ExistsStrategy::list_prefixes : ExistsStrategy::per_key;
}

Result<std::vector<bool>> exists_many(Backend& backend, const std::vector<std::string>& keys, unsigned jobs) {
    std::vector<bool> found(keys.size(), false);
    // Object keys grouped by fan-out prefix; anything else is checked on its own.
    std::map<std::string, std::vector<std::size_t>> by_prefix;
    std::vector<std::size_t> others;
    for (std::size_t i = 0; i < keys.size(); ++i) {
        if (oid_of_key(keys[i]).empty())
            others.push_back(i);
        else
            by_prefix[keys[i].substr(0, 3)].push_back(i);
    }
    // Listing a prefix costs one request per page; we cannot know how many keys the remote holds
    // there beyond ours, so count the pages our own keys would fill.
    std::size_t list_requests = others.size();
    for (const auto& [p, idx] : by_prefix) list_requests += (idx.size() + k_list_page - 1) / k_list_page;
    auto strategy = choose_exists_strategy(keys.size(), by_prefix.size(), list_requests, backend.cheap_exists());

    std::vector<std::size_t> singles = others;
    if (strategy == ExistsStrategy::per_key)
        for (const auto& [p, idx] : by_prefix) singles.insert(singles.end(), idx.begin(), idx.end());
    std::vector<char> flags(keys.size(), 0); // vector<bool> is not safe to write from threads
    MLOPS_TRYV(run_parallel(singles.size(), jobs, [&](std::size_t n) -> Status {
        std::size_t i = singles[n];
        flags[i] = MLOPS_TRY(backend.exists(keys[i])) ? 1 : 0;
        return {};
    }));
    if (strategy == ExistsStrategy::list_prefixes) {
        std::vector<const std::pair<const std::string, std::vector<std::size_t>>*> groups;
        for (const auto& g : by_prefix) groups.push_back(&g);
        MLOPS_TRYV(run_parallel(groups.size(), jobs, [&](std::size_t n) -> Status {
            const auto& [prefix, idx] = *groups[n];
            std::unordered_set<std::string> present;
            MLOPS_TRYV(backend.list(prefix, [&](const ObjectInfo& o) -> Status {
                present.insert(o.key);
                return {};
            }));
            for (auto i : idx) flags[i] = present.contains(keys[i]) ? 1 : 0;
            return {};
        }));
    }
    if (strategy == ExistsStrategy::list_ranges) {
        // k_ranges slices of the 256 fan-out prefixes, each listed from its first prefix on.
        std::unordered_set<std::string> present;
        std::mutex mutex;
        MLOPS_TRYV(run_parallel(k_ranges, jobs, [&](std::size_t r) -> Status {
            unsigned first = unsigned(r * 256 / k_ranges), end = unsigned((r + 1) * 256 / k_ranges);
            // (The first range lists from the start: no start-after at all.)
            std::string start = first == 0 ? std::string() : fmt::format("{:02x}", first);
            std::string stop = end >= 256 ? std::string("g") : fmt::format("{:02x}", end);
            std::vector<std::string> mine;
            MLOPS_TRYV(backend.list_from(start, [&](const ObjectInfo& o) -> Result<bool> {
                if (o.key.compare(0, 2, stop) >= 0 || o.key >= "g") return false;
                mine.push_back(o.key);
                return true;
            }));
            std::lock_guard lock(mutex);
            present.insert(mine.begin(), mine.end());
            return {};
        }));
        for (const auto& [prefix, idx] : by_prefix)
            for (auto i : idx) flags[i] = present.contains(keys[i]) ? 1 : 0;
    }
    for (std::size_t i = 0; i < keys.size(); ++i) found[i] = flags[i] != 0;
    return found;
}

} // namespace mlops::remote
