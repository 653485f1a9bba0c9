#include <mlops/serve/predlog.hpp>

#include <cerrno>
#include <cmath>
#include <cstdio>
#include <ctime>
#include <fcntl.h>
#include <random>
#include <sys/stat.h>
#include <unistd.h>

#include <fmt/format.h>

#include <mlops/util/fs.hpp>

namespace mlops::serve {

std::string rfc3339_ms(std::chrono::system_clock::time_point t) {
    auto ms = std::chrono::duration_cast<std::chrono::milliseconds>(t.time_since_epoch()).count();
    std::time_t secs = std::time_t(ms / 1000);
    int milli = int(ms % 1000);
    if (milli < 0) {
        milli += 1000;
        --secs;
    }
    std::tm tm{};
    gmtime_r(&secs, &tm);
    return fmt::format("{:04}-{:02}-{:02}T{:02}:{:02}:{:02}.{:03}Z", tm.tm_year + 1900, tm.tm_mon + 1, tm.tm_mday, tm.tm_hour,
                       tm.tm_min, tm.tm_sec, milli);
}

std::string log_line(const LogEntry& e) {
    nlohmann::ordered_json j;
    j["timestamp"] = rfc3339_ms(e.time);
    j["model"] = e.model.empty() ? nlohmann::ordered_json(nullptr) : nlohmann::ordered_json(e.model);
    j["version"] = e.version > 0 ? nlohmann::ordered_json(e.version) : nlohmann::ordered_json(nullptr);
    j["oid"] = e.oid;
    if (!e.inputs.is_null()) j["inputs"] = e.inputs;
    if (e.output) j["output"] = *e.output;
    j["latency_ms"] = std::round(e.latency_ms * 1000.0) / 1000.0;
    j["status"] = e.status;
    if (!e.error.empty()) j["error"] = e.error;
    return j.dump(-1, ' ', false, nlohmann::json::error_handler_t::replace);
}

util::Result<std::unique_ptr<PredictionLog>> PredictionLog::open(const LogOptions& opts) {
    if (!(opts.sample >= 0.0 && opts.sample <= 1.0))
        return util::fail(util::Error::usage(fmt::format("--log-sample {}: expected a rate between 0 and 1", opts.sample)));
    if (opts.max_bytes == 0) return util::fail(util::Error::usage("--log-max-bytes: expected a positive size"));
    std::unique_ptr<PredictionLog> log(new PredictionLog(opts));
    MLOPS_TRYV(log->open_file());
    return log;
}

PredictionLog::~PredictionLog() {
    if (m_fd >= 0) ::close(m_fd);
}

util::Status PredictionLog::open_file() {
    if (m_fd >= 0) ::close(m_fd);
    m_fd = ::open(m_opts.path.c_str(), O_WRONLY | O_CREAT | O_APPEND | O_CLOEXEC, 0644);
    if (m_fd < 0) return util::fail(util::Error::from_errno(m_opts.path, errno));
    struct stat st{};
    if (::fstat(m_fd, &st) != 0) return util::fail(util::Error::from_errno(m_opts.path, errno));
    m_size = std::uint64_t(st.st_size);
    return {};
}

util::Status PredictionLog::rotate() {
    // FILE.keep is dropped; FILE.k -> FILE.k+1; FILE -> FILE.1. A reader that has FILE open keeps
    // reading the old file to its end.
    std::string oldest = fmt::format("{}.{}", m_opts.path, m_opts.keep);
    ::unlink(oldest.c_str());
    for (int k = m_opts.keep - 1; k >= 1; --k) {
        std::string from = fmt::format("{}.{}", m_opts.path, k), to = fmt::format("{}.{}", m_opts.path, k + 1);
        if (::rename(from.c_str(), to.c_str()) != 0 && errno != ENOENT) return util::fail(util::Error::from_errno(from, errno));
    }
    std::string first = m_opts.keep >= 1 ? m_opts.path + ".1" : m_opts.path + ".old";
    if (m_opts.keep >= 1) {
        if (::rename(m_opts.path.c_str(), first.c_str()) != 0 && errno != ENOENT) return util::fail(util::Error::from_errno(m_opts.path, errno));
    } else if (::unlink(m_opts.path.c_str()) != 0 && errno != ENOENT) {
        return util::fail(util::Error::from_errno(m_opts.path, errno));
    }
    return open_file();
}

bool PredictionLog::sampled() const {
    if (m_opts.sample >= 1.0) return true;
    if (m_opts.sample <= 0.0) return false;
    thread_local std::mt19937_64 rng{std::random_device{}()};
    return std::uniform_real_distribution<double>(0.0, 1.0)(rng) < m_opts.sample;
}

util::Status PredictionLog::write(const LogEntry& e) {
    std::string line = log_line(e);
    line += '\n';
    std::lock_guard lock(m_mutex);
    if (m_size > 0 && m_size + line.size() > m_opts.max_bytes) MLOPS_TRYV(rotate());
    MLOPS_TRYV(util::write_all(m_fd, line.data(), line.size(), m_opts.path));
    m_size += line.size();
    return {};
}

} // namespace mlops::serve
