// The narrow interface every remote implements (restic's backend): keys are '/'-separated paths
// relative to the remote's root; objects live under "<2 hex>/<62 hex>", the same layout as the
// local store. Decorators (retry, logging, fault injection) wrap any backend; the S3 and
// local-folder backends know nothing of them.
#pragma once

#include <cstdint>
#include <functional>
#include <memory>
#include <string>
#include <string_view>
#include <vector>

#include <mlops/util/error.hpp>

namespace mlops::remote {

// Why a remote operation failed: decides whether to retry and what to tell the user.
enum class Fault {
    local,     // our side: a local file could not be read or written
    not_found, // the key does not exist
    no_bucket, // the bucket (or the remote folder) does not exist
    denied,    // credentials rejected or not allowed (401, 403)
    transient, // connection error, timeout, 500/502/503/504, throttling: worth retrying
    rejected,  // any other request the server refused: retrying cannot help
    corrupt,   // content that does not match its name
};
const char* fault_name(Fault f);

// A util::Error (so MLOPS_TRY moves it in and out of util::Result) with the fault kind attached.
struct Error : util::Error {
    Fault fault = Fault::local;
    int http_status = 0;

    Error() = default;
    Error(util::Error e) : util::Error(std::move(e)) {} // NOLINT: implicit on purpose
    Error(Fault f, std::string message, int status = 0);
};

template <class T> using Result = std::expected<T, Error>;
using Status = Result<void>;

inline std::unexpected<Error> fail(Fault f, std::string message, int status = 0) {
    return std::unexpected<Error>(Error(f, std::move(message), status));
}
inline std::unexpected<Error> fail(Error e) { return std::unexpected<Error>(std::move(e)); }

// util::value_or_throw for remote results: stops the command with the error.
template <class T> T value_or_throw(Result<T>&& r) {
    if (!r) throw util::CommandError(std::move(r).error());
    if constexpr (!std::is_void_v<T>) return std::move(r).value();
}

// What a download produced; backends that hash while they write fill in sha256, so the caller
// need not read the file again to verify it ("" when unknown).
struct GetInfo {
    std::uint64_t size = 0;
    std::string sha256;
};

struct ObjectInfo {
    std::string key;
    std::uint64_t size = 0;
};

struct PutInfo {
    std::uint64_t size = 0;
    // SHA-256 (hex) of the content when known (an object's oid). Backends check the bytes they send
    // against it and fail with Fault::corrupt rather than publish content under a wrong name.
    std::string sha256;
};

class Backend {
  public:
    virtual ~Backend() = default;
    // Where the remote is ("s3://bucket/prefix", a folder): for messages; never holds secrets.
    virtual std::string location() const = 0;

    virtual Result<bool> exists(const std::string& key) = 0;
    // Downloads `key` into a new file `dest` (created by the backend; the caller removes it on
    // failure). A missing key is Fault::not_found.
    virtual Result<GetInfo> get(const std::string& key, const std::string& dest) = 0;
    // Uploads the file `src` as `key`, atomically: readers see the whole object or nothing.
    virtual Status put(const std::string& key, const std::string& src, const PutInfo& info) = 0;
    // Every key that starts with `prefix`, in no particular order.
    virtual Status list(const std::string& prefix, const std::function<Status(const ObjectInfo&)>& each) = 0;
    // Keys greater than `start_after`, in ascending byte order, until `each` returns false. Lets a
    // full listing run as parallel ranges. Default: list("") sorted.
    virtual Status list_from(const std::string& start_after, const std::function<Result<bool>(const ObjectInfo&)>& each);
    // Removing a missing key is success.
    virtual Status remove(const std::string& key) = 0;
    // Makes every completed put durable (a local folder batches its syncs). Default: nothing to do.
    virtual Status flush() { return {}; }
    // True when exists() costs no round trip (a local folder), so exists_many never lists.
    virtual bool cheap_exists() const { return false; }
};

// Which of `keys` the remote holds, in batches: a parallel exists() per key, or a listing of each
// two-hex fan-out prefix the keys use, whichever takes fewer requests. Keys must be object keys
// ("ab/cdef...") for the listing strategy; others are always checked one by one (in parallel).
Result<std::vector<bool>> exists_many(Backend& backend, const std::vector<std::string>& keys, unsigned jobs);

// How exists_many decides; exposed for tests.
enum class ExistsStrategy { per_key, list_prefixes, list_ranges };
// `prefixes`: distinct fan-out prefixes the keys use; `prefix_pages`: listing requests those take.
ExistsStrategy choose_exists_strategy(std::size_t keys, std::size_t prefixes, std::size_t prefix_pages, bool cheap_exists);

// "ab/cdef..." for an oid.
std::string object_key(std::string_view oid);
// The oid of an object key, or "" when `key` is not one.
std::string oid_of_key(std::string_view key);

} // namespace mlops::remote
