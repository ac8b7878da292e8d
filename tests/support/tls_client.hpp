// A blocking HTTPS/1.1 test client on Boost.Asio's OpenSSL stream: one connection, kept alive across
// requests, verifying the server against a given CA; every step gives up after a timeout so a broken
// server fails the test instead of hanging it.
#pragma once

#include <chrono>
#include <cstdint>
#include <filesystem>
#include <memory>
#include <string>

namespace prequal::test {

class tls_client {
public:
    struct options {
        std::filesystem::path ca_file;  // the CA that must have signed the server's certificate
        int min_version = 0;            // TLS1_2_VERSION etc.; 0: OpenSSL's default
        int max_version = 0;
        bool allow_legacy = false;  // security level 0, so that the client offers TLS 1.0/1.1 at all
        std::chrono::milliseconds timeout{5000};
    };

    tls_client(std::uint16_t port, options opts);
    ~tls_client();
    tls_client(const tls_client&) = delete;
    tls_client& operator=(const tls_client&) = delete;

    /// TCP connect + TLS handshake with certificate verification; false with error() set on failure.
    bool connect();
    const std::string& error() const { return error_; }
    /// After connect(): the server certificate's serial (upper-case hex) and the protocol ("TLSv1.3").
    std::string peer_serial() const;
    std::string protocol() const;

    /// One request on this connection (keep-alive); the status, or 0 with error() set. Body into `body`.
    int request(const std::string& method, const std::string& target, const std::string& body = {},
                std::string* response_body = nullptr);
    int get(const std::string& target, std::string* response_body = nullptr) {
        return request("GET", target, {}, response_body);
    }

private:
    struct impl;
    std::unique_ptr<impl> impl_;
    std::string error_;
};

}  // namespace prequal::test
