// A test webhook receiver (webhook_receiver.py, a child process on 127.0.0.1): checks signatures with
// Python's hmac, independently of prequal's code, and logs each request, which the tests read back.
#pragma once

#include "server_process.hpp"

#include <boost/json/object.hpp>

#include <chrono>
#include <cstdint>
#include <filesystem>
#include <functional>
#include <memory>
#include <string>
#include <vector>

namespace prequal::test {

class webhook_receiver {
public:
    /// `options`: e.g. "--fail-first=3", "--hang", "--delay=0.3"; `port` 0 = any free one.
    explicit webhook_receiver(std::vector<std::string> options = {}, std::uint16_t port = 0);
    ~webhook_receiver();

    std::uint16_t port() const { return port_; }
    std::string url() const { return "http://127.0.0.1:" + std::to_string(port_) + "/hooks/prequal"; }
    /// The secrets the receiver checks against, in this order (re-read at each request).
    void set_secrets(const std::vector<std::string>& secrets);
    /// Every request so far: n, arrived (unix seconds), event_id, content_type, v1 (count), valid (one bool
    /// per secret), body (parsed), status (what was answered), traceparent (null when absent).
    std::vector<boost::json::object> requests() const;
    /// The raw log (for "never contains" checks).
    std::string raw_log() const;

private:
    std::filesystem::path dir_;
    std::unique_ptr<server_process> process_;
    std::uint16_t port_ = 0;
};

/// Polls `done` every 50 ms until true or `timeout`; returns its last value.
bool eventually(const std::function<bool()>& done, std::chrono::milliseconds timeout);

}  // namespace prequal::test
