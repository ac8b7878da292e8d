// tls_client over beast::ssl_stream<beast::tcp_stream>: each step is an async operation with the stream's
// expiry, run to completion on the client's own io_context.
#include "tls_client.hpp"

#include <boost/asio/connect.hpp>
#include <boost/asio/io_context.hpp>
#include <boost/asio/ip/tcp.hpp>
#include <boost/asio/ssl/context.hpp>
#include <boost/asio/ssl/host_name_verification.hpp>
#include <boost/beast/core/flat_buffer.hpp>
#include <boost/beast/core/tcp_stream.hpp>
#include <boost/beast/http/read.hpp>
#include <boost/beast/http/string_body.hpp>
#include <boost/beast/http/write.hpp>
#include <boost/beast/ssl/ssl_stream.hpp>
#include <openssl/bn.h>
#include <openssl/ssl.h>
#include <openssl/x509.h>

namespace prequal::test {

namespace net = boost::asio;
namespace beast = boost::beast;
namespace bhttp = boost::beast::http;

struct tls_client::impl {
    impl(std::uint16_t p, options o) : port(p), opts(std::move(o)) {}

    // Runs the operation started by `start` until it completes; its error code.
    template <class Start>
    boost::system::error_code run(Start start) {
        boost::system::error_code result = net::error::timed_out;
        start([&result](boost::system::error_code ec, auto&&...) { result = ec; });
        ctx.restart();
        ctx.run();
        return result;
    }

    std::uint16_t port;
    options opts;
    net::io_context ctx;
    net::ssl::context ssl{net::ssl::context::tls_client};
    std::unique_ptr<beast::ssl_stream<beast::tcp_stream>> stream;
    beast::flat_buffer buffer;
};

tls_client::tls_client(std::uint16_t port, options opts)
    : impl_(std::make_unique<impl>(port, std::move(opts))) {}

tls_client::~tls_client() = default;

bool tls_client::connect() {
    auto& s = *impl_;
    s.ssl.set_verify_mode(net::ssl::verify_peer);
    s.ssl.load_verify_file(s.opts.ca_file.string());
    SSL_CTX* handle = s.ssl.native_handle();
    if (s.opts.allow_legacy) ::SSL_CTX_set_security_level(handle, 0);
    if (s.opts.min_version != 0) ::SSL_CTX_set_min_proto_version(handle, s.opts.min_version);
    if (s.opts.max_version != 0) ::SSL_CTX_set_max_proto_version(handle, s.opts.max_version);
    s.stream = std::make_unique<beast::ssl_stream<beast::tcp_stream>>(s.ctx, s.ssl);
    s.stream->set_verify_callback(net::ssl::host_name_verification("127.0.0.1"));
    auto& tcp = beast::get_lowest_layer(*s.stream);
    tcp.expires_after(s.opts.timeout);
    const net::ip::tcp::endpoint endpoint(net::ip::make_address("127.0.0.1"), s.port);
    if (auto ec = s.run([&](auto done) { tcp.async_connect(endpoint, done); })) {
        error_ = "connect: " + ec.message();
        return false;
    }
    tcp.expires_after(s.opts.timeout);
    if (auto ec = s.run([&](auto done) { s.stream->async_handshake(net::ssl::stream_base::client, done); })) {
        error_ = "handshake: " + ec.message();
        return false;
    }
    return true;
}

std::string tls_client::peer_serial() const {
    X509* cert = ::SSL_get0_peer_certificate(impl_->stream->native_handle());
    if (cert == nullptr) return {};
    BIGNUM* bn = ::ASN1_INTEGER_to_BN(::X509_get_serialNumber(cert), nullptr);
    char* hex = ::BN_bn2hex(bn);
    std::string out(hex);
    ::OPENSSL_free(hex);
    ::BN_free(bn);
    return out;
}

std::string tls_client::protocol() const { return ::SSL_get_version(impl_->stream->native_handle()); }

int tls_client::request(const std::string& method, const std::string& target, const std::string& body,
                        std::string* response_body) {
    auto& s = *impl_;
    bhttp::request<bhttp::string_body> req{bhttp::string_to_verb(method), target, 11};
    req.set(bhttp::field::host, "127.0.0.1");
    if (!body.empty()) {
        req.set(bhttp::field::content_type, "application/json");
        req.body() = body;
    }
    req.prepare_payload();
    auto& tcp = beast::get_lowest_layer(*s.stream);
    tcp.expires_after(s.opts.timeout);
    if (auto ec = s.run([&](auto done) { bhttp::async_write(*s.stream, req, done); })) {
        error_ = "write: " + ec.message();
        return 0;
    }
    bhttp::response<bhttp::string_body> res;
    tcp.expires_after(s.opts.timeout);
    if (auto ec = s.run([&](auto done) { bhttp::async_read(*s.stream, s.buffer, res, done); })) {
        error_ = "read: " + ec.message();
        return 0;
    }
    if (response_body != nullptr) *response_body = res.body();
    return static_cast<int>(res.result_int());
}

}  // namespace prequal::test
