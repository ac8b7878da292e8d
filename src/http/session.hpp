// Private: one HTTP/1.1 connection. Reads requests with limits and deadlines, calls the dispatcher,
// writes responses; all of it on the session's own strand.
#pragma once

#include "server_state.hpp"

#include <prequal/http/message.hpp>

#include <boost/asio/awaitable.hpp>
#include <boost/beast/core/flat_buffer.hpp>
#include <boost/beast/core/tcp_stream.hpp>
#include <boost/beast/http/parser.hpp>
#include <boost/beast/http/string_body.hpp>

#include <chrono>
#include <cstdint>
#include <memory>
#include <string_view>

namespace prequal::http::detail {

class session {
public:
    session(std::shared_ptr<server_state> state, boost::asio::ip::tcp::socket socket, std::uint64_t id);

    /// Serves the connection until it closes, then reports to the server. Owns `self` for its duration.
    static boost::asio::awaitable<void> run(std::shared_ptr<session> self);

    /// The session's strand; on_drain() and force_close() must run there.
    boost::asio::any_io_executor executor() { return stream_.get_executor(); }
    /// Finish the request in flight (answering with Connection: close); close now if idle.
    void on_drain();
    /// Drain deadline passed: close the socket whatever is in flight.
    void force_close();
    /// The server is at its connection cap and chose this connection as the longest idle: close it if it
    /// is still waiting for a request (as an idle timeout would). A request that has begun meanwhile, even
    /// one still unread in the socket, is served as usual, and the server is told so.
    void shed();

private:
    using clock = std::chrono::steady_clock;
    using parser_type = boost::beast::http::request_parser<boost::beast::http::string_body>;

    boost::asio::awaitable<void> serve();
    boost::asio::awaitable<bool> serve_one(clock::time_point read_deadline);
    boost::asio::awaitable<void> reply_to_read_error(boost::system::error_code ec, const parser_type& parser);
    boost::asio::awaitable<bool> write(response res, std::string_view request_id, unsigned version,
                                       bool keep_alive, bool head);
    boost::asio::awaitable<void> linger_close();
    void shutdown_and_close();

    std::shared_ptr<server_state> state_;
    boost::beast::tcp_stream stream_;
    boost::beast::flat_buffer buffer_;
    std::uint64_t id_;
    bool idle_ = false;      // waiting for the first byte of a request
    bool draining_ = false;  // answer the current request with Connection: close, then stop
    bool shed_ = false;      // shed() cancelled the wait for a request
};

}  // namespace prequal::http::detail
