#include <mlops/serve/metrics.hpp>

#include <fmt/format.h>

namespace mlops::serve {

std::string label_value(std::string_view v) {
    std::string out;
    for (char c : v) {
        if (c == '\\') out += "\\\\";
        else if (c == '"') out += "\\\"";
        else if (c == '\n') out += "\\n";
        else out += c;
    }
    return out;
}

std::size_t Metrics::path_index(std::string_view path) {
    for (std::size_t i = 0; i + 1 < k_paths.size(); ++i)
        if (k_paths[i] == path) return i;
    return k_paths.size() - 1;
}

void Metrics::finished(std::string_view path, int status, double seconds) {
    std::size_t p = path_index(path);
    auto& h = m_latency[p];
    std::size_t b = 0;
    while (b < k_buckets.size() && seconds > k_buckets[b]) ++b;
    h.counts[b].fetch_add(1, std::memory_order_relaxed);
    h.sum_ns.fetch_add(std::uint64_t(seconds * 1e9), std::memory_order_relaxed);
    {
        std::lock_guard lock(m_mutex);
        ++m_requests[{p, status}];
    }
    m_in_flight.fetch_sub(1, std::memory_order_relaxed);
}

void Metrics::rejected_early(std::string_view path, int status) {
    std::lock_guard lock(m_mutex);
    ++m_requests[{path_index(path), status}];
}

void Metrics::set_model(const std::string& name, int version, const std::string& oid) {
    std::lock_guard lock(m_mutex);
    m_model_name = name;
    m_model_version = version;
    m_model_oid = oid;
}

std::string Metrics::render() const {
    std::string out;
    auto line = [&](std::string s) {
        out += s;
        out += '\n';
    };
    line("# HELP mlops_http_requests_total HTTP requests answered, by path and status code.");
    line("# TYPE mlops_http_requests_total counter");
    std::string name, oid;
    int version = 0;
    {
        std::lock_guard lock(m_mutex);
        for (const auto& [key, n] : m_requests)
            line(fmt::format("mlops_http_requests_total{{path=\"{}\",code=\"{}\"}} {}", k_paths[key.first], key.second, n));
        name = m_model_name;
        oid = m_model_oid;
        version = m_model_version;
    }
    line("# HELP mlops_http_request_duration_seconds Time from a request's arrival at the handler to its response.");
    line("# TYPE mlops_http_request_duration_seconds histogram");
    for (std::size_t p = 0; p < k_paths.size(); ++p) {
        const auto& h = m_latency[p];
        std::uint64_t cumulative = 0;
        std::array<std::uint64_t, k_buckets.size() + 1> counts;
        for (std::size_t b = 0; b < counts.size(); ++b) counts[b] = h.counts[b].load(std::memory_order_relaxed);
        std::uint64_t total = 0;
        for (auto c : counts) total += c;
        if (total == 0) continue;
        for (std::size_t b = 0; b < k_buckets.size(); ++b) {
            cumulative += counts[b];
            line(fmt::format("mlops_http_request_duration_seconds_bucket{{path=\"{}\",le=\"{}\"}} {}", k_paths[p], k_buckets[b], cumulative));
        }
        line(fmt::format("mlops_http_request_duration_seconds_bucket{{path=\"{}\",le=\"+Inf\"}} {}", k_paths[p], total));
        line(fmt::format("mlops_http_request_duration_seconds_sum{{path=\"{}\"}} {}", k_paths[p],
                         double(h.sum_ns.load(std::memory_order_relaxed)) / 1e9));
        line(fmt::format("mlops_http_request_duration_seconds_count{{path=\"{}\"}} {}", k_paths[p], total));
    }
    line("# HELP mlops_http_requests_in_flight Requests being handled now.");
    line("# TYPE mlops_http_requests_in_flight gauge");
    line(fmt::format("mlops_http_requests_in_flight {}", m_in_flight.load(std::memory_order_relaxed)));
    line("# HELP mlops_predictions_total Rows predicted.");
    line("# TYPE mlops_predictions_total counter");
    line(fmt::format("mlops_predictions_total {}", m_rows.load(std::memory_order_relaxed)));
    line("# HELP mlops_model_reloads_total Model reloads (SIGHUP, --follow-alias) by result.");
    line("# TYPE mlops_model_reloads_total counter");
    line(fmt::format("mlops_model_reloads_total{{result=\"ok\"}} {}", m_reloads_ok.load(std::memory_order_relaxed)));
    line(fmt::format("mlops_model_reloads_total{{result=\"error\"}} {}", m_reloads_failed.load(std::memory_order_relaxed)));
    line("# HELP mlops_prediction_log_errors_total Prediction log lines that could not be written.");
    line("# TYPE mlops_prediction_log_errors_total counter");
    line(fmt::format("mlops_prediction_log_errors_total {}", m_log_errors.load(std::memory_order_relaxed)));
    line("# HELP mlops_model_info The model being served (value 1).");
    line("# TYPE mlops_model_info gauge");
    line(fmt::format("mlops_model_info{{name=\"{}\",version=\"{}\",oid=\"{}\"}} 1", label_value(name),
                     version > 0 ? std::to_string(version) : "", label_value(oid)));
    return out;
}

} // namespace mlops::serve
