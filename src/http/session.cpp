// One HTTP/1.1 connection as a coroutine on its own strand: deadline-bounded reads with header/body limits,
// Expect: 100-continue, dispatch, contract errors for what the transport rejects, and keep-alive. Over TLS,
// a handshake first (bounded by the first request's deadline) and a close_notify at the end.
#include "session.hpp"

#include "tls_context.hpp"

#include <prequal/core/ids.hpp>
#include <prequal/core/logger.hpp>
#include <prequal/core/trace_context.hpp>
#include <prequal/http/errors.hpp>

#include <boost/asio/as_tuple.hpp>
#include <boost/asio/co_spawn.hpp>
#include <boost/asio/detached.hpp>
#include <boost/asio/ssl/error.hpp>
#include <boost/asio/use_awaitable.hpp>
#include <boost/beast/core/error.hpp>
#include <boost/beast/core/flat_buffer.hpp>
#include <boost/beast/core/stream_traits.hpp>
#include <boost/beast/core/string.hpp>
#include <boost/beast/core/tcp_stream.hpp>
#include <boost/beast/http/empty_body.hpp>
#include <boost/beast/http/error.hpp>
#include <boost/beast/http/parser.hpp>
#include <boost/beast/http/read.hpp>
#include <boost/beast/http/string_body.hpp>
#include <boost/beast/http/write.hpp>
#include <boost/beast/ssl/ssl_stream.hpp>
#include <openssl/ssl.h>

#include <algorithm>
#include <array>
#include <chrono>
#include <cstdint>
#include <iterator>
#include <limits>
#include <string>
#include <string_view>
#include <tuple>
#include <type_traits>

namespace prequal::http::detail {

namespace net = boost::asio;
namespace beast = boost::beast;
namespace bhttp = boost::beast::http;

namespace {

constexpr auto use_tuple = net::as_tuple(net::use_awaitable);
constexpr std::size_t read_chunk = 8192;
// An idle connection holds only this much buffer: there may be as many idle connections as the open-files
// limit allows. Most request heads fit; a larger one is read on by the parser, which grows the buffer.
constexpr std::size_t idle_read_chunk = 1024;
// After rejecting a request mid-upload, swallow what the client still sends (bounded) before closing, so the
// close does not become an RST that destroys the error response before the client reads it.
constexpr std::size_t linger_max_bytes = std::size_t{1024} * 1024;
constexpr std::chrono::milliseconds linger_max_time{1000};
constexpr std::string_view json_content_type = "application/json; charset=utf-8";

// Bounded label set: arbitrary method tokens from clients must not create new series.
std::string method_label(bhttp::verb verb) {
    return verb == bhttp::verb::unknown ? std::string("OTHER") : std::string(bhttp::to_string(verb));
}

std::string pick_request_id(const bhttp::fields& fields) {
    auto it = fields.find("X-Request-ID");
    if (it != fields.end() && is_valid_request_id(it->value())) return std::string(it->value());
    return core::new_uuid();
}

// W3C Trace Context: a second traceparent field makes it invalid (a new trace); tracestate fields form one
// list. Nothing here is ever a reason to refuse the request.
core::trace_context pick_trace(const bhttp::fields& fields) {
    auto [first, last] = fields.equal_range("traceparent");
    if (first == last || std::next(first) != last) return core::new_trace();
    std::string state;
    for (auto [it, end] = fields.equal_range("tracestate"); it != end; ++it) {
        if (!state.empty()) state += ',';
        state += it->value();
        if (state.size() > core::max_tracestate_size) break;  // too long: dropped anyway
    }
    return core::continue_trace(first->value(), state);
}

std::string path_of(std::string_view target) { return std::string(target.substr(0, target.find('?'))); }

bool is_token(std::string_view s) {
    static constexpr std::string_view extra = "!#$%&'*+-.^_`|~";
    return !s.empty() && std::all_of(s.begin(), s.end(), [](char c) {
        return (c >= '0' && c <= '9') || (c >= 'a' && c <= 'z') || (c >= 'A' && c <= 'Z') ||
               extra.find(c) != std::string_view::npos;
    });
}

bool is_field_value(std::string_view s) {
    return std::none_of(s.begin(), s.end(), [](char c) { return c == '\r' || c == '\n' || c == '\0'; });
}

bool is_malformed(const boost::system::error_code& ec) {
    using e = bhttp::error;
    for (auto code :
         {e::bad_line_ending, e::bad_method, e::bad_target, e::bad_version, e::bad_field, e::bad_value,
          e::bad_content_length, e::bad_transfer_encoding, e::bad_chunk, e::bad_chunk_extension,
          e::bad_obs_fold, e::multiple_content_length, e::unexpected_body, e::buffer_overflow}) {
        if (ec == code) return true;
    }
    return false;
}

// True when the unread request head (the bytes the parser refused; it has consumed the fields before the
// failing one, so this starts with the failing line or, if the head arrived in pieces, the request line) has
// an Authorization field whose value no parser accepts (NUL, CR or another control character). Such a request
// carries a credential that cannot be read: with Bearer keys in use the contract answers it like any other
// bad credential (401), not 400.
bool has_unreadable_authorization(std::string_view head) {
    if (const auto end = head.find("\r\n\r\n"); end != std::string_view::npos) head = head.substr(0, end);
    while (!head.empty()) {
        const auto line_end = head.find("\r\n");
        const auto line = head.substr(0, line_end);
        head.remove_prefix(line_end == std::string_view::npos ? head.size() : line_end + 2);
        const auto colon = line.find(':');
        if (colon == std::string_view::npos || !beast::iequals(line.substr(0, colon), "authorization"))
            continue;
        const auto value = line.substr(colon + 1);
        if (std::any_of(value.begin(), value.end(), [](char c) {
                const auto u = static_cast<unsigned char>(c);
                return (u < 0x20 && c != '\t') || u == 0x7f;
            }))
            return true;
    }
    return false;
}

bool asks_close(const response& res) {
    const auto* connection = find_header(res.headers, "Connection");
    return connection != nullptr && beast::iequals(*connection, "close");
}

// The first byte of every TLS connection: a handshake record. Anything else (a plaintext HTTP request on
// the HTTPS port, a scanner) is closed without a handshake.
constexpr unsigned char tls_handshake_record = 0x16;
// A TLS connection that ends gracefully sends close_notify; the write gets at most this long.
constexpr std::chrono::milliseconds close_notify_max_time{1000};

using plain_stream = beast::tcp_stream;
using tls_stream = beast::ssl_stream<beast::tcp_stream>;

// Bounded label set for http_tls_handshake_failures_total.
std::string_view handshake_failure_reason(const boost::system::error_code& ec) {
    if (ec == beast::error::timeout) return "timeout";
    if (ec == net::error::eof || ec == net::ssl::error::stream_truncated ||
        ec == net::error::connection_reset || ec == net::error::operation_aborted)
        return "closed";
    return "protocol";
}

template <class Stream>
class connection final : public session_base, public std::enable_shared_from_this<connection<Stream>> {
public:
    static constexpr bool is_tls = std::is_same_v<Stream, tls_stream>;

    // Plaintext.
    connection(std::shared_ptr<server_state> state, net::ip::tcp::socket socket,
               std::uint64_t id) requires(!is_tls)
        : state_(std::move(state)), stream_(std::move(socket)), id_(id) {}
    // TLS: the credentials outlive the stream, which refers to their context.
    connection(std::shared_ptr<server_state> state, net::ip::tcp::socket socket, std::uint64_t id,
               std::shared_ptr<const tls_credentials> tls) requires is_tls
        : state_(std::move(state)),
          tls_(std::move(tls)),
          stream_(beast::tcp_stream(std::move(socket)), tls_->context().ssl),
          id_(id) {}

    void start() override {
        auto ex = executor();
        net::co_spawn(ex, run(this->shared_from_this()), net::detached);
    }
    net::any_io_executor executor() override { return stream_.get_executor(); }
    void on_drain() override;
    void force_close() override { tcp().close(); }
    void shed() override;

private:
    using clock = std::chrono::steady_clock;
    using parser_type = bhttp::request_parser<bhttp::string_body>;

    static net::awaitable<void> run(std::shared_ptr<connection> self);
    beast::tcp_stream& tcp() { return beast::get_lowest_layer(stream_); }
    net::awaitable<void> serve();
    net::awaitable<bool> handshake();
    net::awaitable<bool> serve_one(clock::time_point read_deadline);
    net::awaitable<void> reply_to_read_error(boost::system::error_code ec, const parser_type& parser);
    net::awaitable<bool> write(response res, std::string_view request_id, const core::trace_context& trace,
                               unsigned version, bool keep_alive, bool head);
    net::awaitable<void> close_notify();
    net::awaitable<void> linger_close();
    void shutdown_and_close();

    std::shared_ptr<server_state> state_;
    std::shared_ptr<const tls_credentials> tls_;  // TLS only; declared before the stream that uses it
    Stream stream_;
    beast::flat_buffer buffer_;
    std::uint64_t id_;
    bool idle_ = false;          // waiting for the first byte of a request
    bool draining_ = false;      // answer the current request with Connection: close, then stop
    bool shed_ = false;          // shed() cancelled the wait for a request
    bool handshaken_ = false;    // TLS: the handshake completed
    bool said_goodbye_ = false;  // TLS: close_notify sent
};

template <class Stream>
net::awaitable<void> connection<Stream>::run(std::shared_ptr<connection> self) {
    try {
        co_await self->serve();
        if constexpr (is_tls) co_await self->close_notify();
    } catch (const std::exception& e) {
        self->state_->log.error("http session failed", {{"error", e.what()}});
    }
    self->shutdown_and_close();
    self->state_->session_finished(self->id_);
}

template <class Stream>
void connection<Stream>::on_drain() {
    draining_ = true;
    if (idle_) tcp().cancel();
}

template <class Stream>
void connection<Stream>::shed() {
    if (draining_ || !tcp().socket().is_open()) return;  // closing anyway, which frees the slot
    // Bytes already in the socket are a request the read has not returned yet: closing now would reset it.
    boost::system::error_code ec;
    if (!idle_ || tcp().socket().available(ec) > 0) {
        state_->shed_declined(id_);
        return;
    }
    shed_ = true;
    tcp().cancel();
}

template <class Stream>
net::awaitable<void> connection<Stream>::serve() {
    const auto& opts = state_->options;
    // The first request, including the wait for its first byte and a TLS handshake, must arrive within
    // read_timeout of accept.
    auto deadline = clock::now() + opts.read_timeout;
    bool first = true;
    for (;;) {
        if (draining_) co_return;
        if (buffer_.size() == 0) {
            // Idle: the server may shed this connection at its cap. (After accept it is registered as idle
            // already.) With bytes of a next request buffered it is not idle, and keeps its head deadline.
            if (!first)
                state_->session_idle(id_);
            else if (handshaken_)
                state_->session_idle(id_, false);  // handshake done, first request not begun: a new one
            buffer_.shrink_to_fit();               // empty: frees what the last request's reads needed
            tcp().expires_at(first ? deadline : clock::now() + opts.idle_timeout);
            idle_ = true;
            boost::system::error_code ec;
            std::size_t n = 0;
            if constexpr (is_tls) {
                // Before the handshake the bytes are the client's hello, read raw and handed to OpenSSL.
                if (handshaken_)
                    std::tie(ec, n) =
                        co_await stream_.async_read_some(buffer_.prepare(idle_read_chunk), use_tuple);
                else
                    std::tie(ec, n) =
                        co_await tcp().async_read_some(buffer_.prepare(idle_read_chunk), use_tuple);
            } else {
                std::tie(ec, n) =
                    co_await stream_.async_read_some(buffer_.prepare(idle_read_chunk), use_tuple);
            }
            idle_ = false;
            if (ec) {  // idle timeout, client closed, or cancelled by drain or shed
                if (shed_) {
                    state_->connections_shed.inc();
                    state_->log.debug("idle connection closed at the connection cap");
                } else if (is_tls && !handshaken_ && ec == beast::error::timeout) {
                    state_->count_handshake_failure("timeout");  // connected, sent nothing
                }
                co_return;
            }
            shed_ = false;  // chosen a moment too late: a request has begun, so it is served
            state_->session_busy(id_);
            buffer_.commit(n);
        }
        if constexpr (is_tls) {
            if (!handshaken_) {
                // Part of the first request as far as deadlines go: it must end by `deadline`.
                if (!co_await handshake()) co_return;
                continue;
            }
        }
        if (!first) deadline = clock::now() + opts.read_timeout;
        first = false;
        if (!co_await serve_one(deadline)) co_return;
    }
}

template <class Stream>
net::awaitable<bool> connection<Stream>::handshake() {
    const auto first_byte = static_cast<const unsigned char*>(buffer_.data().data())[0];
    if (first_byte != tls_handshake_record) {
        state_->count_handshake_failure("not_tls");
        state_->log.debug("closed a connection that does not speak TLS on the HTTPS listener");
        co_return false;
    }
    // The deadline set for the first read still runs: the handshake shares the first request's.
    auto [ec, used] =
        co_await stream_.async_handshake(net::ssl::stream_base::server, buffer_.data(), use_tuple);
    buffer_.consume(buffer_.size());  // the engine has it all: the client sends nothing more before our reply
    if (ec) {
        state_->count_handshake_failure(handshake_failure_reason(ec));
        if (state_->log.enabled(core::log_level::debug))
            state_->log.debug("TLS handshake failed", {{"error", ec.message()}});
        co_return false;
    }
    handshaken_ = true;
    co_return true;
}

template <class Stream>
net::awaitable<void> connection<Stream>::close_notify() {
    // Before the handshake there is no TLS session to close.
    if (!handshaken_ || said_goodbye_ || !tcp().socket().is_open()) co_return;
    said_goodbye_ = true;
    // Send our close_notify without waiting for the client's: marking theirs as received makes OpenSSL's
    // shutdown complete once ours is written (what servers commonly do; the client may simply close).
    SSL* ssl = stream_.native_handle();
    ::SSL_set_shutdown(ssl, ::SSL_get_shutdown(ssl) | SSL_RECEIVED_SHUTDOWN);
    tcp().expires_after(std::min<clock::duration>(state_->options.write_timeout, close_notify_max_time));
    co_await stream_.async_shutdown(use_tuple);
}

template <class Stream>
net::awaitable<bool> connection<Stream>::serve_one(clock::time_point read_deadline) {
    const auto& opts = state_->options;
    parser_type parser;
    parser.header_limit(static_cast<std::uint32_t>(
        std::min<std::size_t>(opts.header_limit, std::numeric_limits<std::uint32_t>::max())));
    parser.body_limit(opts.body_limit);

    tcp().expires_at(read_deadline);
    if (auto [ec, n] = co_await bhttp::async_read_header(stream_, buffer_, parser, use_tuple); ec) {
        co_await reply_to_read_error(ec, parser);
        co_return false;
    }
    const auto started = clock::now();
    {
        const auto& head = parser.get();
        const auto count = static_cast<std::size_t>(std::distance(head.begin(), head.end()));
        if (count > opts.max_header_count) {
            co_await reply_to_read_error(bhttp::error::header_limit, parser);
            co_return false;
        }
        auto expect = head.find(bhttp::field::expect);
        if (head.version() >= 11 && !parser.is_done() && expect != head.end() &&
            beast::iequals(expect->value(), "100-continue")) {
            bhttp::response<bhttp::empty_body> go_on{bhttp::status::continue_, head.version()};
            tcp().expires_after(opts.write_timeout);
            if (auto [ec, n] = co_await bhttp::async_write(stream_, go_on, use_tuple); ec) co_return false;
            tcp().expires_at(read_deadline);
        }
    }
    if (!parser.is_done()) {
        if (auto [ec, n] = co_await bhttp::async_read(stream_, buffer_, parser, use_tuple); ec) {
            co_await reply_to_read_error(ec, parser);
            co_return false;
        }
    }

    auto msg = parser.release();
    request req;
    req.method = std::string(msg.method_string());
    req.target = std::string(msg.target());
    req.path = path_of(req.target);
    req.headers.reserve(static_cast<std::size_t>(std::distance(msg.begin(), msg.end())));
    for (const auto& field : msg)
        req.headers.emplace_back(std::string(field.name_string()), std::string(field.value()));
    req.body = std::move(msg.body());
    req.request_id = pick_request_id(msg);
    req.trace = pick_trace(msg);
    const core::logger log = state_->log.with_trace(req.trace);

    response res;
    bool failed = false;
    try {
        res = co_await state_->app(req);
    } catch (const std::exception& e) {
        log.error("request handler failed", {{"request_id", req.request_id},
                                             {"method", req.method},
                                             {"path", req.path},
                                             {"error", e.what()}});
        failed = true;
    } catch (...) {
        log.error("request handler failed",
                  {{"request_id", req.request_id}, {"method", req.method}, {"path", req.path}});
        failed = true;
    }
    if (!failed && (res.status < 200 || res.status > 599)) {  // a 1xx would leave the client waiting
        log.error("handler returned an invalid status",
                  {{"request_id", req.request_id}, {"status", std::to_string(res.status)}});
        failed = true;
    }
    if (failed) res = make_error(500, "INTERNAL_ERROR", "internal server error", req.request_id, req.path);

    const bool keep_alive = msg.keep_alive() && !draining_ && !asks_close(res);
    const auto status = res.status;
    // Counted before the write so whoever has seen the response also sees it in the metrics.
    state_->count_request(method_label(msg.method()), req.route, status);
    const bool written = co_await write(std::move(res), req.request_id, req.trace, msg.version(), keep_alive,
                                        msg.method() == bhttp::verb::head);
    state_->observe_duration(req.route, std::chrono::duration<double>(clock::now() - started).count());
    if (log.enabled(core::log_level::debug)) {
        log.debug("request", {{"request_id", req.request_id},
                              {"method", req.method},
                              {"path", req.path},
                              {"status", std::to_string(status)}});
    }
    co_return written&& keep_alive;
}

template <class Stream>
net::awaitable<void> connection<Stream>::reply_to_read_error(boost::system::error_code ec,
                                                             const parser_type& parser) {
    unsigned status = 0;
    std::string_view code;
    std::string message;
    if (ec == bhttp::error::body_limit) {
        status = 413;
        code = "PAYLOAD_TOO_LARGE";
        message = "request body exceeds " + std::to_string(state_->options.body_limit) + " bytes";
    } else if (ec == bhttp::error::header_limit) {
        status = 431;
        code = "HEADERS_TOO_LARGE";
        message = "request header fields too large or too many";
    } else if (is_malformed(ec) && state_->options.bearer_credentials &&
               has_unreadable_authorization(
                   {static_cast<const char*>(buffer_.data().data()), buffer_.data().size()})) {
        status = 401;
        code = "UNAUTHORIZED";
        message = "a valid API key is required (Authorization: Bearer <key>)";
    } else if (is_malformed(ec)) {
        status = 400;
        code = "BAD_REQUEST";
        message = "malformed HTTP request";
    } else {
        co_return;  // timeout, end of stream, reset, drain: nobody to answer
    }
    // Whatever the parser got before failing (request line, some fields) is still in its message.
    const auto& partial = parser.get();
    const auto request_id = pick_request_id(partial);
    const auto trace = pick_trace(partial);
    auto res = make_error(status, code, message, request_id, path_of(partial.target()));
    if (status == 401) res.set_header("WWW-Authenticate", "Bearer realm=\"prequal\"");
    state_->count_request(method_label(partial.method()), {}, status);
    co_await write(std::move(res), request_id, trace, 11, false, false);
    co_await linger_close();
}

template <class Stream>
net::awaitable<bool> connection<Stream>::write(response res, std::string_view request_id,
                                               const core::trace_context& trace, unsigned version,
                                               bool keep_alive, bool head) {
    bhttp::response<bhttp::string_body> out;
    out.version(version == 10 ? 10 : 11);
    out.result(res.status);
    bool has_content_type = false;
    for (auto& [name, value] : res.headers) {
        if (!is_token(name) || !is_field_value(value)) {
            state_->log.with_trace(trace).warn("dropping an invalid response header",
                                               {{"request_id", request_id}});
            continue;
        }
        // The server owns framing, connection management, the request id and the trace context.
        const auto field = bhttp::string_to_field(name);
        if (field == bhttp::field::content_length || field == bhttp::field::transfer_encoding ||
            field == bhttp::field::connection || beast::iequals(name, "X-Request-ID") ||
            beast::iequals(name, "traceparent")) {
            continue;
        }
        has_content_type = has_content_type || field == bhttp::field::content_type;
        out.insert(name, value);
    }
    out.set("X-Request-ID", request_id);
    // Our span as the parent: what a client that continues the trace (or correlates it) needs.
    if (!trace.empty()) out.set("traceparent", trace.traceparent());
    const bool bodiless = res.status < 200 || res.status == 204 || res.status == 304;
    if (!bodiless) {
        if (!has_content_type) out.set(bhttp::field::content_type, json_content_type);
        // HEAD gets the Content-Length the body would have, but no body.
        out.content_length(res.body.size());
        if (!head) out.body() = std::move(res.body);
    }
    out.keep_alive(keep_alive);
    tcp().expires_after(state_->options.write_timeout);
    auto [ec, n] = co_await bhttp::async_write(stream_, out, use_tuple);
    co_return !ec;
}

template <class Stream>
net::awaitable<void> connection<Stream>::linger_close() {
    if constexpr (is_tls) co_await close_notify();
    boost::system::error_code ignored;
    tcp().socket().shutdown(net::ip::tcp::socket::shutdown_send, ignored);
    tcp().expires_after(std::min<clock::duration>(state_->options.read_timeout, linger_max_time));
    std::array<char, read_chunk> scratch;
    std::size_t discarded = 0;
    while (discarded < linger_max_bytes) {
        auto [ec, n] = co_await tcp().async_read_some(net::buffer(scratch), use_tuple);  // raw: discarded
        if (ec) break;
        discarded += n;
    }
}

template <class Stream>
void connection<Stream>::shutdown_and_close() {
    boost::system::error_code ignored;
    tcp().socket().shutdown(net::ip::tcp::socket::shutdown_send, ignored);
    tcp().close();
}

}  // namespace

std::shared_ptr<session_base> make_session(std::shared_ptr<server_state> state, net::ip::tcp::socket socket,
                                           std::uint64_t id, std::shared_ptr<const tls_credentials> tls) {
    if (tls)
        return std::make_shared<connection<tls_stream>>(std::move(state), std::move(socket), id,
                                                        std::move(tls));
    return std::make_shared<connection<plain_stream>>(std::move(state), std::move(socket), id);
}

}  // namespace prequal::http::detail
