// The publisher's cost does not grow with the backlog (issue 9): behind 100,000 published events whose dead
// index entries nothing can clean up (an open snapshot holds back both VACUUM and index-entry killing, as a
// long transaction does in production) and 20,000 waiting ones, a claim-publish-mark cycle reads a bounded
// number of buffers. Counted with pg_stat_statements, not timed, so a loaded machine cannot make it flaky.
#include "support/pg_harness.hpp"
#include "support/run_coro.hpp"

#include <prequal/bus/memory_bus.hpp>
#include <prequal/core/logger.hpp>
#include <prequal/core/metrics.hpp>
#include <prequal/outbox/publisher.hpp>
#include <prequal/pg/connection.hpp>
#include <prequal/pg/migrations.hpp>
#include <prequal/pg/pool.hpp>

#include <boost/asio/this_coro.hpp>
#include <catch2/catch.hpp>

#include <chrono>
#include <cstdlib>
#include <filesystem>
#include <string>

namespace pg = prequal::pg;
using boost::asio::awaitable;
using prequal::test::run_coro;
using prequal::test::scratch_cluster;
using namespace std::chrono_literals;

namespace {

std::filesystem::path sql_dir() {
    const char* env =
        std::getenv("PREQUAL_SQL_DIR");  // NOLINT(concurrency-mt-unsafe): read before any thread
    return env != nullptr ? env : PREQUAL_TEST_SQL_DIR;
}

awaitable<std::unique_ptr<pg::connection>> connect(const std::string& conninfo) {
    co_return co_await pg::connection::connect(co_await boost::asio::this_coro::executor, conninfo, 30s);
}

// Shared buffers read (hit or not) by every statement since the last reset, the reset itself excluded.
awaitable<std::int64_t> blocks_read(pg::connection& c) {
    auto r = co_await c.execute({"",
                                 "SELECT coalesce(sum(shared_blks_hit + shared_blks_read), 0)::bigint "
                                 "FROM pg_stat_statements WHERE query NOT LIKE '%pg_stat_statements%'"});
    co_return r.get_int(0, 0);
}

}  // namespace

TEST_CASE(
    "outbox: a claim-publish-mark cycle reads a bounded number of buffers behind 100,000 dead and 20,000 "
    "waiting events",
    "[outbox][pg]") {
    scratch_cluster db{"shared_preload_libraries = 'pg_stat_statements'\npg_stat_statements.track = 'all'",
                       ""};
    run_coro([&]() -> awaitable<void> {
        auto admin = co_await connect(db.conninfo());
        co_await pg::migrate(*admin, sql_dir());
        co_await admin->execute_script("CREATE EXTENSION pg_stat_statements");
        // 120,000 events of distinct aggregates, one due every 100 ms over the last 3.5 hours (oldest first).
        co_await admin->execute_script(
            "INSERT INTO outbox_events (message_id, aggregate_key, topic, event_type, payload, "
            "next_attempt_at)"
            " SELECT gen_random_uuid(), 'key-' || i, 'backlog_test', 'tested', repeat('x', 300),"
            " now() - interval '4 hours' + i * interval '100 milliseconds' FROM generate_series(1, 120000) "
            "i");
        co_await admin->execute_script("VACUUM ANALYZE outbox_events");

        // An open snapshot from before the first 100,000 were published: their dead index entries stay.
        auto holder = co_await connect(db.conninfo());
        co_await holder->execute_script(
            "BEGIN ISOLATION LEVEL REPEATABLE READ; SELECT count(*) FROM outbox_events");
        co_await admin->execute_script(
            "UPDATE outbox_events SET published_at = now() WHERE id IN (SELECT id FROM outbox_events ORDER "
            "BY id"
            " LIMIT 100000)");

        auto ex = co_await boost::asio::this_coro::executor;
        prequal::core::metrics_registry metrics;
        prequal::core::logger log{"test", prequal::core::log_level::error};
        auto bus = prequal::bus::make_memory_bus(ex, {}, log, metrics);
        pg::pool_options po;
        po.conninfo = db.conninfo();
        po.size = 2;
        pg::pool pool{ex, po};
        prequal::outbox::publisher_options options;
        options.batch_size = 100;
        prequal::outbox::publisher publisher{ex, pool, *bus, options, log, metrics};

        // The first cycle may sweep from the head of the queue (a new publisher does); the next ones may not.
        const std::size_t first = co_await publisher.publish_batch();
        CHECK(first == 100);
        for (int cycle = 0; cycle < 3; ++cycle) {
            co_await admin->execute_script("SELECT pg_stat_statements_reset()");
            const std::size_t published = co_await publisher.publish_batch();
            const std::int64_t blocks = co_await blocks_read(*admin);
            INFO("cycle " << cycle << ": " << blocks << " buffers for " << published << " events");
            CHECK(published == 100);
            // ~25 buffers per event (index probes, heap, the update's index entries). Walking the 100,000
            // dead entries from the head of the queue, as the claim did before issue 9, adds ~5,600 (one heap
            // page per run of dead entries on it) and grows with them.
            CHECK(blocks < 4000);
        }
        co_await holder->execute_script("COMMIT");
        pool.close();
        bus->stop();
    });
}

// The ordering probe ("an earlier unpublished event of this aggregate?") must stay a probe of
// outbox_events_aggregate_key_idx. Its condition used to match outbox_events_due_idx's predicate, and with
// statistics taken while nothing was waiting (the usual state of a healthy outbox: ANALYZE sees almost no
// unpublished rows) the planner walked that whole index once per candidate: O(batch x backlog) buffers.
TEST_CASE("outbox: the claim's ordering probe stays a key lookup when statistics see an empty queue",
          "[outbox][pg]") {
    scratch_cluster db{
        "shared_preload_libraries = 'pg_stat_statements'\npg_stat_statements.track = 'all'\n"
        "autovacuum = off",
        ""};
    run_coro([&]() -> awaitable<void> {
        auto admin = co_await connect(db.conninfo());
        co_await pg::migrate(*admin, sql_dir());
        co_await admin->execute_script("CREATE EXTENSION pg_stat_statements");
        // 40,000 published events, analyzed: the statistics say nothing is waiting.
        co_await admin->execute_script(
            "INSERT INTO outbox_events (message_id, aggregate_key, topic, event_type, payload, published_at)"
            " SELECT gen_random_uuid(), 'old-' || i, 'backlog_test', 'tested', repeat('x', 300), now()"
            " FROM generate_series(1, 40000) i");
        co_await admin->execute_script("ANALYZE outbox_events");
        // Then a backlog: 6,000 events of 3,000 aggregates, the first 5,000 of them already published.
        co_await admin->execute_script(
            "INSERT INTO outbox_events (message_id, aggregate_key, topic, event_type, payload)"
            " SELECT gen_random_uuid(), 'new-' || (i / 2), 'backlog_test', 'tested', repeat('x', 300)"
            " FROM generate_series(1, 6000) i");
        co_await admin->execute_script(
            "UPDATE outbox_events SET published_at = now() WHERE id IN (SELECT id FROM outbox_events"
            " WHERE published_at IS NULL ORDER BY id LIMIT 5000)");

        auto ex = co_await boost::asio::this_coro::executor;
        prequal::core::metrics_registry metrics;
        prequal::core::logger log{"test", prequal::core::log_level::error};
        auto bus = prequal::bus::make_memory_bus(ex, {}, log, metrics);
        pg::pool_options po;
        po.conninfo = db.conninfo();
        po.size = 2;
        pg::pool pool{ex, po};
        prequal::outbox::publisher_options options;
        options.batch_size = 100;
        prequal::outbox::publisher publisher{ex, pool, *bus, options, log, metrics};
        for (int cycle = 0; cycle < 3; ++cycle) {
            co_await admin->execute_script("SELECT pg_stat_statements_reset()");
            const std::size_t published = co_await publisher.publish_batch();
            const std::int64_t blocks = co_await blocks_read(*admin);
            INFO("cycle " << cycle << ": " << blocks << " buffers for " << published << " events");
            CHECK(published == 100);
            // A sweep walks the ~6,000 entries from the head once (cycle 0); then ~25 buffers per event.
            // Walking the due index per candidate costs ~100 x 1,000 and more.
            CHECK(blocks < 12000);
        }
        pool.close();
        bus->stop();
    });
}
