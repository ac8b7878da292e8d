// One webhook POST attempt. Everything an attempt does runs on a strand of its own, so the deadline's
// handler and the attempt's steps never run at the same time. The deadline is enforced in two ways, because
// the two kinds of waiting differ: name resolution (getaddrinfo on Asio's resolver thread) cannot be
// interrupted, so the attempt waits for its answer OR the deadline, whichever comes first, and leaves a late
// answer behind; socket work (connect, TLS, write, read) is interrupted by closing the socket at the
// deadline.
//
// Connection: close on every attempt: attempts to one receiver are seconds apart (retries back off from 1 s),
// each one re-checks the SSRF rule against a fresh resolution, and an idle pool would need a reaper of its
// own; one handshake per delivery costs less than any of that.
#include "resolve.hpp"

#include <prequal/webhook/client.hpp>

#include <boost/asio/as_tuple.hpp>
#include <boost/asio/co_spawn.hpp>
#include <boost/asio/detached.hpp>
#include <boost/asio/ip/tcp.hpp>
#include <boost/asio/ssl/context.hpp>
#include <boost/asio/ssl/error.hpp>
#include <boost/asio/ssl/host_name_verification.hpp>
#include <boost/asio/ssl/stream.hpp>
#include <boost/asio/steady_timer.hpp>
#include <boost/asio/strand.hpp>
#include <boost/asio/this_coro.hpp>
#include <boost/asio/use_awaitable.hpp>
#include <boost/beast/core/flat_buffer.hpp>
#include <boost/beast/http/error.hpp>
#include <boost/beast/http/parser.hpp>
#include <boost/beast/http/read.hpp>
#include <boost/beast/http/string_body.hpp>
#include <boost/beast/http/write.hpp>
#include <openssl/ssl.h>
#include <openssl/x509_vfy.h>

#include <algorithm>
#include <memory>
#include <optional>
#include <stdexcept>
#include <utility>

namespace prequal::webhook {

namespace asio = boost::asio;
namespace http = boost::beast::http;
using asio::ip::tcp;
using clock_type = std::chrono::steady_clock;

namespace {

constexpr auto use_tuple = asio::as_tuple(asio::use_awaitable);
constexpr std::size_t header_limit = std::size_t{16} * 1024;
// The read buffer bounds what one read takes from the socket: headers, then the body in pieces of at most
// this, so a huge body costs at most max_response_body + this much before the parser stops.
constexpr std::size_t read_buffer_limit = std::size_t{32} * 1024;
constexpr std::size_t detail_body_chars = 120;

// The I/O of one attempt, shared with the deadline's handler (which may run after the attempt returned).
struct attempt_io {
    attempt_io(const asio::any_io_executor& ex, asio::ssl::context& tls) : watchdog{ex}, stream{ex, tls} {}

    void expire() {
        expired = true;
        boost::system::error_code ignored;
        stream.next_layer().close(ignored);  // every pending connect/handshake/read/write fails now
    }

    asio::steady_timer watchdog;
    asio::ssl::stream<tcp::socket> stream;
    bool expired = false;
    std::string verify_failure;  // what the host-name check refused, for the detail
};

// Name resolution racing the deadline: the resolver's thread cannot be interrupted, so a late answer lands
// here after the attempt gave up and is dropped with this state.
struct pending_resolution {
    explicit pending_resolution(const asio::any_io_executor& ex) : resolver{ex}, done{ex} {}
    tcp::resolver resolver;
    asio::steady_timer done;  // cancelled when the answer arrives; expires at the deadline
    std::optional<detail::checked_endpoints> answer;
};

attempt_result make(outcome kind, std::string detail, int status = 0) {
    attempt_result r;
    r.kind = kind;
    r.http_status = status;
    r.detail = std::move(detail);
    return r;
}

std::string host_port(const url& destination) {
    const bool v6 = destination.host.find(':') != std::string::npos;
    return (v6 ? "[" + destination.host + "]" : destination.host) + ":" + std::to_string(destination.port);
}

std::string host_header(const url& destination) {
    const bool default_port = destination.port == (destination.scheme == "https" ? 443 : 80);
    if (!default_port) return host_port(destination);
    return destination.host.find(':') != std::string::npos ? "[" + destination.host + "]" : destination.host;
}

std::string endpoint_text(const tcp::endpoint& ep) {
    const auto address = ep.address().to_string();
    return (ep.address().is_v6() ? "[" + address + "]" : address) + ":" + std::to_string(ep.port());
}

bool is_token(std::string_view name) {
    static constexpr std::string_view extra = "!#$%&'*+-.^_`|~";
    return !name.empty() && std::all_of(name.begin(), name.end(), [](char c) {
        return std::isalnum(static_cast<unsigned char>(c)) != 0 || extra.find(c) != std::string_view::npos;
    });
}

bool is_field_value(std::string_view value) {
    return std::none_of(value.begin(), value.end(), [](char c) {
        const auto u = static_cast<unsigned char>(c);
        return (u < 0x20 && c != '\t') || u == 0x7f;
    });
}

// The start of a receiver's answer for last_error: printable ASCII only, never the whole body.
std::string body_excerpt(std::string_view body) {
    std::string out;
    for (const char c : body.substr(0, detail_body_chars)) {
        const auto u = static_cast<unsigned char>(c);
        out += u >= 0x20 && u < 0x7f ? c : ' ';
    }
    if (body.size() > detail_body_chars) out += "...";
    return out;
}

// Write the request, read the status line and headers, then at most max_response_body bytes of the body.
template <class Stream>
asio::awaitable<attempt_result> exchange(Stream& stream, attempt_io& io,
                                         const http::request<http::string_body>& request,
                                         const client_options& options, const std::string& where) {
    auto [write_error, written] = co_await http::async_write(stream, request, use_tuple);
    if (io.expired)
        co_return make(outcome::timed_out, "sending to " + where + " took longer than the deadline");
    if (write_error)
        co_return make(outcome::unreachable, "sending to " + where + " failed: " + write_error.message());

    boost::beast::flat_buffer buffer(read_buffer_limit);
    http::response_parser<http::string_body> parser;
    parser.header_limit(static_cast<std::uint32_t>(header_limit));
    parser.body_limit(options.max_response_body);
    auto [header_error, header_bytes] = co_await http::async_read_header(stream, buffer, parser, use_tuple);
    if (io.expired) co_return make(outcome::timed_out, "no answer from " + where + " within the deadline");
    // A Content-Length over the limit is refused as soon as the header is parsed: the status is known.
    const bool too_long = header_error == http::error::body_limit && parser.is_header_done();
    if (header_error && !too_long) {
        const bool closed = header_error == http::error::end_of_stream || header_error == asio::error::eof ||
                            header_error == asio::ssl::error::stream_truncated ||
                            header_error == http::error::partial_message;
        if (closed) {
            co_return make(outcome::protocol_error, where + " closed the connection without an HTTP answer");
        }
        if (header_error.category() == http::make_error_code(http::error::bad_version).category()) {
            co_return make(outcome::protocol_error, where + " answered something that is not HTTP/1.x (" +
                                                        header_error.message() + ")");
        }
        co_return make(outcome::unreachable,
                       "reading the answer of " + where + " failed: " + header_error.message());
    }
    const int status = static_cast<int>(parser.get().result_int());

    // The body only as far as the limit: a receiver streaming megabytes must not make us buffer them. Its
    // status decides the outcome whatever happens to the body afterwards.
    std::string body_note;
    if (too_long) {
        body_note = " (body longer than " + std::to_string(options.max_response_body) + " bytes, not read)";
    } else if (!parser.is_done()) {
        auto [body_error, body_bytes] = co_await http::async_read(stream, buffer, parser, use_tuple);
        if (body_error == http::error::body_limit) {
            body_note =
                " (body longer than " + std::to_string(options.max_response_body) + " bytes, not read)";
        } else if (io.expired) {
            body_note = " (body incomplete at the deadline)";
        } else if (body_error && body_error != asio::ssl::error::stream_truncated) {
            body_note = " (body incomplete: " + body_error.message() + ")";
        }
    }
    std::string detail = "HTTP " + std::to_string(status);
    if (const auto reason = parser.get().reason(); !reason.empty()) detail += " " + std::string(reason);
    if (status >= 200 && status < 300) co_return make(outcome::delivered, detail + body_note, status);
    if (const auto& body = parser.get().body(); !body.empty()) detail += ": " + body_excerpt(body);
    co_return make(outcome::rejected, detail + body_note, status);
}

}  // namespace

struct client::impl {
    impl(asio::any_io_executor ex, client_options opts) : executor{std::move(ex)}, options{std::move(opts)} {
        boost::system::error_code ec;
        // The system trust store (OpenSSL's default file and directory; SSL_CERT_FILE/SSL_CERT_DIR override).
        tls.set_default_verify_paths(ec);
        if (ec)
            throw std::runtime_error("webhook client: cannot load the system trust store: " + ec.message());
        tls.set_verify_mode(asio::ssl::verify_peer);
        if (SSL_CTX_set_min_proto_version(tls.native_handle(), TLS1_2_VERSION) != 1) {
            throw std::runtime_error("webhook client: cannot require TLS 1.2");
        }
    }

    asio::awaitable<attempt_result> attempt(url destination, std::vector<header> headers, std::string body);

    asio::any_io_executor executor;
    client_options options;
    asio::ssl::context tls{asio::ssl::context::tls_client};
};

asio::awaitable<attempt_result> client::impl::attempt(url destination, std::vector<header> headers,
                                                      std::string body) {
    const auto ex = co_await asio::this_coro::executor;  // this attempt's strand
    const auto deadline = clock_type::now() + options.deadline;
    const auto where = host_port(destination);

    for (const auto& h : headers) {
        if (!is_token(h.name) || !is_field_value(h.value)) {
            co_return make(outcome::protocol_error,
                           "header \"" + body_excerpt(h.name) + "\" is not a valid HTTP header");
        }
    }

    // 1. Resolve and check every address, or give up at the deadline.
    auto resolution = std::make_shared<pending_resolution>(ex);
    resolution->done.expires_at(deadline);
    asio::co_spawn(
        ex,
        [resolution, destination, rules = options.rules]() -> asio::awaitable<void> {
            auto answer = co_await detail::resolve_and_check(resolution->resolver, destination, rules);
            resolution->answer = std::move(answer);
            resolution->done.cancel();
        },
        asio::detached);
    if (!resolution->answer) co_await resolution->done.async_wait(use_tuple);
    if (!resolution->answer) {
        resolution->resolver.cancel();  // lets the resolver's thread skip the answer if it is still queued
        co_return make(outcome::timed_out,
                       "resolving webhook host " + destination.host + " took longer than the deadline");
    }
    auto checked = std::move(*resolution->answer);
    if (checked.refused) co_return make(outcome::refused, checked.error);
    if (checked.endpoints.empty()) co_return make(outcome::unreachable, checked.error);

    // 2. From here on the deadline closes the socket.
    auto io = std::make_shared<attempt_io>(ex, tls);
    io->watchdog.expires_at(deadline);
    io->watchdog.async_wait([weak = std::weak_ptr<attempt_io>(io)](boost::system::error_code ec) {
        if (ec) return;
        if (const auto live = weak.lock()) live->expire();
    });
    struct disarm {
        std::shared_ptr<attempt_io> io;
        ~disarm() { io->watchdog.cancel(); }
    } const disarm_on_return{io};

    // Connect to the checked addresses only (never to a new resolution), in the resolver's order.
    auto& socket = io->stream.next_layer();
    std::string connect_errors;
    bool connected = false;
    for (const auto& endpoint : checked.endpoints) {
        boost::system::error_code ec;
        socket.open(endpoint.protocol(), ec);
        if (!ec) {
            std::tie(ec) = co_await socket.async_connect(endpoint, use_tuple);
        }
        if (io->expired)
            co_return make(outcome::timed_out, "connecting to " + where + " took longer than the deadline");
        if (!ec) {
            connected = true;
            break;
        }
        connect_errors += (connect_errors.empty() ? "" : "; ") + endpoint_text(endpoint) + " " + ec.message();
        boost::system::error_code ignored;
        socket.close(ignored);
    }
    if (!connected)
        co_return make(outcome::unreachable, "cannot connect to " + where + ": " + connect_errors);

    http::request<http::string_body> request{http::verb::post, destination.target, 11};
    request.set(http::field::host, host_header(destination));
    request.set(http::field::user_agent, options.user_agent);
    request.set(http::field::content_type, "application/json");
    request.set(http::field::connection, "close");
    for (const auto& h : headers) request.set(h.name, h.value);
    request.body() = std::move(body);
    request.prepare_payload();

    if (destination.scheme == "http") co_return co_await exchange(socket, *io, request, options, where);

    // 3. TLS: SNI (names only: RFC 6066 forbids IP literals there), chain verified against the trust store,
    // and the certificate must name the host of the URL.
    if (destination.host.find_first_not_of("0123456789.") != std::string::npos &&
        destination.host.find(':') == std::string::npos) {
        if (SSL_set_tlsext_host_name(io->stream.native_handle(), destination.host.c_str()) != 1) {
            co_return make(outcome::tls_failed, "cannot set the TLS server name " + destination.host);
        }
    }
    io->stream.set_verify_mode(asio::ssl::verify_peer);
    io->stream.set_verify_callback(
        [check = asio::ssl::host_name_verification(destination.host), state = io.get(),
         host = destination.host](bool preverified, asio::ssl::verify_context& ctx) {
            const bool ok = check(preverified, ctx);
            if (preverified && !ok) state->verify_failure = "the certificate is not valid for " + host;
            return ok;
        });
    auto [handshake_error] = co_await io->stream.async_handshake(asio::ssl::stream_base::client, use_tuple);
    if (io->expired)
        co_return make(outcome::timed_out,
                       "the TLS handshake with " + where + " took longer than the deadline");
    if (handshake_error) {
        std::string why = io->verify_failure;
        if (why.empty()) {
            const auto verify = SSL_get_verify_result(io->stream.native_handle());
            why = verify != X509_V_OK ? X509_verify_cert_error_string(verify) : handshake_error.message();
        }
        co_return make(outcome::tls_failed, "TLS with " + where + " failed: " + why);
    }
    co_return co_await exchange(io->stream, *io, request, options, where);
}

client::client(asio::any_io_executor executor, client_options options)
    : impl_{std::make_unique<impl>(std::move(executor), std::move(options))} {}
client::~client() = default;
client::client(client&&) noexcept = default;
client& client::operator=(client&&) noexcept = default;

const client_options& client::options() const { return impl_->options; }

asio::awaitable<attempt_result> client::post(const url& destination, std::vector<header> headers,
                                             std::string body) {
    const auto started = clock_type::now();
    auto* self = impl_.get();
    auto result = co_await asio::co_spawn(asio::make_strand(self->executor),
                                          self->attempt(destination, std::move(headers), std::move(body)),
                                          asio::use_awaitable);
    result.elapsed = std::chrono::duration_cast<std::chrono::microseconds>(clock_type::now() - started);
    co_return result;
}

}  // namespace prequal::webhook
