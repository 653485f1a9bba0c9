// One error idiom for the whole project: fallible functions return Result<T>; the CLI turns an
// Error into "mlops: error: <message>" and the exit code of its kind.
#pragma once

#include <expected>
#include <stdexcept>
#include <string>
#include <utility>

#include <fmt/format.h>

namespace mlops::util {

// Documented in docs/exit-codes.md and in `mlops --help`; never renumber.
enum class ExitCode : int {
    ok = 0,
    condition_false = 1, // the checked condition is false (dirty status, drift, failed gate)
    usage = 2,           // usage error or bad input (bad path, bad YAML, not a repository)
    integrity = 3,       // a corrupt or missing object
    lock = 4,            // another process holds a lock we need
    remote = 5,          // a remote failed
    io = 6,              // the operating system refused (disk full, permission denied)
    stage_failed = 7,    // a pipeline stage failed
    interrupted = 130,   // SIGINT
};

enum class ErrorKind { usage, integrity, lock, remote, io, internal };

struct Error {
    ErrorKind kind = ErrorKind::internal;
    std::string message;

    static Error usage(std::string m) { return {ErrorKind::usage, std::move(m)}; }
    static Error integrity(std::string m) { return {ErrorKind::integrity, std::move(m)}; }
    static Error lock(std::string m) { return {ErrorKind::lock, std::move(m)}; }
    static Error remote(std::string m) { return {ErrorKind::remote, std::move(m)}; }
    static Error io(std::string m) { return {ErrorKind::io, std::move(m)}; }
    static Error internal(std::string m) { return {ErrorKind::internal, std::move(m)}; }
    // "<what>: <strerror(errnum)>"
    static Error from_errno(const std::string& what, int errnum);

    ExitCode exit_code() const;
};

template <class T> using Result = std::expected<T, Error>;
using Status = std::expected<void, Error>;

inline std::unexpected<Error> fail(Error e) { return std::unexpected<Error>(std::move(e)); }

// Thrown only to stop a command; caught once in main.
class CommandError : public std::runtime_error {
  public:
    explicit CommandError(Error e) : std::runtime_error(e.message), m_error(std::move(e)) {}
    const Error& error() const { return m_error; }

  private:
    Error m_error;
};

// Unwraps a Result or stops the command with its error.
template <class T> T value_or_throw(Result<T>&& r) {
    if (!r) throw CommandError(std::move(r).error());
    if constexpr (!std::is_void_v<T>) return std::move(r).value();
}
inline void check(Status&& s) {
    if (!s) throw CommandError(std::move(s).error());
}

} // namespace mlops::util

// Propagates an error out of a function returning Result<...>; evaluates to the value.
#define MLOPS_TRY(expr)                                                                            \
    ({                                                                                             \
        auto&& mlops_try_r_ = (expr);                                                              \
        if (!mlops_try_r_) return std::unexpected(std::move(mlops_try_r_).error());                \
        std::move(mlops_try_r_).value();                                                           \
    })
// The same for Result<void>.
#define MLOPS_TRYV(expr)                                                                           \
    do {                                                                                           \
        auto&& mlops_try_r_ = (expr);                                                              \
        if (!mlops_try_r_) return std::unexpected(std::move(mlops_try_r_).error());                \
    } while (0)
