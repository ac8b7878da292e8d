// Helpers for the HTTP suite: run a coroutine to completion, a live server on a background io thread,
// and a raw POSIX-socket client that speaks just enough HTTP/1.1 to check what the server sends.
#pragma once

#include <prequal/core/logger.hpp>
#include <prequal/core/metrics.hpp>
#include <prequal/http/message.hpp>
#include <prequal/http/router.hpp>
#include <prequal/http/server.hpp>

#include <boost/asio/co_spawn.hpp>
#include <boost/asio/io_context.hpp>

#include <chrono>
#include <cstdint>
#include <exception>
#include <future>
#include <memory>
#include <mutex>
#include <optional>
#include <string>
#include <string_view>
#include <thread>
#include <vector>

namespace prequal::http::test {

/// Runs `aw` on a private io_context until it completes; returns its value or rethrows.
template <class T>
T run_sync(boost::asio::awaitable<T> aw) {
    boost::asio::io_context ctx;
    std::optional<T> out;
    std::exception_ptr error;
    boost::asio::co_spawn(ctx, std::move(aw), [&](std::exception_ptr e, T value) {
        error = e;
        if (!e) out = std::move(value);
    });
    ctx.run();
    if (error) std::rethrow_exception(error);
    return std::move(*out);
}

/// Keeps every log line so tests can check what was (and was not) logged.
class capture_sink : public core::log_sink {
public:
    void write_line(std::string_view line) override;
    std::string text() const;

private:
    mutable std::mutex mutex_;
    std::string text_;
};

/// A server on 127.0.0.1:<ephemeral> whose io_context runs on `threads` background threads.
class live_server {
public:
    live_server(server_options options, dispatcher app, int threads = 1);
    ~live_server();

    std::uint16_t port() const { return server_.port(); }
    boost::asio::io_context& context() { return ctx_; }
    core::metrics_registry& metrics() { return metrics_; }
    std::string log_text() const { return sink_->text(); }
    http::server& http_server() { return server_; }

    /// stop_accepting() then drain(deadline) on the io thread; the future completes when drain returns.
    std::future<void> begin_shutdown(std::chrono::milliseconds deadline);

private:
    core::metrics_registry metrics_;
    std::shared_ptr<capture_sink> sink_;
    boost::asio::io_context ctx_;
    server server_;
    std::vector<std::thread> threads_;
};

struct http_reply {
    int status = 0;
    header_list headers;
    std::string body;
    const std::string* header(std::string_view name) const { return find_header(headers, name); }
};

/// Blocking loopback client; every receive gives up after `timeout` so a broken server fails the test, not
/// hangs it.
class raw_client {
public:
    explicit raw_client(std::uint16_t port, std::chrono::milliseconds timeout = std::chrono::seconds(5));
    ~raw_client();
    raw_client(const raw_client&) = delete;
    raw_client& operator=(const raw_client&) = delete;

    /// 0 when a connection to 127.0.0.1:port succeeds (then closed), else errno (ECONNREFUSED, …).
    static int try_connect(std::uint16_t port);

    /// False when the peer has gone (EPIPE/ECONNRESET).
    bool send(std::string_view data);
    /// One response (body by Content-Length; none when `head_request`); nullopt on close or timeout.
    std::optional<http_reply> read_response(bool head_request = false);
    /// True when the server closes the connection (EOF or reset) before the timeout; data that arrives
    /// meanwhile is appended to `received` when given.
    bool wait_closed(std::string* received = nullptr);
    /// Non-blocking check: has the server closed the connection already?
    bool closed_now();

private:
    bool fill();  // one recv into buf_; false on EOF/error/timeout
    int fd_ = -1;
    std::string buf_;
};

/// Routes shared by the server tests: GET /hello (JSON), HEAD /hello, POST /echo (body back as text/plain),
/// GET /boom (throws with an internal-looking message), GET /rid (the request id as the body).
router basic_router();

/// Wraps a router as the server's dispatcher; the router must outlive the server.
dispatcher dispatch_to(const router& r);

/// "GET <target> HTTP/1.1" with Host and the given extra header lines (each ending in \r\n).
std::string get_request(std::string_view target, std::string_view extra_headers = {});

}  // namespace prequal::http::test
