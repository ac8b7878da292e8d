// HTTP/1.1 server on Boost.Beast: keep-alive, body/header limits, read timeouts, a connection cap,
// X-Request-ID on every response, a two-phase shutdown (stop accepting, then drain), and optionally HTTPS
// with certificates replaceable while it runs.
#pragma once

#include <prequal/core/logger.hpp>
#include <prequal/core/metrics.hpp>
#include <prequal/http/message.hpp>
#include <prequal/http/tls_credentials.hpp>

#include <boost/asio/any_io_executor.hpp>
#include <boost/asio/awaitable.hpp>

#include <chrono>
#include <cstdint>
#include <functional>
#include <memory>
#include <string>

namespace prequal::http {

struct server_options {
    std::string host = "127.0.0.1";
    std::uint16_t port = 8080;                          // 0 → ephemeral (see server::port())
    std::size_t body_limit = std::size_t{64} * 1024;    // larger → 413 PAYLOAD_TOO_LARGE
    std::size_t header_limit = std::size_t{16} * 1024;  // total header bytes → 431
    std::size_t max_header_count = 100;
    std::chrono::milliseconds read_timeout{10000};  // a whole request must arrive within this
    std::chrono::milliseconds idle_timeout{30000};  // keep-alive idle between requests
    std::chrono::milliseconds write_timeout{10000};
    std::size_t max_connections = 1024;  // at the cap: close the longest-idle one, else refuse
    // Set: the listener speaks HTTPS only (TLS 1.2/1.3; docs/tls.md). Null: plaintext HTTP.
    std::shared_ptr<const tls_credentials> tls;
    // Set when clients present Bearer API keys: a request the parser refuses because its Authorization value
    // is unreadable (a NUL or control byte) is 401 UNAUTHORIZED with WWW-Authenticate, like every other bad
    // credential (contract section 6), instead of 400 BAD_REQUEST.
    bool bearer_credentials = false;
};

/// The application: request → response. The server fills request_id before calling it and sets the
/// X-Request-ID header afterwards; exceptions become a logged 500 INTERNAL_ERROR.
using dispatcher = std::function<boost::asio::awaitable<response>(request&)>;

/// Threading: the listener and the session registry live on one strand and each connection on its own
/// strand, so the io_context may be run by several threads; the dispatcher may then be called concurrently.
/// Lifetimes: sessions share the server's state, so they may outlive the server object; `metrics` must
/// outlive the io_context's work (the logger is copied).
class server {
public:
    server(boost::asio::any_io_executor ex, server_options options, dispatcher app, core::logger log,
           core::metrics_registry& metrics);
    ~server();

    /// Binds and listens; throws std::system_error (e.g. address in use) naming the address.
    void listen();
    /// The bound port (useful with port 0).
    std::uint16_t port() const;

    /// Accept loop; returns after stop_accepting().
    boost::asio::awaitable<void> run();

    /// Phase 1 of shutdown: close the listener. Safe to call from any thread via post.
    void stop_accepting();
    /// Phase 2: in-flight requests finish and get their response (with Connection: close); idle
    /// keep-alive connections close. Completes when no session remains or `deadline` passes.
    boost::asio::awaitable<void> drain(std::chrono::milliseconds deadline);

    std::size_t active_connections() const;

    /// HTTPS listeners only (options.tls set; else throws std::logic_error): connections accepted from now
    /// on use `credentials`; established ones keep theirs. Any thread (posted to the server's strand).
    void set_tls(std::shared_ptr<const tls_credentials> credentials);

private:
    struct impl;
    std::shared_ptr<impl> impl_;
};

}  // namespace prequal::http
