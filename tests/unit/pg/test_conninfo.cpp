// with_tcp_liveness(): keepalive and tcp_user_timeout defaults merged into keyword strings and URIs, user
// values (in the string or the environment) winning, and the server-side settings reaching the backend.
#include "pg_test_util.hpp"
#include "support/run_coro.hpp"

#include <prequal/pg/conninfo.hpp>
#include <prequal/pg/error.hpp>

#include <catch2/catch.hpp>

#include <cstdlib>
#include <optional>

namespace pg = prequal::pg;
using boost::asio::awaitable;
using prequal::test::connect_to;
using prequal::test::pg_harness;
using prequal::test::run_coro;

namespace {

const std::string server_side_defaults =
    "-c tcp_keepalives_idle=5 -c tcp_keepalives_interval=2 -c tcp_keepalives_count=3 "
    "-c tcp_user_timeout=5000 -c client_connection_check_interval=1000";

// The value of `keyword` (nullopt when absent); REQUIREs that it occurs at most once.
std::optional<std::string> value_of(const pg::connection_parameters& p, const std::string& keyword) {
    std::optional<std::string> found;
    int occurrences = 0;
    for (const auto& [k, v] : p) {
        if (k == keyword) {
            found = v;
            ++occurrences;
        }
    }
    REQUIRE(occurrences <= 1);
    return found;
}

// Sets an environment variable for one scope (tests run sequentially in one process).
class scoped_env {
public:
    scoped_env(const char* name, const char* value) : name_(name) {
        if (const char* old = std::getenv(name)) old_ = old;
        setenv(name, value, 1);
    }
    ~scoped_env() {
        if (old_)
            setenv(name_, old_->c_str(), 1);
        else
            unsetenv(name_);
    }
    scoped_env(const scoped_env&) = delete;
    scoped_env& operator=(const scoped_env&) = delete;

private:
    const char* name_;
    std::optional<std::string> old_;
};

}  // namespace

TEST_CASE("unit: pg conninfo gets TCP keepalive defaults added to a keyword string", "[unit][pg][pure]") {
    const auto p = pg::with_tcp_liveness("host=198.18.0.1 port=5433 dbname=app user=svc");
    CHECK(value_of(p, "host") == "198.18.0.1");
    CHECK(value_of(p, "port") == "5433");
    CHECK(value_of(p, "dbname") == "app");
    CHECK(value_of(p, "user") == "svc");
    CHECK(value_of(p, "keepalives") == "1");
    CHECK(value_of(p, "keepalives_idle") == "5");
    CHECK(value_of(p, "keepalives_interval") == "2");
    CHECK(value_of(p, "keepalives_count") == "3");
    CHECK(value_of(p, "tcp_user_timeout") == "5000");
    CHECK(value_of(p, "options") == server_side_defaults);
}

TEST_CASE("unit: pg conninfo merge parses a URI and keeps the values it sets", "[unit][pg][pure]") {
    const auto p = pg::with_tcp_liveness(
        "postgresql://svc:s%40cret@198.18.0.1:5433/app"
        "?keepalives_idle=30&tcp_user_timeout=2500&sslmode=disable");
    CHECK(value_of(p, "host") == "198.18.0.1");
    CHECK(value_of(p, "port") == "5433");
    CHECK(value_of(p, "dbname") == "app");
    CHECK(value_of(p, "user") == "svc");
    CHECK(value_of(p, "password") == "s@cret");
    CHECK(value_of(p, "sslmode") == "disable");
    CHECK(value_of(p, "keepalives_idle") == "30");     // the user's
    CHECK(value_of(p, "tcp_user_timeout") == "2500");  // the user's
    CHECK(value_of(p, "keepalives") == "1");
    CHECK(value_of(p, "keepalives_interval") == "2");
    CHECK(value_of(p, "keepalives_count") == "3");
    CHECK(value_of(p, "options") == server_side_defaults);
}

TEST_CASE("unit: pg conninfo merge leaves settings the user made alone, also through the environment",
          "[unit][pg][pure]") {
    SECTION("in the string, even an empty options") {
        const auto p = pg::with_tcp_liveness("host=/run/pg keepalives=0 keepalives_count=9 options=''");
        CHECK(value_of(p, "keepalives") == "0");
        CHECK(value_of(p, "keepalives_count") == "9");
        CHECK(value_of(p, "options") == "");
        CHECK(value_of(p, "keepalives_idle") == "5");
    }
    SECTION("PGOPTIONS in the environment") {
        scoped_env env("PGOPTIONS", "-c work_mem=64MB");
        const auto p = pg::with_tcp_liveness("host=/run/pg");
        CHECK_FALSE(value_of(p, "options"));  // libpq takes PGOPTIONS itself
        CHECK(value_of(p, "tcp_user_timeout") == "5000");
    }
    SECTION("a service file decides everything") {
        const auto p = pg::with_tcp_liveness("service=billing dbname=app");
        CHECK(value_of(p, "service") == "billing");
        CHECK(value_of(p, "dbname") == "app");
        CHECK(p.size() == 2);
    }
    SECTION("other settings can be tuned") {
        pg::tcp_liveness t;
        t.keepalives_idle = std::chrono::seconds{1};
        t.user_timeout = std::chrono::milliseconds{4000};
        const auto p = pg::with_tcp_liveness("", t);
        CHECK(value_of(p, "keepalives_idle") == "1");
        CHECK(value_of(p, "tcp_user_timeout") == "4000");
        CHECK(value_of(p, "options") ==
              "-c tcp_keepalives_idle=1 -c tcp_keepalives_interval=2 -c tcp_keepalives_count=3 "
              "-c tcp_user_timeout=4000 -c client_connection_check_interval=1000");
    }
}

TEST_CASE("unit: pg conninfo that libpq cannot parse fails with connect_failed", "[unit][pg][pure]") {
    for (const char* bad :
         {"host=/run/pg no_such_keyword=1", "host=/run/pg dbname", "postgresql://h/db?x=%zz"}) {
        INFO(bad);
        try {
            pg::with_tcp_liveness(bad);
            FAIL("expected pg::error");
        } catch (const pg::error& e) {
            CHECK(e.code() == pg::errc::connect_failed);
            CHECK(e.is_unavailable());
        }
    }
}

TEST_CASE("unit: pg connection sends the server-side keepalive settings to the backend", "[unit][pg]") {
    const std::string db = pg_harness::instance().empty_database();
    run_coro([&]() -> awaitable<void> {
        auto conn = co_await connect_to(db);
        auto r = co_await conn->execute(
            {"",
             "SELECT count(*) FROM pg_settings WHERE source = 'client' AND name IN "
             "('tcp_keepalives_idle', 'tcp_keepalives_interval', 'tcp_keepalives_count', "
             "'tcp_user_timeout')"});
        CHECK(r.get_int(0, 0) == 4);
    });
}
