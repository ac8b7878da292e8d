// One webhook POST attempt over HTTP(S): resolve and check the destination (destination.hpp), connect to the
// checked addresses only, verify the server certificate against the system trust store (and the host name),
// send the body, read the status and at most max_response_body bytes of the answer, all within one deadline.
// Retries, queues and concurrency limits belong to the caller.
#pragma once

#include <prequal/webhook/destination.hpp>

#include <boost/asio/any_io_executor.hpp>
#include <boost/asio/awaitable.hpp>

#include <chrono>
#include <cstddef>
#include <memory>
#include <string>
#include <string_view>
#include <vector>

namespace prequal::webhook {

struct client_options {
    destination_rules rules;
    std::chrono::milliseconds deadline{10'000};              // whole attempt: resolve+connect+TLS+write+read
    std::size_t max_response_body = std::size_t{64} * 1024;  // read at most this much, then stop reading
    std::string user_agent = "prequal-webhooks/1";
};

enum class outcome { delivered, rejected, refused, unreachable, tls_failed, timed_out, protocol_error };

/// "delivered", "rejected", "refused", "unreachable", "tls_failed", "timed_out", "protocol_error"
/// (metric label values).
std::string_view to_string(outcome kind);

struct attempt_result {
    outcome kind = outcome::protocol_error;
    int http_status = 0;  // when an answer arrived
    std::string detail;   // one line for last_error; never contains secrets or bodies in full
    std::chrono::microseconds elapsed{};
};

struct header {
    std::string name, value;
};

/// 2xx = delivered; any other status = rejected (with http_status); SSRF/scheme refusal = refused;
/// DNS/connect failure = unreachable; handshake/verification failure = tls_failed; deadline = timed_out;
/// an answer that is not HTTP/1.x = protocol_error.
///
/// Threading: post() may be called concurrently from coroutines on any executor; the client holds only the
/// immutable options and the TLS context (OpenSSL's SSL_CTX is safe to share once configured). The client
/// must outlive the attempts it runs.
class client {
public:
    /// Loads the system trust store (OpenSSL's default paths; SSL_CERT_FILE / SSL_CERT_DIR override them).
    /// Throws std::runtime_error when the TLS context cannot be made.
    client(boost::asio::any_io_executor executor, client_options options);
    ~client();
    client(client&&) noexcept;
    client& operator=(client&&) noexcept;

    const client_options& options() const;

    /// One POST attempt of `body` to `destination` (Content-Type: application/json, User-Agent, then
    /// `headers`). Never throws for network/TLS/HTTP failures: they are attempt_results.
    boost::asio::awaitable<attempt_result> post(const url& destination, std::vector<header> headers,
                                                std::string body);

private:
    struct impl;
    std::unique_ptr<impl> impl_;
};

}  // namespace prequal::webhook
