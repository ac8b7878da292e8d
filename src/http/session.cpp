// One HTTP/1.1 connection as a coroutine on its own strand: deadline-bounded reads with header/body limits,
// Expect: 100-continue, dispatch, contract errors for what the transport rejects, and keep-alive.
#include "session.hpp"

#include <prequal/core/ids.hpp>
#include <prequal/http/errors.hpp>

#include <boost/asio/as_tuple.hpp>
#include <boost/asio/use_awaitable.hpp>
#include <boost/beast/core/string.hpp>
#include <boost/beast/http/empty_body.hpp>
#include <boost/beast/http/error.hpp>
#include <boost/beast/http/read.hpp>
#include <boost/beast/http/write.hpp>

#include <algorithm>
#include <array>
#include <cstdint>
#include <iterator>
#include <limits>
#include <string>

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

bool asks_close(const response& res) {
    const auto* connection = find_header(res.headers, "Connection");
    return connection != nullptr && beast::iequals(*connection, "close");
}

}  // namespace

session::session(std::shared_ptr<server_state> state, net::ip::tcp::socket socket, std::uint64_t id)
    : state_(std::move(state)), stream_(std::move(socket)), id_(id) {}

net::awaitable<void> session::run(std::shared_ptr<session> self) {
    try {
        co_await self->serve();
    } catch (const std::exception& e) {
        self->state_->log.error("http session failed", {{"error", e.what()}});
    }
    self->shutdown_and_close();
    self->state_->session_finished(self->id_);
}

void session::on_drain() {
    draining_ = true;
    if (idle_) stream_.cancel();
}

void session::force_close() { stream_.close(); }

void session::shed() {
    if (draining_ || !stream_.socket().is_open()) return;  // closing anyway, which frees the slot
    // Bytes already in the socket are a request the read has not returned yet: closing now would reset it.
    boost::system::error_code ec;
    if (!idle_ || stream_.socket().available(ec) > 0) {
        state_->shed_declined(id_);
        return;
    }
    shed_ = true;
    stream_.cancel();
}

net::awaitable<void> session::serve() {
    const auto& opts = state_->options;
    // The first request, including the wait for its first byte, must arrive within read_timeout of accept.
    auto deadline = clock::now() + opts.read_timeout;
    bool first = true;
    for (;;) {
        if (draining_) co_return;
        if (buffer_.size() == 0) {
            // Idle: the server may shed this connection at its cap. (After accept it is registered as idle
            // already.) With bytes of a next request buffered it is not idle, and keeps its head deadline.
            if (!first) state_->session_idle(id_);
            buffer_.shrink_to_fit();  // empty: frees what the last request's reads needed
            stream_.expires_at(first ? deadline : clock::now() + opts.idle_timeout);
            idle_ = true;
            auto [ec, n] = co_await stream_.async_read_some(buffer_.prepare(idle_read_chunk), use_tuple);
            idle_ = false;
            if (ec) {  // idle timeout, client closed, or cancelled by drain or shed
                if (shed_) {
                    state_->connections_shed.inc();
                    state_->log.debug("idle connection closed at the connection cap");
                }
                co_return;
            }
            shed_ = false;  // chosen a moment too late: a request has begun, so it is served
            state_->session_busy(id_);
            buffer_.commit(n);
        }
        if (!first) deadline = clock::now() + opts.read_timeout;
        first = false;
        if (!co_await serve_one(deadline)) co_return;
    }
}

net::awaitable<bool> session::serve_one(clock::time_point read_deadline) {
    const auto& opts = state_->options;
    parser_type parser;
    parser.header_limit(static_cast<std::uint32_t>(
        std::min<std::size_t>(opts.header_limit, std::numeric_limits<std::uint32_t>::max())));
    parser.body_limit(opts.body_limit);

    stream_.expires_at(read_deadline);
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
            stream_.expires_after(opts.write_timeout);
            if (auto [ec, n] = co_await bhttp::async_write(stream_, go_on, use_tuple); ec) co_return false;
            stream_.expires_at(read_deadline);
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

    response res;
    bool failed = false;
    try {
        res = co_await state_->app(req);
    } catch (const std::exception& e) {
        state_->log.error("request handler failed", {{"request_id", req.request_id},
                                                     {"method", req.method},
                                                     {"path", req.path},
                                                     {"error", e.what()}});
        failed = true;
    } catch (...) {
        state_->log.error("request handler failed",
                          {{"request_id", req.request_id}, {"method", req.method}, {"path", req.path}});
        failed = true;
    }
    if (!failed && (res.status < 200 || res.status > 599)) {  // a 1xx would leave the client waiting
        state_->log.error("handler returned an invalid status",
                          {{"request_id", req.request_id}, {"status", std::to_string(res.status)}});
        failed = true;
    }
    if (failed) res = make_error(500, "INTERNAL_ERROR", "internal server error", req.request_id, req.path);

    const bool keep_alive = msg.keep_alive() && !draining_ && !asks_close(res);
    const auto status = res.status;
    // Counted before the write so whoever has seen the response also sees it in the metrics.
    state_->count_request(method_label(msg.method()), status);
    const bool written = co_await write(std::move(res), req.request_id, msg.version(), keep_alive,
                                        msg.method() == bhttp::verb::head);
    state_->request_duration.observe(std::chrono::duration<double>(clock::now() - started).count());
    if (state_->log.enabled(core::log_level::debug)) {
        state_->log.debug("request", {{"request_id", req.request_id},
                                      {"method", req.method},
                                      {"path", req.path},
                                      {"status", std::to_string(status)}});
    }
    co_return written&& keep_alive;
}

net::awaitable<void> session::reply_to_read_error(boost::system::error_code ec, const parser_type& parser) {
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
    auto res = make_error(status, code, message, request_id, path_of(partial.target()));
    state_->count_request(method_label(partial.method()), status);
    co_await write(std::move(res), request_id, 11, false, false);
    co_await linger_close();
}

net::awaitable<bool> session::write(response res, std::string_view request_id, unsigned version,
                                    bool keep_alive, bool head) {
    bhttp::response<bhttp::string_body> out;
    out.version(version == 10 ? 10 : 11);
    out.result(res.status);
    bool has_content_type = false;
    for (auto& [name, value] : res.headers) {
        if (!is_token(name) || !is_field_value(value)) {
            state_->log.warn("dropping an invalid response header", {{"request_id", request_id}});
            continue;
        }
        // The server owns framing, connection management and the request id.
        const auto field = bhttp::string_to_field(name);
        if (field == bhttp::field::content_length || field == bhttp::field::transfer_encoding ||
            field == bhttp::field::connection || beast::iequals(name, "X-Request-ID")) {
            continue;
        }
        has_content_type = has_content_type || field == bhttp::field::content_type;
        out.insert(name, value);
    }
    out.set("X-Request-ID", request_id);
    const bool bodiless = res.status < 200 || res.status == 204 || res.status == 304;
    if (!bodiless) {
        if (!has_content_type) out.set(bhttp::field::content_type, json_content_type);
        // HEAD gets the Content-Length the body would have, but no body.
        out.content_length(res.body.size());
        if (!head) out.body() = std::move(res.body);
    }
    out.keep_alive(keep_alive);
    stream_.expires_after(state_->options.write_timeout);
    auto [ec, n] = co_await bhttp::async_write(stream_, out, use_tuple);
    co_return !ec;
}

net::awaitable<void> session::linger_close() {
    boost::system::error_code ignored;
    stream_.socket().shutdown(net::ip::tcp::socket::shutdown_send, ignored);
    stream_.expires_after(std::min<clock::duration>(state_->options.read_timeout, linger_max_time));
    std::array<char, read_chunk> scratch;
    std::size_t discarded = 0;
    while (discarded < linger_max_bytes) {
        auto [ec, n] = co_await stream_.async_read_some(net::buffer(scratch), use_tuple);
        if (ec) break;
        discarded += n;
    }
}

void session::shutdown_and_close() {
    boost::system::error_code ignored;
    stream_.socket().shutdown(net::ip::tcp::socket::shutdown_send, ignored);
    stream_.close();
}

}  // namespace prequal::http::detail
