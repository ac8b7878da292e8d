// The non-blocking libpq loop: flush, wait for the socket, consume input, collect results.
#include "connection_impl.hpp"

namespace prequal::pg {
namespace {

std::string trimmed(const char* message) {
    std::string text = message != nullptr ? message : "";
    while (!text.empty() && (text.back() == '\n' || text.back() == ' ')) text.pop_back();
    return text;
}

std::string with_sqlstate(std::string_view context, std::string_view sqlstate) {
    std::string text(context);
    if (!sqlstate.empty()) {
        text += " (SQLSTATE ";
        text += sqlstate;
        text += ')';
    }
    return text;
}

}  // namespace

param_buffer::param_buffer(const params& args) {
    values_.reserve(args.size());
    for (const auto& a : args) values_.push_back(a.c_str());
}

error query_error(const PGresult* r, std::string_view context) {
    const char* state = PQresultErrorField(r, PG_DIAG_SQLSTATE);
    std::string sqlstate = state != nullptr ? state : "";
    return error(errc::query_failed, with_sqlstate(context, sqlstate), sqlstate,
                 trimmed(PQresultErrorMessage(r)));
}

void connection::impl::ensure_usable(connection& self, std::string_view context) {
    if (self.broken_) throw error(errc::connection_lost, std::string(context) + ": connection is broken");
    // An operation abandoned half-way (its coroutine was cancelled) leaves results we cannot pair.
    if (PQtransactionStatus(conn) == PQTRANS_ACTIVE || PQpipelineStatus(conn) != PQ_PIPELINE_OFF) {
        self.broken_ = true;
        throw error(errc::protocol, std::string(context) + ": a previous operation is still in flight");
    }
}

void connection::impl::fail(connection& self, errc code, std::string_view context) {
    self.broken_ = true;
    const std::string message = trimmed(PQerrorMessage(conn));
    std::string what(context);
    if (!message.empty()) what += ": " + message;
    throw error(code, what, {}, message);
}

void connection::impl::check_connection(connection& self, std::string_view context,
                                        const std::optional<error>& server_error) {
    if (PQstatus(conn) != CONNECTION_BAD) return;
    self.broken_ = true;
    // Keep the server's reason (e.g. 57P01 after pg_terminate_backend) when it sent one before closing.
    if (server_error) {
        throw error(errc::connection_lost, with_sqlstate(context, server_error->sqlstate()),
                    server_error->sqlstate(), server_error->server_message());
    }
    fail(self, errc::connection_lost, context);
}

boost::asio::awaitable<void> connection::impl::wait(connection& self, detail::wait_for what,
                                                    clock_type::time_point deadline,
                                                    std::string_view context) {
    const int fd = PQsocket(conn);
    if (fd < 0) fail(self, errc::connection_lost, context);
    if (!co_await detail::wait_socket(timer, fd, what, deadline)) {
        self.broken_ = true;
        throw error(errc::timeout, std::string(context) + ": no answer within " +
                                       std::to_string(self.op_timeout_.count()) + " ms");
    }
}

boost::asio::awaitable<void> connection::impl::flush(connection& self, clock_type::time_point deadline,
                                                     std::string_view context) {
    for (;;) {
        const int r = PQflush(conn);
        if (r == 0) co_return;
        if (r < 0) fail(self, errc::connection_lost, context);
        co_await wait(self, detail::wait_for::read_or_write, deadline, context);
        if (PQconsumeInput(conn) == 0) fail(self, errc::connection_lost, context);
    }
}

boost::asio::awaitable<pgresult_ptr> connection::impl::next_result(connection& self,
                                                                   clock_type::time_point deadline,
                                                                   std::string_view context) {
    for (;;) {
        // PQisBusy turns false once libpq has seen EOF, so a lost connection surfaces as an error result.
        if (PQisBusy(conn) == 0) co_return pgresult_ptr(PQgetResult(conn));
        co_await wait(self, detail::wait_for::read, deadline, context);
        if (PQconsumeInput(conn) == 0 && PQisBusy(conn) != 0) fail(self, errc::connection_lost, context);
    }
}

boost::asio::awaitable<result> connection::impl::finish_command(connection& self, std::string_view context,
                                                                clock_type::time_point deadline) {
    co_await flush(self, deadline, context);
    result last;
    std::optional<error> failure;
    for (;;) {
        pgresult_ptr r = co_await next_result(self, deadline, context);
        if (!r) break;
        switch (PQresultStatus(r.get())) {
            case PGRES_COMMAND_OK:
            case PGRES_TUPLES_OK:
            case PGRES_EMPTY_QUERY:
                if (!failure) last = result(r.release());
                break;
            case PGRES_FATAL_ERROR:
                if (!failure) failure = query_error(r.get(), context);
                break;
            case PGRES_COPY_IN:
            case PGRES_COPY_OUT:
            case PGRES_COPY_BOTH:
                // COPY would need its own data loop; the connection cannot be resynchronized cheaply.
                self.broken_ = true;
                throw error(errc::protocol, std::string(context) + ": COPY is not supported");
            default:
                if (!failure)
                    failure = error(errc::protocol, std::string(context) + ": unexpected result status");
                break;
        }
        if (PQstatus(conn) == CONNECTION_BAD) break;
    }
    check_connection(self, context, failure);
    if (failure) throw *failure;
    co_return last;
}

}  // namespace prequal::pg
