// Retention against a real PostgreSQL and a test-owned aggregate (orders_owner.hpp): processed messages and
// published events older than their windows go (events to the archive), an unfinished aggregate's history and
// anything younger or unpublished stays, the owner's own jobs run in batches, and a job another replica holds
// is skipped.
#include "orders_owner.hpp"
#include "support/pg_harness.hpp"
#include "support/run_coro.hpp"

#include <prequal/core/logger.hpp>
#include <prequal/core/metrics.hpp>
#include <prequal/outbox/retention.hpp>
#include <prequal/pg/pool.hpp>

#include <boost/asio/this_coro.hpp>
#include <catch2/catch.hpp>

#include <chrono>
#include <string>
#include <vector>

namespace outbox = prequal::outbox;
namespace pg = prequal::pg;
using boost::asio::awaitable;
using prequal::test::connect_to;
using prequal::test::count_of;
using prequal::test::orders_owner;
using prequal::test::run_coro;
using namespace std::chrono_literals;

namespace {

// An event of `key`, published `published_ago` ago ("" → unpublished).
std::string event_sql(const std::string& key, const std::string& published_ago) {
    return "INSERT INTO outbox_events (message_id, aggregate_key, topic, event_type, payload, published_at) "
           "VALUES (gen_random_uuid(), '" +
           key + "', 'orders', 'order_event', '{}', " +
           (published_ago.empty() ? std::string{"NULL"} : "now() - interval '" + published_ago + "'") + ");";
}

// The owner's job: deletes test_order_notes older than $1 ms, at most $2 per batch.
outbox::retention_job notes_job() {
    return {"test_order_notes", "8102650217567972399",
            "DELETE FROM test_order_notes WHERE ctid IN (SELECT ctid FROM test_order_notes"
            " WHERE written_at < now() - $1::bigint * interval '1 millisecond' LIMIT $2::int)",
            std::chrono::hours{1}};
}

const outbox::retention_result* find(const std::vector<outbox::retention_result>& results,
                                     const std::string& job) {
    for (const auto& r : results)
        if (r.job == job) return &r;
    return nullptr;
}

struct retention_env {
    std::string conninfo = prequal::test::pg_harness::instance().fresh_database();
    prequal::core::metrics_registry metrics;
    prequal::core::logger log{"test", prequal::core::log_level::error};
};

constexpr std::string_view notes_schema =
    "CREATE TABLE test_order_notes (id serial PRIMARY KEY, written_at timestamptz NOT NULL)";

}  // namespace

TEST_CASE(
    "outbox retention: deletes old processed messages and archives old published events, keeping an "
    "unfinished aggregate's, unpublished and recent ones",
    "[outbox][pg]") {
    retention_env env;
    run_coro([&]() -> awaitable<void> {
        auto ex = co_await boost::asio::this_coro::executor;
        auto db = co_await connect_to(env.conninfo);
        co_await db->execute_script(prequal::test::orders_schema);
        co_await db->execute_script(
            "INSERT INTO test_orders (id, done) VALUES ('finished', true), ('open', false);" +
            event_sql("finished", "3 days") + event_sql("finished", "2 days") +
            event_sql("finished", "1 hour") + event_sql("open", "3 days") + event_sql("open", "") +
            "INSERT INTO processed_messages (consumer_group, message_id, processed_at) VALUES"
            " ('g', gen_random_uuid(), now() - interval '8 days'), ('g', gen_random_uuid(), now() - interval "
            "'8 days'), ('g', gen_random_uuid(), now() - interval '6 days');");

        pg::pool_options po;
        po.conninfo = env.conninfo;
        po.size = 2;
        pg::pool pool{ex, po};
        outbox::retention_options options;  // 7 days of processed messages, events archived after 24 h
        options.batch_size = 1;             // every job needs several batches
        const auto owner = orders_owner();
        outbox::retention retention{ex, pool, owner, {}, options, env.log, env.metrics};
        const auto results = co_await retention.run_once();

        const auto* processed = find(results, "processed_messages");
        REQUIRE(processed != nullptr);
        CHECK(processed->rows == 2);
        CHECK_FALSE(processed->skipped);
        const std::int64_t processed_left = co_await count_of(*db, "SELECT count(*) FROM processed_messages");
        CHECK(processed_left == 1);

        const auto* archive = find(results, "outbox_archive");
        REQUIRE(archive != nullptr);
        CHECK(archive->rows == 2);
        // The finished order's two old events moved, ids and all; its recent one and both of the open order's
        // stayed (the re-driver may still need that history).
        const std::int64_t archived =
            co_await count_of(*db,
                              "SELECT count(*) FROM outbox_events_archive WHERE aggregate_key = 'finished'"
                              " AND published_at < now() - interval '1 day'");
        CHECK(archived == 2);
        const std::int64_t in_both = co_await count_of(
            *db, "SELECT count(*) FROM outbox_events_archive JOIN outbox_events USING (id)");
        CHECK(in_both == 0);
        const std::int64_t finished_left =
            co_await count_of(*db, "SELECT count(*) FROM outbox_events WHERE aggregate_key = 'finished'");
        CHECK(finished_left == 1);
        const std::int64_t open_left =
            co_await count_of(*db, "SELECT count(*) FROM outbox_events WHERE aggregate_key = 'open'");
        CHECK(open_left == 2);
        CHECK(env.metrics.get_counter("retention_rows_total", "", {{"job", "outbox_archive"}}).value() == 2);
        CHECK(env.metrics.get_counter("retention_rows_total", "", {{"job", "processed_messages"}}).value() ==
              2);

        // Once the open order is finished, its old event goes too; running again changes nothing else.
        co_await db->execute_script("UPDATE test_orders SET done = true WHERE id = 'open'");
        const auto again = co_await retention.run_once();
        CHECK(find(again, "outbox_archive")->rows == 1);
        CHECK(find(again, "processed_messages")->rows == 0);
        const std::int64_t open_after =
            co_await count_of(*db, "SELECT count(*) FROM outbox_events WHERE aggregate_key = 'open'");
        CHECK(open_after == 1);
        pool.close();
    });
}

TEST_CASE(
    "outbox retention: runs the owner's job in batches after the platform's, and skips a job another "
    "replica holds",
    "[outbox][pg]") {
    retention_env env;
    run_coro([&]() -> awaitable<void> {
        auto ex = co_await boost::asio::this_coro::executor;
        auto db = co_await connect_to(env.conninfo);
        co_await db->execute_script(prequal::test::orders_schema);
        co_await db->execute_script(notes_schema);
        co_await db->execute_script(
            "INSERT INTO test_order_notes (written_at) SELECT now() - interval '2 hours' FROM "
            "generate_series(1, 5);"
            "INSERT INTO test_order_notes (written_at) SELECT now() - interval '10 minutes' FROM "
            "generate_series(1, 3)");

        pg::pool_options po;
        po.conninfo = env.conninfo;
        po.size = 2;
        pg::pool pool{ex, po};
        outbox::retention_options options;
        options.batch_size = 2;
        const auto owner = orders_owner();
        std::vector<outbox::retention_job> jobs{notes_job()};
        outbox::retention retention{ex, pool, owner, std::move(jobs), options, env.log, env.metrics};

        // Another replica runs the job: it holds the job's advisory lock.
        auto other = co_await connect_to(env.conninfo);
        co_await other->execute_script("SELECT pg_advisory_lock(8102650217567972399)");
        const auto held = co_await retention.run_once();
        REQUIRE(held.size() == 3);
        CHECK(held[2].job == "test_order_notes");
        CHECK(held[2].skipped);
        CHECK(held[2].rows == 0);
        const std::int64_t untouched = co_await count_of(*db, "SELECT count(*) FROM test_order_notes");
        CHECK(untouched == 8);
        co_await other->execute_script("SELECT pg_advisory_unlock(8102650217567972399)");

        const auto results = co_await retention.run_once();
        REQUIRE(results.size() == 3);
        CHECK(results[0].job == "processed_messages");
        CHECK(results[1].job == "outbox_archive");
        CHECK(results[2].job == "test_order_notes");
        CHECK_FALSE(results[2].skipped);
        CHECK(results[2].rows == 5);  // three batches of at most 2
        const std::int64_t recent_left = co_await count_of(*db, "SELECT count(*) FROM test_order_notes");
        CHECK(recent_left == 3);
        CHECK(env.metrics.get_counter("retention_rows_total", "", {{"job", "test_order_notes"}}).value() ==
              5);
        pool.close();
    });
}
