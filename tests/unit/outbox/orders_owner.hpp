// A tiny aggregate owned by the tests, not by any module: `test_orders` rows keyed by text, unfinished until
// `done`. The re-driver and retention tests run the platform against it, which also shows the platform needs
// nothing of applications. Its statements follow aggregate_owner's rules like the api module's do.
#pragma once

#include "support/pg_harness.hpp"

#include <prequal/outbox/aggregate_owner.hpp>
#include <prequal/pg/connection.hpp>

#include <boost/asio/awaitable.hpp>
#include <boost/asio/this_coro.hpp>

#include <chrono>
#include <memory>
#include <string>

namespace prequal::test {

inline constexpr std::string_view orders_schema =
    "CREATE TABLE test_orders (id text PRIMARY KEY, done boolean NOT NULL DEFAULT false,"
    " created_at timestamptz NOT NULL DEFAULT now(), last_redriven_at timestamptz,"
    " redrive_count integer NOT NULL DEFAULT 0);"
    "CREATE INDEX test_orders_unfinished_idx ON test_orders (created_at) WHERE NOT done";

/// The owner of test_orders. `observed` counts the calls of observe_backlog.
inline outbox::aggregate_owner orders_owner(std::shared_ptr<int> observed = std::make_shared<int>(0)) {
    outbox::aggregate_owner owner;
    owner.unfinished_keys = "SELECT id AS aggregate_key FROM test_orders WHERE NOT done";
    owner.is_unfinished = "EXISTS (SELECT 1 FROM test_orders o WHERE o.id = {key} AND NOT o.done)";
    owner.stuck =
        "UPDATE test_orders o SET last_redriven_at = now(), redrive_count = o.redrive_count + 1"
        " FROM (SELECT id FROM test_orders"
        "  WHERE NOT done AND created_at < now() - $1::bigint * interval '1 millisecond'"
        "  AND (last_redriven_at IS NULL OR last_redriven_at < now() - "
        "   least($1::bigint * power(2, least(redrive_count, 30)), $3::bigint) * interval '1 millisecond')"
        "  AND NOT outbox_has_unpublished(id)"
        "  ORDER BY created_at LIMIT $2::int FOR UPDATE SKIP LOCKED) s"
        " WHERE o.id = s.id RETURNING o.id AS aggregate_key";
    owner.observe_backlog = [observed](pg::pool&) -> boost::asio::awaitable<void> {
        ++*observed;
        co_return;
    };
    return owner;
}

/// A connection to `conninfo` for the test's own SQL.
inline boost::asio::awaitable<std::unique_ptr<pg::connection>> connect_to(const std::string& conninfo) {
    co_return co_await pg::connection::connect(co_await boost::asio::this_coro::executor, conninfo,
                                               std::chrono::seconds{30});
}

/// The first column of the first row of `sql`, as an integer.
inline boost::asio::awaitable<std::int64_t> count_of(pg::connection& c, const std::string& sql) {
    const pg::statement st{"", sql};
    auto r = co_await c.execute(st);
    co_return r.get_int(0, 0);
}

}  // namespace prequal::test
