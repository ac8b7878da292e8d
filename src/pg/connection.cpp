// pg::connection: connecting with PQconnectPoll, single statements, scripts and LISTEN/NOTIFY.
#include "connection_impl.hpp"

#include <prequal/pg/connection.hpp>
#include <prequal/pg/conninfo.hpp>

#include <vector>

namespace prequal::pg {
namespace {

// Server notices (e.g. "relation already exists, skipping") would otherwise go to stderr unstructured.
void ignore_notice(void*, const PGresult*) {}

std::string context_of(const statement& st) {
    return st.name.empty() ? "unnamed statement" : std::string(st.name);
}

}  // namespace

connection::connection(std::unique_ptr<impl> p) : impl_(std::move(p)) {}

connection::~connection() = default;

boost::asio::awaitable<std::unique_ptr<connection>> connection::connect(boost::asio::any_io_executor ex,
                                                                        std::string conninfo,
                                                                        std::chrono::milliseconds timeout) {
    // Parsed here (keyword string or URI) so TCP liveness defaults can be added as separate keywords.
    const connection_parameters parameters = with_tcp_liveness(conninfo);
    const keyword_arrays arrays{parameters};
    // expand_dbname = 0: the string was expanded once already; a dbname is only a database name now.
    PGconn* raw = PQconnectStartParams(arrays.keywords.data(), arrays.values.data(), 0);
    if (raw == nullptr) throw error(errc::connect_failed, "connect: out of memory");
    std::unique_ptr<connection> self(new connection(std::make_unique<impl>(ex, raw)));
    impl& im = *self->impl_;
    if (PQstatus(raw) == CONNECTION_BAD) im.fail(*self, errc::connect_failed, "connect");
    PQsetNoticeReceiver(raw, ignore_notice, nullptr);

    const auto deadline = clock_type::now() + timeout;
    // PQconnectStart behaves as if PQconnectPoll had just asked to wait for writability.
    PostgresPollingStatusType status = PGRES_POLLING_WRITING;
    while (status != PGRES_POLLING_OK) {
        if (status == PGRES_POLLING_FAILED) im.fail(*self, errc::connect_failed, "connect");
        if (status == PGRES_POLLING_READING || status == PGRES_POLLING_WRITING) {
            // The socket can change between polls (libpq tries the next host or address).
            const int fd = PQsocket(raw);
            if (fd < 0) im.fail(*self, errc::connect_failed, "connect");
            const auto what =
                status == PGRES_POLLING_READING ? detail::wait_for::read : detail::wait_for::write;
            if (!co_await detail::wait_socket(im.timer, fd, what, deadline)) {
                throw error(errc::timeout,
                            "connect: no connection within " + std::to_string(timeout.count()) + " ms");
            }
        }
        status = PQconnectPoll(raw);
    }
    if (PQsetnonblocking(raw, 1) != 0) im.fail(*self, errc::connect_failed, "connect: set non-blocking");
    co_return self;
}

boost::asio::awaitable<result> connection::execute(statement st, params args) {
    const std::string context = context_of(st);
    impl_->ensure_usable(*this, context);
    const auto deadline = clock_type::now() + op_timeout_;
    if (!st.name.empty() && !impl_->prepared.contains(st.name)) {
        // First use on this connection: Parse goes out in the same round trip as Bind/Execute.
        std::vector<std::pair<statement, params>> steps;
        steps.emplace_back(st, std::move(args));
        auto results = co_await impl_->run_pipeline(*this, steps, deadline);
        co_return std::move(results.front());
    }
    const param_buffer values(args);
    const int sent = st.name.empty()
                         ? PQsendQueryParams(impl_->conn, std::string(st.sql).c_str(), values.size(), nullptr,
                                             values.values(), nullptr, nullptr, 0)
                         : PQsendQueryPrepared(impl_->conn, std::string(st.name).c_str(), values.size(),
                                               values.values(), nullptr, nullptr, 0);
    if (sent == 0) impl_->fail(*this, errc::connection_lost, context);
    try {
        co_return co_await impl_->finish_command(*this, context, deadline);
    } catch (const error& e) {
        // The server forgot the statement (DISCARD ALL, DEALLOCATE): prepare it again on next use.
        if (e.sqlstate() == "26000" && !st.name.empty()) impl_->prepared.erase(std::string(st.name));
        throw;
    }
}

boost::asio::awaitable<void> connection::execute_script(std::string_view sql) {
    constexpr std::string_view context = "script";
    impl_->ensure_usable(*this, context);
    const auto deadline = clock_type::now() + op_timeout_;
    if (PQsendQuery(impl_->conn, std::string(sql).c_str()) == 0)
        impl_->fail(*this, errc::connection_lost, context);
    co_await impl_->finish_command(*this, context, deadline);
}

boost::asio::awaitable<std::vector<result>> connection::pipeline(
    std::vector<std::pair<statement, params>> steps) {
    impl_->ensure_usable(*this, "pipeline");
    if (steps.empty()) co_return std::vector<result>{};
    const bool started_idle = PQtransactionStatus(impl_->conn) == PQTRANS_IDLE;
    std::exception_ptr failure;
    try {
        co_return co_await impl_->run_pipeline(*this, steps, clock_type::now() + op_timeout_);
    } catch (const error&) {
        failure = std::current_exception();
    }
    // A BEGIN…COMMIT batch that failed half-way leaves its own transaction aborted (the server skipped
    // the COMMIT); roll it back so the connection is reusable. A transaction the caller opened before
    // is the caller's to end (it may hold savepoints).
    if (started_idle && !broken_ && PQtransactionStatus(impl_->conn) == PQTRANS_INERROR) {
        co_await execute_script("ROLLBACK");
    }
    std::rethrow_exception(failure);
}

boost::asio::awaitable<std::optional<notification>> connection::wait_notification(
    std::chrono::milliseconds timeout) {
    constexpr std::string_view context = "wait_notification";
    impl_->ensure_usable(*this, context);
    const auto deadline = clock_type::now() + timeout;
    for (;;) {
        // Notifications that arrived during earlier queries are already queued inside libpq.
        if (PQconsumeInput(impl_->conn) == 0) impl_->fail(*this, errc::connection_lost, context);
        if (PGnotify* n = PQnotifies(impl_->conn)) {
            notification out{n->relname, n->extra != nullptr ? n->extra : ""};
            PQfreemem(n);
            co_return out;
        }
        const int fd = PQsocket(impl_->conn);
        if (fd < 0) impl_->fail(*this, errc::connection_lost, context);
        // Running out of time here is an answer ("nothing came"), not a broken connection.
        if (!co_await detail::wait_socket(impl_->timer, fd, detail::wait_for::read, deadline)) {
            co_return std::nullopt;
        }
    }
}

bool connection::check_alive() {
    if (broken_) return false;
    // A server that goes away first sends its reason (e.g. FATAL 57P01) and then closes; libpq stops
    // reading once it has data, so the EOF is only seen by a second read.
    for (int i = 0; i < 2 && !broken_; ++i) {
        if (PQconsumeInput(impl_->conn) == 0 || PQstatus(impl_->conn) == CONNECTION_BAD) broken_ = true;
    }
    return !broken_;
}

bool connection::in_transaction() const { return PQtransactionStatus(impl_->conn) != PQTRANS_IDLE; }

int connection::backend_pid() const { return PQbackendPID(impl_->conn); }

}  // namespace prequal::pg
