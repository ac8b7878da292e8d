// A webhook receiver for the client's tests: a small Beast/raw-Asio server on 127.0.0.1:<ephemeral> (HTTP, or
// HTTPS with a certificate of the test PKI) on a background thread, that answers each POST in one of the ways
// a real receiver can misbehave, and records what it saw.
#pragma once

#include <atomic>
#include <cstddef>
#include <cstdint>
#include <filesystem>
#include <memory>
#include <optional>
#include <string>

namespace prequal::webhook::test {

class receiver {
public:
    enum class mode {
        answer,  // read the request, answer `status` with `body`
        hang,    // accept, never read, never answer
        stream,  // answer 200 with a body of `stream_bytes` (Content-Length, or until close), written on and
                 // on
        garbage  // answer a line that is not HTTP and close
    };
    struct options {
        mode behaviour = mode::answer;
        int status = 200;
        std::string body = "ok";
        std::size_t stream_bytes = std::size_t{10} * 1024 * 1024;
        bool stream_length = true;  // false: no Content-Length, the body ends at close
        std::string bind = "127.0.0.1";
        // Set: HTTPS with this certificate and key.
        std::optional<std::filesystem::path> cert, key;
    };

    explicit receiver(options opts);
    ~receiver();
    receiver(const receiver&) = delete;
    receiver& operator=(const receiver&) = delete;

    std::uint16_t port() const;
    int connections() const;          // TCP connections accepted
    std::size_t bytes_sent() const;   // body bytes the kernel took in mode::stream
    bool stream_finished() const;     // the stream session ended (write failed or all sent)
    std::string request() const;      // the last request as received: method, target, headers, body
    std::string server_name() const;  // the SNI of the last TLS handshake ("" if none)

private:
    struct impl;
    std::unique_ptr<impl> impl_;
};

}  // namespace prequal::webhook::test
