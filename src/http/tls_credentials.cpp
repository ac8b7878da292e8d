// Loading a certificate chain and key into an OpenSSL server context with prequal's protocol policy:
// TLS 1.2 and 1.3 only, forward-secret AEAD suites for TLS 1.2, no renegotiation, HTTP/1.1 by ALPN.
#include "tls_context.hpp"

#include <prequal/http/tls_credentials.hpp>

#include <boost/asio/buffer.hpp>
#include <openssl/asn1.h>
#include <openssl/bio.h>
#include <openssl/bn.h>
#include <openssl/err.h>
#include <openssl/ssl.h>
#include <openssl/x509.h>
#include <openssl/x509err.h>

#include <fcntl.h>
#include <unistd.h>

#include <cerrno>
#include <cstring>
#include <ctime>
#include <memory>
#include <string_view>
#include <system_error>

namespace prequal::http {

namespace ssl = boost::asio::ssl;

namespace {

// PEM files of a certificate chain or a key are a few KiB; anything this large is the wrong file.
constexpr std::size_t max_pem_bytes = std::size_t{1024} * 1024;

// TLS 1.2: ECDHE key exchange (forward secrecy) with AEAD ciphers only, as Mozilla's "intermediate"
// profile minus DHE (slow, and finite-field groups of unknown size). TLS 1.3 keeps OpenSSL's suites, all
// of which are AEAD with ephemeral keys.
constexpr const char* tls12_ciphers =
    "ECDHE-ECDSA-AES128-GCM-SHA256:ECDHE-RSA-AES128-GCM-SHA256:ECDHE-ECDSA-AES256-GCM-SHA384:"
    "ECDHE-RSA-AES256-GCM-SHA384:ECDHE-ECDSA-CHACHA20-POLY1305:ECDHE-RSA-CHACHA20-POLY1305";

std::string read_pem(const std::filesystem::path& file, std::string_view what) {
    const std::string name = std::string(what) + " file '" + file.string() + "'";
    const int fd = ::open(file.c_str(), O_RDONLY | O_CLOEXEC | O_NONBLOCK);  // a FIFO must not hang us
    if (fd < 0) throw tls_error("cannot read " + name + ": " + std::system_category().message(errno));
    std::string out;
    char chunk[8192];
    for (;;) {
        const auto n = ::read(fd, chunk, sizeof chunk);
        if (n < 0 && errno == EINTR) continue;
        if (n < 0) {
            const int error = errno;
            ::close(fd);
            throw tls_error("cannot read " + name + ": " + std::system_category().message(error));
        }
        if (n == 0) break;
        out.append(chunk, static_cast<std::size_t>(n));
        if (out.size() > max_pem_bytes) {
            ::close(fd);
            throw tls_error(name + " is larger than 1 MiB: not a PEM certificate or key");
        }
    }
    ::close(fd);
    if (out.empty()) throw tls_error(name + " is empty");
    return out;
}

// The reason OpenSSL gives, without the library's internal function names.
std::string openssl_reason(const boost::system::error_code& ec) {
    std::string reason = ec.message();
    if (reason.empty()) reason = "unusable";
    return reason;
}

std::string last_openssl_error() {
    const unsigned long code = ::ERR_get_error();
    ::ERR_clear_error();
    const char* reason = code != 0 ? ::ERR_reason_error_string(code) : nullptr;
    return reason != nullptr ? reason : "unknown error";
}

std::string subject_of(X509* cert) {
    std::unique_ptr<BIO, decltype(&::BIO_free)> bio(::BIO_new(::BIO_s_mem()), &::BIO_free);
    if (!bio || ::X509_NAME_print_ex(bio.get(), ::X509_get_subject_name(cert), 0, XN_FLAG_RFC2253) < 0)
        return {};
    char* data = nullptr;
    const long size = BIO_get_mem_data(bio.get(), &data);
    return size > 0 ? std::string(data, static_cast<std::size_t>(size)) : std::string{};
}

std::string serial_of(X509* cert) {
    std::unique_ptr<BIGNUM, decltype(&::BN_free)> bn(
        ::ASN1_INTEGER_to_BN(::X509_get_serialNumber(cert), nullptr), &::BN_free);
    if (!bn) return {};
    char* hex = ::BN_bn2hex(bn.get());
    if (hex == nullptr) return {};
    std::string out(hex);
    ::OPENSSL_free(hex);
    return out;
}

std::chrono::system_clock::time_point not_after_of(X509* cert) {
    std::tm tm{};
    if (::ASN1_TIME_to_tm(::X509_get0_notAfter(cert), &tm) != 1) return {};
    return std::chrono::system_clock::from_time_t(::timegm(&tm));
}

// ALPN: this server speaks HTTP/1.1 only. A client offering it gets it; one offering only other protocols
// gets no ALPN answer (and may still try HTTP/1.1).
int select_http11(SSL* /*ssl*/, const unsigned char** out, unsigned char* outlen, const unsigned char* in,
                  unsigned int inlen, void* /*arg*/) {
    static constexpr unsigned char http11[] = {'h', 't', 't', 'p', '/', '1', '.', '1'};
    for (unsigned int i = 0; i < inlen;) {
        const unsigned int len = in[i];
        if (i + 1 + len > inlen) break;
        if (len == sizeof http11 && std::memcmp(in + i + 1, http11, sizeof http11) == 0) {
            *out = in + i + 1;
            *outlen = static_cast<unsigned char>(len);
            return SSL_TLSEXT_ERR_OK;
        }
        i += 1 + len;
    }
    return SSL_TLSEXT_ERR_NOACK;
}

void apply_policy(ssl::context& ctx) {
    ctx.set_options(ssl::context::default_workarounds | ssl::context::no_sslv2 | ssl::context::no_sslv3 |
                    ssl::context::no_tlsv1 | ssl::context::no_tlsv1_1 | ssl::context::single_dh_use);
    SSL_CTX* handle = ctx.native_handle();
    if (::SSL_CTX_set_min_proto_version(handle, TLS1_2_VERSION) != 1 ||
        ::SSL_CTX_set_max_proto_version(handle, TLS1_3_VERSION) != 1 ||
        ::SSL_CTX_set_cipher_list(handle, tls12_ciphers) != 1)
        throw tls_error("cannot set the TLS protocol policy: " + last_openssl_error());
    // Renegotiation only serves attacks on a server that never asks for client certificates.
    ::SSL_CTX_set_options(handle, SSL_OP_NO_RENEGOTIATION | SSL_OP_NO_COMPRESSION);
    // Idle connections give their OpenSSL record buffers back (there may be very many idle connections).
    ::SSL_CTX_set_mode(handle, SSL_MODE_RELEASE_BUFFERS);
    ::SSL_CTX_set_alpn_select_cb(handle, &select_http11, nullptr);
    // Without a callback OpenSSL would ask for the passphrase of an encrypted key on the terminal, blocking
    // start-up or a reload: answer "no passphrase", so an encrypted key is an error instead.
    ctx.set_password_callback([](std::size_t, ssl::context::password_purpose) { return std::string(); });
}

}  // namespace

tls_credentials::tls_credentials(std::shared_ptr<detail::tls_context> context, std::string subject,
                                 std::string serial, std::chrono::system_clock::time_point not_after)
    : context_(std::move(context)),
      subject_(std::move(subject)),
      serial_(std::move(serial)),
      not_after_(not_after) {}

std::shared_ptr<const tls_credentials> tls_credentials::load(const std::filesystem::path& cert_file,
                                                             const std::filesystem::path& key_file) {
    const std::string cert_pem = read_pem(cert_file, "TLS certificate");
    std::string key_pem = read_pem(key_file, "TLS key");

    auto context = std::make_shared<detail::tls_context>();
    auto& ctx = context->ssl;
    apply_policy(ctx);
    boost::system::error_code ec;
    ctx.use_certificate_chain(boost::asio::buffer(cert_pem), ec);
    if (ec)
        throw tls_error("TLS certificate file '" + cert_file.string() +
                        "' holds no usable PEM certificate: " + openssl_reason(ec));
    const bool encrypted = key_pem.find("ENCRYPTED") != std::string::npos;
    ctx.use_private_key(boost::asio::buffer(key_pem), ssl::context::pem, ec);
    // The key's text is a secret: wipe our copy now that OpenSSL has parsed it.
    ::OPENSSL_cleanse(key_pem.data(), key_pem.size());
    const std::string mismatch = "TLS key file '" + key_file.string() +
                                 "' does not belong to the certificate in '" + cert_file.string() + "'";
    if (ec && ERR_GET_REASON(static_cast<unsigned long>(ec.value())) == X509_R_KEY_VALUES_MISMATCH)
        throw tls_error(mismatch);
    if (ec)
        throw tls_error("TLS key file '" + key_file.string() + "' holds no usable PEM private key" +
                        (encrypted ? " (it is encrypted: prequal needs an unencrypted key)" : "") + ": " +
                        openssl_reason(ec));
    if (::SSL_CTX_check_private_key(ctx.native_handle()) != 1) {
        ::ERR_clear_error();
        throw tls_error(mismatch);
    }
    X509* leaf = ::SSL_CTX_get0_certificate(ctx.native_handle());
    if (leaf == nullptr)
        throw tls_error("TLS certificate file '" + cert_file.string() + "' holds no certificate");
    return std::make_shared<const tls_credentials>(std::move(context), subject_of(leaf), serial_of(leaf),
                                                   not_after_of(leaf));
}

}  // namespace prequal::http
