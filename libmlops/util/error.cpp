#include <mlops/util/error.hpp>

#include <cstring>

namespace mlops::util {

Error Error::from_errno(const std::string& what, int errnum) {
    ErrorKind kind = ErrorKind::io;
    if (errnum == ENOENT || errnum == ENOTDIR || errnum == EISDIR) kind = ErrorKind::usage;
    return {kind, fmt::format("{}: {}", what, std::strerror(errnum))};
}

ExitCode Error::exit_code() const {
    switch (kind) {
    case ErrorKind::usage: return ExitCode::usage;
    case ErrorKind::integrity: return ExitCode::integrity;
    case ErrorKind::lock: return ExitCode::lock;
    case ErrorKind::remote: return ExitCode::remote;
    case ErrorKind::io: return ExitCode::io;
    case ErrorKind::internal: return ExitCode::io;
    }
    return ExitCode::io;
}

} // namespace mlops::util
