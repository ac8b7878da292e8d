// pg::pool: bounded, lazily connecting, FIFO waiters with a deadline. Single-threaded by design:
// all state is touched from the pool's io_context only, so there are no locks.
#include <prequal/pg/error.hpp>
#include <prequal/pg/pool.hpp>

#include <boost/asio/as_tuple.hpp>
#include <boost/asio/steady_timer.hpp>
#include <boost/asio/use_awaitable.hpp>

#include <algorithm>
#include <deque>
#include <vector>

namespace prequal::pg {
namespace detail {

struct pool_waiter;

struct pool_state {
    pool_state(boost::asio::any_io_executor e, pool_options o)
        : ex(std::move(e)), options(std::move(o)), breaker(options.circuit) {}

    boost::asio::any_io_executor ex;
    pool_options options;
    std::vector<std::unique_ptr<connection>> idle;  // used LIFO: the warmest connection first
    std::deque<pool_waiter*> waiters;               // FIFO
    std::size_t open = 0;                           // idle + leased + connecting
    bool closed = false;
    circuit_breaker breaker;
    std::uint64_t connect_attempts = 0;

    void release(std::unique_ptr<connection> c);
    void free_slot();
    void record_failure();
    void close();
};

/// One acquire() waiting for a connection; release() hands it a connection or a slot and wakes it by
/// cancelling its timer (the timer expiring on its own means acquire_timeout).
struct pool_waiter {
    explicit pool_waiter(std::shared_ptr<pool_state> s) : state(std::move(s)), timer(state->ex) {}
    ~pool_waiter() {
        // Only when the waiting coroutine is destroyed before it used what it was handed (or before
        // being served at all): give the connection or slot back rather than leak it.
        auto& q = state->waiters;
        q.erase(std::remove(q.begin(), q.end(), this), q.end());
        if (conn) state->release(std::move(conn));
        if (slot) state->free_slot();
    }
    pool_waiter(const pool_waiter&) = delete;
    pool_waiter& operator=(const pool_waiter&) = delete;

    std::shared_ptr<pool_state> state;
    boost::asio::steady_timer timer;
    std::unique_ptr<connection> conn;  // handed over by release()
    bool slot = false;                 // a free slot handed over: connect anew
    bool closed = false;
};

void pool_state::release(std::unique_ptr<connection> c) {
    if (!c) return;
    // A connection left in a transaction would leak that transaction into the next user.
    if (closed || c->broken() || c->in_transaction()) {
        // A connection that broke while leased is as much evidence of an outage as a failed connect.
        if (!closed && c->broken()) record_failure();
        c.reset();
        free_slot();
        return;
    }
    breaker.record_healthy_use();
    if (!waiters.empty()) {
        pool_waiter* w = waiters.front();
        waiters.pop_front();
        w->conn = std::move(c);
        w->timer.cancel();
        return;
    }
    idle.push_back(std::move(c));
}

void pool_state::record_failure() {
    breaker.record_failure(std::chrono::steady_clock::now());
    // Idle connections predate the outage. After a silent network cut they may be half-open (the server
    // already dropped its side, or will reset it): check_alive() cannot tell, and each would fail its next
    // user after the circuit closes (and count again). Closing them now costs only reconnects later.
    if (breaker.state() == circuit_state::open && !idle.empty()) {
        open -= idle.size();
        idle.clear();
    }
}

void pool_state::free_slot() {
    if (!closed && !waiters.empty()) {
        pool_waiter* w = waiters.front();
        waiters.pop_front();
        w->slot = true;  // the slot stays counted in `open` and passes to the waiter
        w->timer.cancel();
        return;
    }
    --open;
}

void pool_state::close() {
    closed = true;
    open -= idle.size();
    idle.clear();
    for (pool_waiter* w : waiters) {
        w->closed = true;
        w->timer.cancel();
    }
    waiters.clear();
}

}  // namespace detail

namespace {

using detail::pool_state;

// Frees a reserved slot unless the connection made it into a lease (also on coroutine destruction).
struct slot_guard {
    std::shared_ptr<pool_state> state;
    bool armed = true;
    ~slot_guard() {
        if (armed) state->free_slot();
    }
};

// Reports a connection attempt's outcome to the breaker; an attempt abandoned midway (the coroutine
// destroyed) counts as a failure so a half-open probe can never stay in flight forever.
struct attempt_guard {
    std::shared_ptr<pool_state> state;
    bool resolved = false;
    ~attempt_guard() {
        if (!resolved && !state->closed) state->record_failure();
    }
};

[[noreturn]] void throw_circuit_open() {
    throw error(errc::circuit_open, "acquire: database unreachable, failing fast until the next probe");
}

// Connects within a slot already counted in state->open, if the circuit breaker allows an attempt.
boost::asio::awaitable<pooled_connection> connect_in_slot(std::shared_ptr<pool_state> state) {
    slot_guard guard{state};
    if (!state->breaker.allow_attempt(std::chrono::steady_clock::now())) throw_circuit_open();
    ++state->connect_attempts;
    attempt_guard attempt{state};
    auto c = co_await connection::connect(state->ex, state->options.conninfo, state->options.connect_timeout);
    attempt.resolved = true;
    state->breaker.record_success();
    if (state->closed) throw error(errc::pool_closed, "acquire");
    c->set_operation_timeout(state->options.operation_timeout);
    guard.armed = false;
    co_return pooled_connection(state, std::move(c));
}

}  // namespace

pooled_connection::pooled_connection(std::shared_ptr<detail::pool_state> owner, std::unique_ptr<connection> c)
    : owner_(std::move(owner)), conn_(std::move(c)) {}

pooled_connection::pooled_connection(pooled_connection&& other) noexcept = default;

pooled_connection& pooled_connection::operator=(pooled_connection&& other) noexcept {
    if (this != &other) {
        if (owner_) owner_->release(std::move(conn_));
        owner_ = std::move(other.owner_);
        conn_ = std::move(other.conn_);
    }
    return *this;
}

pooled_connection::~pooled_connection() {
    if (owner_) owner_->release(std::move(conn_));
}

pool::pool(boost::asio::any_io_executor ex, pool_options options)
    : options_(options), state_(std::make_shared<pool_state>(std::move(ex), std::move(options))) {}

pool::~pool() {
    state_->close();
    state_->breaker.set_listener({});  // it may capture things that die with the pool's owner
}

boost::asio::awaitable<pooled_connection> pool::acquire() {
    auto state = state_;
    if (state->closed) throw error(errc::pool_closed, "acquire");
    const auto deadline = std::chrono::steady_clock::now() + state->options.acquire_timeout;

    if (state->breaker.state() != circuit_state::closed) {
        // Idle connections predate the outage and are likely dead: only a fresh connect (the half-open
        // probe) may find out whether the server is back; everyone else fails fast.
        if (!state->breaker.probe_due(std::chrono::steady_clock::now())) throw_circuit_open();
        if (state->open >= state->options.size && !state->idle.empty()) {
            state->idle.pop_back();
            --state->open;
        }
        if (state->open >= state->options.size) throw_circuit_open();
        ++state->open;
        co_return co_await connect_in_slot(state);
    }

    if (!state->idle.empty()) {
        std::unique_ptr<connection> c = std::move(state->idle.back());
        state->idle.pop_back();
        if (c->check_alive()) co_return pooled_connection(state, std::move(c));
        // The server closed it while idle (restart, terminate): its slot goes to a new connection.
        c.reset();
        co_return co_await connect_in_slot(state);
    }
    if (state->open < state->options.size) {
        ++state->open;
        co_return co_await connect_in_slot(state);
    }

    detail::pool_waiter waiter(state);
    waiter.timer.expires_at(deadline);
    state->waiters.push_back(&waiter);
    co_await waiter.timer.async_wait(boost::asio::as_tuple(boost::asio::use_awaitable));
    // Check what was handed over first: the timer may have expired just as a connection came back.
    if (waiter.conn) co_return pooled_connection(state, std::move(waiter.conn));
    if (waiter.slot) {
        waiter.slot = false;  // connect_in_slot owns it from here
        co_return co_await connect_in_slot(state);
    }
    if (waiter.closed) throw error(errc::pool_closed, "acquire");
    throw error(errc::timeout, "acquire: no free connection within " +
                                   std::to_string(state->options.acquire_timeout.count()) + " ms");
}

boost::asio::awaitable<result> pool::execute(statement st, params args) {
    pooled_connection c = co_await acquire();
    co_return co_await c->execute(st, std::move(args));
}

void pool::close() { state_->close(); }

std::size_t pool::size() const { return state_->open; }

std::size_t pool::idle() const { return state_->idle.size(); }

circuit_state pool::circuit() const { return state_->breaker.state(); }

void pool::on_circuit_change(std::function<void(circuit_state)> l) {
    state_->breaker.set_listener(std::move(l));
}

std::uint64_t pool::connect_attempts() const { return state_->connect_attempts; }

}  // namespace prequal::pg
