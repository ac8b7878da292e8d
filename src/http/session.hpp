// Private: one HTTP/1.1 connection. Reads requests with limits and deadlines, calls the dispatcher,
// writes responses; all of it on the session's own strand. The connection is a template on its stream
// (plain TCP or TLS over TCP, session.cpp), so the plaintext path pays nothing for TLS; the server's
// registry sees it through session_base, whose virtual calls happen only on drain and at the connection cap.
#pragma once

#include "server_state.hpp"

#include <prequal/http/tls_credentials.hpp>

#include <boost/asio/any_io_executor.hpp>
#include <boost/asio/ip/tcp.hpp>

#include <cstdint>
#include <memory>

namespace prequal::http::detail {

class session_base {
public:
    session_base() = default;
    session_base(const session_base&) = delete;
    session_base& operator=(const session_base&) = delete;
    virtual ~session_base() = default;

    /// Spawns the connection's coroutine on its strand: it serves the connection until it closes, then
    /// reports to the server (session_finished). Called once.
    virtual void start() = 0;
    /// The session's strand; on_drain(), force_close() and shed() must run there.
    virtual boost::asio::any_io_executor executor() = 0;
    /// Finish the request in flight (answering with Connection: close); close now if idle.
    virtual void on_drain() = 0;
    /// Drain deadline passed: close the socket whatever is in flight.
    virtual void force_close() = 0;
    /// The server is at its connection cap and chose this connection as the longest idle: close it if it
    /// is still waiting for a request (as an idle timeout would). A request that has begun meanwhile, even
    /// one still unread in the socket, is served as usual, and the server is told so.
    virtual void shed() = 0;
};

/// A plaintext session when `tls` is null, else one that first completes a TLS handshake with `tls` (which
/// it keeps for its whole life, whatever the server loads meanwhile).
std::shared_ptr<session_base> make_session(std::shared_ptr<server_state> state,
                                           boost::asio::ip::tcp::socket socket, std::uint64_t id,
                                           std::shared_ptr<const tls_credentials> tls);

}  // namespace prequal::http::detail
