// What the outbox needs to know about the aggregates behind its events, supplied by the module that owns
// them (the api module owns applications). The platform never names a business table: it composes these
// SQL fragments into its own statements and calls the gauge refresher.
#pragma once

#include <prequal/pg/pool.hpp>

#include <boost/asio/awaitable.hpp>

#include <functional>
#include <string>

namespace prequal::outbox {

struct aggregate_owner {
    /// A SELECT returning one text column `aggregate_key`: every unfinished aggregate (work still expected).
    /// Used once at start-up with a non-durable bus, to re-deliver what the dead process held in memory.
    std::string unfinished_keys;

    /// A boolean SQL expression, true while the aggregate whose key is the text expression `{key}` is
    /// unfinished. Must be an index probe (retention runs it per candidate row).
    std::string is_unfinished;

    /// A data-modifying statement returning one text column `aggregate_key`: at most $2 aggregates that are
    /// stuck — unfinished for longer than $1 ms, not re-driven within their own backoff (capped at $3 ms),
    /// and with no live unpublished event (`NOT outbox_has_unpublished(key)`) — locked FOR UPDATE SKIP LOCKED
    /// and marked as re-driven. It walks an index and stops after $2 rows.
    std::string stuck;

    /// Refreshes the owner's backlog gauges; the re-driver calls it at start and every backlog_interval.
    /// Must stay cheap whatever the backlog (a capped count, an index probe). May be empty.
    std::function<boost::asio::awaitable<void>(pg::pool&)> observe_backlog;
};

/// `text` with every `{key}` replaced by `key_expression`.
std::string with_key(std::string text, std::string_view key_expression);

}  // namespace prequal::outbox
