// The server facade: listening socket, accept loop with a connection cap (shedding the longest-idle
// connection at the cap), and the two shutdown phases. Shared state lives in detail::server_state on one
// strand; each connection is a detail::session.
#include "server_state.hpp"
#include "session.hpp"

#include <boost/asio/as_tuple.hpp>
#include <boost/asio/co_spawn.hpp>
#include <boost/asio/post.hpp>
#include <boost/asio/use_awaitable.hpp>

#include <chrono>
#include <stdexcept>
#include <string>
#include <system_error>

namespace prequal::http {

namespace net = boost::asio;
using tcp = net::ip::tcp;

namespace detail {

server_state::server_state(net::any_io_executor ex, server_options opts, dispatcher application,
                           core::logger logger, core::metrics_registry& registry)
    : io_executor(ex),
      strand(net::make_strand(ex)),
      options(std::move(opts)),
      app(std::move(application)),
      log(std::move(logger)),
      metrics(registry),
      connections_active(registry.get_gauge("http_connections_active", "Open HTTP connections.")),
      connections_rejected(
          registry.get_counter("http_connections_rejected_total",
                               "HTTP connections closed on accept because of the connection cap.")),
      connections_shed(registry.get_counter(
          "http_connections_shed_total",
          "Idle HTTP connections (keep-alive first, else new ones that sent nothing) closed at the "
          "connection cap to admit a new connection.")),
      connections_idle(registry.get_gauge("http_connections_idle",
                                          "Open HTTP connections waiting for the first byte of a request.")),
      acceptor(strand) {
    if (options.tls) install_tls(options.tls);
}

void server_state::session_finished(std::uint64_t id) {
    net::post(strand, [this, self = shared_from_this(), id] {
        auto it = sessions.find(id);
        if (it == sessions.end()) return;
        unlink_idle(it->second);
        if (it->second.shedding) --shedding;
        sessions.erase(it);
        active.fetch_sub(1, std::memory_order_relaxed);
        connections_active.add(-1);
        if (sessions.empty()) {
            for (auto* waiter : drain_waiters) waiter->cancel();
        }
    });
}

void server_state::session_idle(std::uint64_t id, bool kept_alive) {
    net::post(strand, [this, self = shared_from_this(), id, kept_alive] {
        auto it = sessions.find(id);
        if (it == sessions.end() || it->second.idle_hook.is_linked()) return;
        it->second.kept_alive = kept_alive;
        (kept_alive ? idle_kept : idle_new).push_back(it->second);
        connections_idle.add(1);
    });
}

void server_state::session_busy(std::uint64_t id) {
    net::post(strand, [this, self = shared_from_this(), id] {
        auto it = sessions.find(id);
        if (it != sessions.end()) unlink_idle(it->second);
    });
}

void server_state::link_new(session_entry& entry) {
    entry.kept_alive = false;
    idle_new.push_back(entry);
    connections_idle.add(1);
}

void server_state::unlink_idle(session_entry& entry) {
    if (!entry.idle_hook.is_linked()) return;
    auto& list = entry.kept_alive ? idle_kept : idle_new;
    list.erase(list.iterator_to(entry));
    connections_idle.add(-1);
}

bool server_state::shed_longest_idle() {
    // A connection idle after a response is closed first: its client has been served and, as after an idle
    // timeout, opens a new connection when it needs one. A new connection is most likely about to send its
    // first request; it is closed only when no keep-alive connection is idle, so that connections that send
    // nothing cannot lock clients out either.
    auto& list = idle_kept.empty() ? idle_new : idle_kept;
    if (list.empty()) return false;
    auto& victim = list.front();
    unlink_idle(victim);
    // The victim leaves `sessions` (freeing its slot) once its coroutine has closed the socket; until then
    // it is not counted against the cap (connections_kept), so the new connection is admitted now. A
    // session already gone has its session_finished on the way.
    victim.shedding = true;
    ++shedding;
    if (auto s = victim.weak.lock()) net::post(s->executor(), [s] { s->shed(); });
    return true;
}

void server_state::shed_declined(std::uint64_t id) {
    net::post(strand, [this, self = shared_from_this(), id] {
        auto it = sessions.find(id);
        if (it == sessions.end() || !it->second.shedding) return;
        it->second.shedding = false;
        --shedding;
        // The slot it would have freed is still taken: make room elsewhere if there is an idle connection.
        if (!draining && connections_kept() > options.max_connections) shed_longest_idle();
    });
}

namespace {
// The label of a request no route matched (404/405, or refused by the parser): the raw path would make the
// label set unbounded.
std::string route_label(std::string_view route) { return route.empty() ? "unmatched" : std::string(route); }
}  // namespace

void server_state::count_request(std::string_view method, std::string_view route, unsigned status) {
    metrics
        .get_counter("http_requests_total", "HTTP requests answered, by method, route pattern and status.",
                     {{"method", std::string(method)},
                      {"route", route_label(route)},
                      {"status", std::to_string(status)}})
        .inc();
}

void server_state::observe_duration(std::string_view route, double seconds) {
    metrics
        .get_histogram("http_request_duration_seconds",
                       "Time from a request's header to its response being written, by route pattern.",
                       {{"route", route_label(route)}})
        .observe(seconds);
}

void server_state::count_handshake_failure(std::string_view reason) {
    metrics
        .get_counter(
            "http_tls_handshake_failures_total",
            "TLS connections closed before their handshake completed, by reason (not_tls: the client "
            "spoke something else, e.g. plaintext HTTP; timeout; closed by the client; protocol: no "
            "common version or cipher, bad message, or the client refused the certificate).",
            {{"reason", std::string(reason)}})
        .inc();
}

void server_state::install_tls(std::shared_ptr<const tls_credentials> credentials) {
    tls = std::move(credentials);
    metrics
        .get_gauge("http_tls_certificate_expiry_timestamp_seconds",
                   "End of validity (not after) of the certificate new HTTPS connections get, as Unix time.")
        .set(std::chrono::duration_cast<std::chrono::seconds>(tls->not_after().time_since_epoch()).count());
}

namespace {

net::awaitable<void> accept_loop(std::shared_ptr<server_state> st) {
    for (;;) {
        auto [ec, socket] = co_await st->acceptor.async_accept(net::make_strand(st->io_executor),
                                                               net::as_tuple(net::use_awaitable));
        if (ec) {
            if (!st->acceptor.is_open() || ec == net::error::operation_aborted) co_return;
            st->log.warn("accept failed", {{"error", ec.message()}});
            // EMFILE and friends persist for a while; back off instead of spinning on the same error.
            net::steady_timer pause(st->strand, std::chrono::milliseconds(100));
            co_await pause.async_wait(net::as_tuple(net::use_awaitable));
            continue;
        }
        // At the cap an idle connection makes room, so idle connections never lock clients out; only when
        // every connection is in the middle of a request is the new one refused.
        if (st->draining ||
            (st->connections_kept() >= st->options.max_connections && !st->shed_longest_idle())) {
            st->connections_rejected.inc();
            boost::system::error_code ignored;
            socket.close(ignored);
            continue;
        }
        const auto id = st->next_session_id++;
        auto s = make_session(st, std::move(socket), id, st->tls);
        st->link_new(st->sessions.try_emplace(id, s).first->second);
        st->active.fetch_add(1, std::memory_order_relaxed);
        st->connections_active.add(1);
        s->start();
    }
}

net::awaitable<void> drain_on_strand(std::shared_ptr<server_state> st, std::chrono::milliseconds deadline) {
    st->draining = true;
    for (auto& [id, entry] : st->sessions) {
        if (auto s = entry.weak.lock()) net::post(s->executor(), [s] { s->on_drain(); });
    }
    if (st->sessions.empty()) co_return;

    net::steady_timer timer(st->strand, deadline);
    st->drain_waiters.push_back(&timer);
    co_await timer.async_wait(net::as_tuple(net::use_awaitable));
    std::erase(st->drain_waiters, &timer);

    if (!st->sessions.empty()) {
        st->log.warn("drain deadline passed; closing remaining connections",
                     {{"connections", std::to_string(st->sessions.size())}});
        for (auto& [id, entry] : st->sessions) {
            if (auto s = entry.weak.lock()) net::post(s->executor(), [s] { s->force_close(); });
        }
    }
}

}  // namespace
}  // namespace detail

struct server::impl : detail::server_state {
    using server_state::server_state;
};

server::server(net::any_io_executor ex, server_options options, dispatcher app, core::logger log,
               core::metrics_registry& metrics)
    : impl_(std::make_shared<impl>(std::move(ex), std::move(options), std::move(app), std::move(log),
                                   metrics)) {}

server::~server() = default;

void server::listen() {
    const auto& opts = impl_->options;
    const bool v6 = opts.host.find(':') != std::string::npos;
    const std::string where =
        "cannot listen on " + (v6 ? "[" + opts.host + "]" : opts.host) + ":" + std::to_string(opts.port);
    boost::system::error_code ec;
    const auto address = net::ip::make_address(opts.host, ec);  // numeric only: never blocks on DNS
    if (ec) throw std::system_error(ec, where + " (host must be a numeric IP address)");

    auto& acceptor = impl_->acceptor;
    const tcp::endpoint endpoint(address, opts.port);
    auto fail = [&](const boost::system::error_code& error) {
        boost::system::error_code ignored;
        acceptor.close(ignored);
        throw std::system_error(error, where);
    };
    acceptor.open(endpoint.protocol(), ec);
    if (!ec) acceptor.set_option(tcp::acceptor::reuse_address(true), ec);
    if (!ec) acceptor.bind(endpoint, ec);
    if (!ec) acceptor.listen(net::socket_base::max_listen_connections, ec);
    if (ec) fail(ec);
    const auto local = acceptor.local_endpoint(ec);
    if (ec) fail(ec);
    impl_->bound_port.store(local.port());
    impl_->log.info("listening", {{"address", local.address().to_string()},
                                  {"port", std::to_string(local.port())},
                                  {"protocol", opts.tls ? "https" : "http"}});
}

std::uint16_t server::port() const { return impl_->bound_port.load(); }

net::awaitable<void> server::run() {
    std::shared_ptr<detail::server_state> st = impl_;
    co_await net::co_spawn(st->strand, detail::accept_loop(st), net::use_awaitable);
}

void server::stop_accepting() {
    std::shared_ptr<detail::server_state> st = impl_;
    net::post(st->strand, [st] {
        boost::system::error_code ignored;
        st->acceptor.close(ignored);
    });
}

net::awaitable<void> server::drain(std::chrono::milliseconds deadline) {
    std::shared_ptr<detail::server_state> st = impl_;
    co_await net::co_spawn(st->strand, detail::drain_on_strand(st, deadline), net::use_awaitable);
}

std::size_t server::active_connections() const { return impl_->active.load(std::memory_order_relaxed); }

void server::set_tls(std::shared_ptr<const tls_credentials> credentials) {
    // A listener is HTTPS or plaintext for its whole life: clients must never see one port switch.
    if (!impl_->options.tls || !credentials)
        throw std::logic_error("http::server::set_tls: only an HTTPS server takes new credentials");
    std::shared_ptr<detail::server_state> st = impl_;
    net::post(st->strand, [st, credentials = std::move(credentials)]() mutable {
        st->install_tls(std::move(credentials));
    });
}

}  // namespace prequal::http
