// Reads write nothing (contract section 8), against a real PostgreSQL over real sockets: 1,000 status reads
// move no table's insert counter except the access trail's, which gets one row per read from a handful of
// multi-row INSERTs; a long poll that reads twice is one trail entry and no audit row; the history and the
// event feed are trailed too; and a trail that cannot be written does not slow or fail reads.
#include "service_fixture.hpp"
#include "support/pg_harness.hpp"

#include <boost/json/parse.hpp>
#include <catch2/catch.hpp>
#include <libpq-fe.h>

#include <chrono>
#include <cmath>
#include <string>
#include <thread>

using namespace prequal::test;
using namespace std::chrono_literals;
using steady = std::chrono::steady_clock;

namespace {

// A metric's value on /metrics (0 when absent).
std::int64_t metric(std::uint16_t port, const std::string& name) {
    const auto body = http_request(port, "GET", "/metrics").body;
    const auto at = body.find("\n" + name + " ");
    if (at == std::string::npos) return 0;
    return std::stoll(body.substr(at + name.size() + 2));
}

// Rows inserted into every table of the database but the access trail, as the statistics say. Called only
// when no other session is connected: a backend reports its counts at the latest when it exits.
std::int64_t inserts_elsewhere(const std::string& db) {
    return sql_count(db,
                     "SELECT coalesce(sum(n_tup_ins), 0) FROM pg_stat_user_tables WHERE relname <> "
                     "'access_trail'");
}
std::int64_t trail_inserts(const std::string& db) {
    return sql_count(db,
                     "SELECT coalesce(sum(n_tup_ins), 0) FROM pg_stat_user_tables WHERE relname = "
                     "'access_trail'");
}

// Waits until the service's connections to `db` are gone (so their statistics are reported).
void wait_for_sessions_to_end(const std::string& db) {
    for (int i = 0; i < 200; ++i) {
        if (sql_count(db,
                      "SELECT count(*) FROM pg_stat_activity WHERE datname = current_database() AND "
                      "pid <> pg_backend_pid()") == 0)
            return;
        std::this_thread::sleep_for(50ms);
    }
    FAIL("the service's database sessions did not end");
}

}  // namespace

TEST_CASE("integration: 1000 status reads insert nothing but the access trail in a handful of INSERTs",
          "[integration][pg]") {
    const std::string db = pg_harness::instance().fresh_database();
    const auto keys = make_test_keys();
    auto same_database = [&](prequal::app::service_config& c) {
        c.database_url = db;
        c.encryption_keys = keys.encryption_keys;
        c.pan_index_key = keys.pan_index_key;
    };
    std::string id;
    {
        service_fixture f{same_database};
        id = f.submit_ok(unique_pan(), "120000", "500000");
        f.wait_final(id);
    }
    // The submission's and the decision's rows are counted before the reads start.
    wait_for_sessions_to_end(db);
    const std::int64_t elsewhere_before = inserts_elsewhere(db);
    const std::int64_t trail_before = trail_inserts(db);
    const std::int64_t rows_before = sql_count(db, "SELECT count(*) FROM access_trail");
    const std::int64_t audit_before = sql_count(db, "SELECT count(*) FROM audit_log");

    constexpr int reads = 1000;
    std::int64_t flushes = 0;
    double seconds = 0;
    {
        service_fixture f{same_database};
        const auto began = steady::now();
        for (int i = 0; i < reads; ++i) {
            const auto r = http_request(f.port(), "GET", "/applications/" + id + "/status", {},
                                        {{"X-Request-Id", "read-" + std::to_string(i)}});
            REQUIRE(r.status == 200);
        }
        seconds = std::chrono::duration<double>(steady::now() - began).count();
        // Every read written before the service stops (so the flushes counted are the service's own).
        for (int i = 0; i < 100 && metric(f.port(), "access_trail_entries_written_total") < reads; ++i)
            std::this_thread::sleep_for(50ms);
        CHECK(metric(f.port(), "access_trail_entries_written_total") == reads);
        CHECK(metric(f.port(), "access_trail_dropped_total") == 0);
        flushes = metric(f.port(), "access_trail_flushes_total");
    }
    wait_for_sessions_to_end(db);

    INFO(reads << " reads in " << seconds << " s, " << flushes << " access-trail flushes");
    CHECK(inserts_elsewhere(db) == elsewhere_before);  // no audit row, nothing else: reads write nothing
    CHECK(sql_count(db, "SELECT count(*) FROM audit_log") == audit_before);
    CHECK(trail_inserts(db) - trail_before == reads);
    CHECK(sql_count(db, "SELECT count(*) FROM access_trail") - rows_before == reads);
    // Each read once, with who read what and which request it was.
    CHECK(sql_count(db,
                    "SELECT count(DISTINCT request_id) FROM access_trail WHERE client = 'anonymous' AND "
                    "kind = 'status' AND request_id LIKE 'read-%' AND application_id = '" +
                        id + "'") == reads);
    // One INSERT per flush: one per second of reading (the interval) plus one per 500 reads (the threshold)
    // at most, and a handful in any case.
    CHECK(flushes >= 1);
    CHECK(flushes <= static_cast<std::int64_t>(std::ceil(seconds)) + reads / 500 + 1);
    CHECK(flushes <= 15);
}

TEST_CASE("integration: a long poll that reads twice is one access-trail entry and no audit row",
          "[integration][pg]") {
    service_fixture f{[](prequal::app::service_config& c) { c.run_credit = false; }};  // nothing decides
    const auto id = f.submit_ok(unique_pan(), "120000", "500000");
    const std::int64_t audit_before = sql_count(f.conninfo(), "SELECT count(*) FROM audit_log");
    const auto r = http_request(f.port(), "GET", "/applications/" + id + "/status?wait=1");
    REQUIRE(r.status == 200);
    CHECK(boost::json::parse(r.body).at("status").as_string() == "PENDING");  // read at once and at 1 s
    const std::string trail = "SELECT count(*) FROM access_trail WHERE application_id = '" + id + "'";
    for (int i = 0; i < 60 && sql_count(f.conninfo(), trail) < 1; ++i) std::this_thread::sleep_for(50ms);
    CHECK(sql_count(f.conninfo(), trail + " AND kind = 'status_wait' AND client = 'anonymous'") == 1);
    CHECK(sql_count(f.conninfo(), "SELECT count(*) FROM audit_log") == audit_before);
    std::this_thread::sleep_for(1500ms);  // a later flush adds nothing
    CHECK(sql_count(f.conninfo(), trail) == 1);
}

TEST_CASE("integration: the decision history and the event feed are trailed per application shown",
          "[integration][pg]") {
    service_fixture f;
    const auto id = f.submit_ok(unique_pan(), "120000", "500000");
    f.wait_final(id);
    REQUIRE(http_request(f.port(), "GET", "/applications/" + id + "/decisions").status == 200);
    // The feed is numbered in the background: read it until the decision shows.
    bool shown = false;
    for (int i = 0; i < 100 && !shown; ++i) {
        const auto r = http_request(f.port(), "GET", "/events");
        REQUIRE(r.status == 200);
        shown = !boost::json::parse(r.body).at("events").as_array().empty();
        if (!shown) std::this_thread::sleep_for(50ms);
    }
    REQUIRE(shown);
    const std::string trail = "SELECT count(*) FROM access_trail WHERE application_id = '" + id +
                              "' AND client = 'anonymous' AND kind = ";
    for (int i = 0; i < 60 && sql_count(f.conninfo(), trail + "'events'") < 1; ++i)
        std::this_thread::sleep_for(50ms);
    CHECK(sql_count(f.conninfo(), trail + "'decisions'") == 1);
    CHECK(sql_count(f.conninfo(), trail + "'events'") == 1);
    // An unknown application shows nothing: nothing recorded.
    REQUIRE(http_request(f.port(), "GET", "/applications/00000000-0000-4000-8000-000000000000/decisions")
                .status == 404);
    std::this_thread::sleep_for(1500ms);
    CHECK(sql_count(f.conninfo(),
                    "SELECT count(*) FROM access_trail WHERE application_id = "
                    "'00000000-0000-4000-8000-000000000000'") == 0);
}

TEST_CASE(
    "integration: while the access trail cannot be written reads are answered at once and it is written "
    "after",
    "[integration][pg]") {
    service_fixture f;
    const auto id = f.submit_ok(unique_pan(), "120000", "500000");
    f.wait_final(id);
    // The reads of this test carry request ids of their own: the trail's rows of them are counted exactly.
    const std::string trail = "SELECT count(*) FROM access_trail WHERE application_id = '" + id +
                              "' AND kind = 'status' AND request_id LIKE 'held-%'";

    // Another session holds the trail's table against writes (SHARE: reads of it still work, so the test can
    // look): every INSERT into it waits, as in a stalled database.
    PGconn* locker = PQconnectdb(f.conninfo().c_str());
    REQUIRE(PQstatus(locker) == CONNECTION_OK);
    PQclear(PQexec(locker, "BEGIN"));
    PGresult* locked = PQexec(locker, "LOCK TABLE access_trail IN SHARE MODE");
    REQUIRE(PQresultStatus(locked) == PGRES_COMMAND_OK);
    PQclear(locked);

    constexpr int reads = 200;
    double slowest_ms = 0;
    const auto until = steady::now() + 3s;  // several flush intervals
    int done = 0;
    while (done < reads || steady::now() < until) {
        const auto began = steady::now();
        const auto r = http_request(f.port(), "GET", "/applications/" + id + "/status", {},
                                    {{"X-Request-Id", "held-" + std::to_string(done)}});
        slowest_ms =
            std::max(slowest_ms, std::chrono::duration<double, std::milli>(steady::now() - began).count());
        REQUIRE(r.status == 200);
        ++done;
        if (done >= reads) std::this_thread::sleep_for(20ms);
    }
    INFO(done << " reads while the trail was held; slowest " << slowest_ms << " ms");
    CHECK(slowest_ms < 1000);                    // no read waited for the trail
    CHECK(sql_count(f.conninfo(), trail) == 0);  // nothing written meanwhile

    PQclear(PQexec(locker, "COMMIT"));
    PQfinish(locker);
    for (int i = 0; i < 200 && sql_count(f.conninfo(), trail) < done; ++i) std::this_thread::sleep_for(50ms);
    CHECK(sql_count(f.conninfo(), trail) == done);  // every read of the outage, once
    CHECK(sql_count(f.conninfo(),
                    "SELECT count(DISTINCT request_id) FROM access_trail WHERE request_id LIKE "
                    "'held-%'") == done);
}
