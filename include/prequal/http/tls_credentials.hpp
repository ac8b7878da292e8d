// A server certificate chain and private key loaded from PEM files into a TLS context (TLS 1.2 and 1.3 only,
// see docs/tls.md). Opaque, so that users of the server need no OpenSSL headers.
#pragma once

#include <chrono>
#include <filesystem>
#include <memory>
#include <stdexcept>
#include <string>

namespace prequal::http {

namespace detail {
struct tls_context;
}

/// A certificate or key that cannot be used: the message names the file and says why.
class tls_error : public std::runtime_error {
public:
    using std::runtime_error::runtime_error;
};

/// Immutable once loaded. A server holds the current one and each TLS connection keeps the one it started
/// with (shared_ptr), so a reload never touches a connection already established.
class tls_credentials {
public:
    /// Reads and checks `cert_file` (PEM chain, leaf first) and `key_file` (PEM, unencrypted), which must
    /// belong together. Blocking file I/O: call it at start-up or off the io threads. Throws tls_error.
    static std::shared_ptr<const tls_credentials> load(const std::filesystem::path& cert_file,
                                                       const std::filesystem::path& key_file);

    /// The leaf certificate: subject (RFC 2253), serial (hex) and end of validity.
    const std::string& subject() const { return subject_; }
    const std::string& serial() const { return serial_; }
    std::chrono::system_clock::time_point not_after() const { return not_after_; }

    /// Private to the server: the OpenSSL context new connections are created from.
    detail::tls_context& context() const { return *context_; }

    tls_credentials(std::shared_ptr<detail::tls_context> context, std::string subject, std::string serial,
                    std::chrono::system_clock::time_point not_after);

private:
    std::shared_ptr<detail::tls_context> context_;
    std::string subject_;
    std::string serial_;
    std::chrono::system_clock::time_point not_after_;
};

}  // namespace prequal::http
