// Delivering an alert event to the outside: a command (`sh -c`, the event as JSON on stdin, its
// output sent to our stderr) or a webhook (HTTP POST of the event as JSON, through libcurl, retried
// on connection errors and 5xx). `print` and `exit` are the CLI's to do.
#pragma once

#include <string>

#include <nlohmann/json.hpp>

#include <mlops/monitor/rules.hpp>
#include <mlops/util/error.hpp>

namespace mlops::monitor {

struct DeliveryOptions {
    double command_timeout_s = 60;  // a command still running is killed and counts as failed
    double webhook_timeout_s = 10;
    int webhook_attempts = 3;
};

// Delivers one command or webhook action; the error says why it failed ("webhook URL: HTTP 503").
util::Status deliver(const Action& a, const nlohmann::json& event, const DeliveryOptions& opts = {});

} // namespace mlops::monitor
