// The pg error category and pg::error: what() carries our context, server text is kept apart.
#include <prequal/pg/error.hpp>

namespace prequal::pg {
namespace {

class category_impl final : public boost::system::error_category {
public:
    const char* name() const noexcept override { return "prequal.pg"; }
    std::string message(int ev) const override {
        switch (static_cast<errc>(ev)) {
            case errc::connect_failed:
                return "could not connect to PostgreSQL";
            case errc::connection_lost:
                return "connection to PostgreSQL lost";
            case errc::timeout:
                return "PostgreSQL operation timed out";
            case errc::query_failed:
                return "query failed";
            case errc::pool_closed:
                return "connection pool is closed";
            case errc::protocol:
                return "unexpected libpq state";
            case errc::circuit_open:
                return "database circuit breaker open";
            case errc::bad_row:
                return "result does not match its row type";
        }
        return "unknown pg error";
    }
};

}  // namespace

const boost::system::error_category& category() {
    static const category_impl instance;
    return instance;
}

error::error(errc code, const std::string& context, std::string sqlstate, std::string server_message)
    : boost::system::system_error(make_error_code(code), context),
      sqlstate_(std::move(sqlstate)),
      server_message_(std::move(server_message)) {}

bool error::is_unavailable() const {
    const auto c = static_cast<errc>(code().value());
    return is_connection_error() || c == errc::pool_closed || c == errc::circuit_open;
}

bool error::is_connection_error() const {
    switch (static_cast<errc>(code().value())) {
        case errc::connect_failed:
        case errc::connection_lost:
        case errc::timeout:
            return true;
        default:
            break;
    }
    // Class 08 is "connection exception"; 57P01-57P03 are the server shutting down or restarting.
    return sqlstate_.starts_with("08") || sqlstate_ == "57P01" || sqlstate_ == "57P02" ||
           sqlstate_ == "57P03";
}

}  // namespace prequal::pg
