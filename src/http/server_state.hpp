// Private: state shared by the server facade, its accept loop and its sessions. Everything marked
// "strand only" is touched only on `strand`, so the server is safe on a multi-threaded io_context.
#pragma once

#include <prequal/core/logger.hpp>
#include <prequal/core/metrics.hpp>
#include <prequal/http/server.hpp>
#include <prequal/http/tls_credentials.hpp>

#include <boost/asio/any_io_executor.hpp>
#include <boost/asio/ip/tcp.hpp>
#include <boost/asio/steady_timer.hpp>
#include <boost/asio/strand.hpp>
#include <boost/intrusive/list.hpp>

#include <atomic>
#include <cstdint>
#include <memory>
#include <string_view>
#include <unordered_map>
#include <vector>

namespace prequal::http::detail {

class session_base;

/// One open connection in the registry. While the connection waits for the first byte of a request,
/// `idle_hook` links it into one of server_state's idle lists, oldest first, so that at the connection cap
/// the one to close is found and unlinked in O(1).
struct session_entry {
    explicit session_entry(std::weak_ptr<session_base> s) : weak(std::move(s)) {}
    std::weak_ptr<session_base> weak;
    boost::intrusive::list_member_hook<> idle_hook;
    bool kept_alive = false;  // idle between keep-alive requests (else: accepted, nothing received yet)
    bool shedding = false;    // asked to close for a new connection; not yet closed or declined
};

using idle_hook_option = boost::intrusive::member_hook<session_entry, boost::intrusive::list_member_hook<>,
                                                       &session_entry::idle_hook>;
using idle_list = boost::intrusive::list<session_entry, idle_hook_option>;

struct server_state : std::enable_shared_from_this<server_state> {
    server_state(boost::asio::any_io_executor ex, server_options opts, dispatcher application,
                 core::logger logger, core::metrics_registry& registry);

    /// Any thread: forgets session `id` (posted to the strand) and wakes drain() when the last one leaves.
    void session_finished(std::uint64_t id);
    /// Any thread: session `id` has answered a request and waits for the first byte of its next one
    /// (posted to the strand; it becomes the newest idle keep-alive connection). `kept_alive` false: it has
    /// completed a TLS handshake and waits for its first request, as a new connection.
    void session_idle(std::uint64_t id, bool kept_alive = true);
    /// Any thread: session `id` has received the start of a request, so it is no longer idle.
    void session_busy(std::uint64_t id);
    /// Strand only: a new connection, nothing received yet: the newest in `idle_new`.
    void link_new(session_entry& entry);
    /// Strand only: `entry` leaves whichever idle list holds it.
    void unlink_idle(session_entry& entry);
    /// Strand only: at the connection cap, unlinks the idle connection to close and asks it to close, which
    /// frees its slot for a new connection: the longest-idle keep-alive connection, else (none idle between
    /// requests) the new connection that has waited longest without sending anything. False when every
    /// connection is in the middle of a request.
    bool shed_longest_idle();
    /// Any thread: session `id`, asked to close, had begun a request meanwhile; another idle one is asked.
    void shed_declined(std::uint64_t id);
    /// Strand only: open connections not counting those asked to close.
    std::size_t connections_kept() const { return sessions.size() - shedding; }
    /// Any thread: one answered request in http_requests_total and its duration in
    /// http_request_duration_seconds, labelled with the matched route's pattern ("unmatched" when none).
    void count_request(std::string_view method, std::string_view route, unsigned status);
    void observe_duration(std::string_view route, double seconds);
    /// Any thread: a TLS connection closed before its handshake completed, by bounded reason.
    void count_handshake_failure(std::string_view reason);
    /// Strand only: the credentials new TLS connections use from now on.
    void install_tls(std::shared_ptr<const tls_credentials> credentials);

    boost::asio::any_io_executor io_executor;  // each session gets its own strand on it
    boost::asio::strand<boost::asio::any_io_executor> strand;
    const server_options options;
    const dispatcher app;
    const core::logger log;
    core::metrics_registry& metrics;
    core::gauge& connections_active;
    core::counter& connections_rejected;
    core::counter& connections_shed;
    core::gauge& connections_idle;
    std::atomic<std::uint16_t> bound_port{0};
    std::atomic<std::size_t> active{0};

    // Strand only.
    boost::asio::ip::tcp::acceptor acceptor;
    std::unordered_map<std::uint64_t, session_entry> sessions;  // node-based: entries never move
    idle_list idle_kept;       // idle between keep-alive requests, longest idle at the front
    idle_list idle_new;        // accepted, nothing received yet, oldest at the front
    std::size_t shedding = 0;  // entries with `shedding` set
    std::uint64_t next_session_id = 0;
    std::shared_ptr<const tls_credentials> tls;  // null: plaintext listener
    bool draining = false;
    std::vector<boost::asio::steady_timer*> drain_waiters;
};

}  // namespace prequal::http::detail
