// Fault tolerance and data lifecycle: dead letters listed, shown and replayed through `prequal dlq`,
// `prequal outbox status`, stuck applications re-driven, retention jobs deleting and archiving by age.
#include "ops_commands.hpp"
#include "service_fixture.hpp"
#include "support/pg_harness.hpp"
#include "support/service_test_access.hpp"

#include <prequal/api/applications_owner.hpp>
#include <prequal/decision/decision_module.hpp>
#include <prequal/outbox/retention.hpp>
#include <prequal/pg/pool.hpp>

#include <boost/asio/co_spawn.hpp>
#include <boost/asio/io_context.hpp>
#include <boost/json/parse.hpp>
#include <catch2/catch.hpp>
#include <libpq-fe.h>

#include <sys/wait.h>

#include <atomic>
#include <cstdio>
#include <cstdlib>
#include <sstream>
#include <thread>

using namespace prequal::test;
namespace app = prequal::app;

namespace {

struct ops_output {
    int code = 0;
    std::string out;
    std::string err;
};

// Runs `prequal <command> <args...>` in-process against `conninfo`.
ops_output ops(const std::string& conninfo, const std::string& command, std::vector<std::string> args,
               bool json = false) {
    app::command_line cl;
    cl.command = command;
    cl.args = std::move(args);
    cl.json = json;
    cl.config.database_url = conninfo;
    std::ostringstream out, err;
    ops_output r;
    r.code = app::run_ops_command(cl, prequal::core::logger{"test-ops", prequal::core::log_level::error}, out,
                                  err);
    r.out = out.str();
    r.err = err.str();
    return r;
}

template <class Pred>
bool eventually(Pred pred, std::chrono::seconds timeout = std::chrono::seconds{20}) {
    const auto deadline = std::chrono::steady_clock::now() + timeout;
    while (std::chrono::steady_clock::now() < deadline) {
        if (pred()) return true;
        std::this_thread::sleep_for(std::chrono::milliseconds{20});
    }
    return pred();
}

// Makes every decision attempt conflict while `failing` is set (a persistent fault, then fixed).
void install_conflict(service_fixture& f, std::shared_ptr<std::atomic<bool>> failing) {
    const std::string conninfo = f.conninfo();
    service_test_access::run_on_io(f.service(), [&] {
        service_test_access::decision_module(f.service())->before_update =
            [conninfo, failing](const std::string& id) -> boost::asio::awaitable<void> {
            if (*failing)
                sql_value(conninfo, "UPDATE applications SET version = version + 1 WHERE id = '" + id + "'");
            co_return;
        };
    });
}

std::string metrics_of(const service_fixture& f) { return http_request(f.port(), "GET", "/metrics").body; }

}  // namespace

TEST_CASE(
    "integration: a dead letter is listed, shown, replayed once fixed, and replaying again changes nothing",
    "[integration][pg]") {
    service_fixture f{[](app::service_config& c) { c.bus_max_attempts = 1; }};
    const std::string db = f.conninfo();
    auto failing = std::make_shared<std::atomic<bool>>(true);
    install_conflict(f, failing);
    const std::string pan = unique_pan();
    const std::string id = f.submit_ok(pan, "90000", "100000", "HOME");
    REQUIRE(eventually([&] { return sql_count(db, "SELECT count(*) FROM dead_letters") == 1; }));
    const std::string dl = sql_value(db, "SELECT id FROM dead_letters");

    auto list = ops(db, "dlq", {"list"});
    REQUIRE(list.code == 0);
    CHECK(list.out.find("ID") == 0);
    CHECK(list.out.find("credit_reports_generated") != std::string::npos);
    CHECK(list.out.find(id) != std::string::npos);

    auto list_json = ops(db, "dlq", {"list"}, true);
    REQUIRE(list_json.code == 0);
    auto messages = boost::json::parse(list_json.out).at("messages").as_array();
    REQUIRE(messages.size() == 1);
    CHECK(messages[0].at("id").as_string() == dl);
    CHECK(messages[0].at("kind").as_string() == "dead_letter");
    CHECK(messages[0].at("key").as_string() == id);
    CHECK(messages[0].at("replayed_at").is_null());

    auto show = ops(db, "dlq", {"show", dl});
    REQUIRE(show.code == 0);
    CHECK(show.out.find("payload") != std::string::npos);
    CHECK(show.out.find(pan) == std::string::npos);  // never a clear PAN
    auto show_json = ops(db, "dlq", {"show", dl}, true);
    REQUIRE(show_json.code == 0);
    CHECK(boost::json::parse(show_json.out).at("payload").as_string().size() > 0);

    *failing = false;  // the cause is fixed
    auto replay = ops(db, "dlq", {"replay", dl});
    INFO(replay.out << replay.err);
    REQUIRE(replay.code == 0);
    CHECK(replay.out.find("replayed " + dl) != std::string::npos);
    auto decided = f.wait_final(id);
    CHECK(decided.at("status").as_string() == "PRE_APPROVED");
    CHECK(sql_count(db, "SELECT count(*) FROM dead_letters WHERE replayed_at IS NOT NULL") == 1);
    auto after = boost::json::parse(ops(db, "dlq", {"list"}, true).out).at("messages").as_array();
    REQUIRE(after.size() == 1);
    CHECK(after[0].at("replayed_at").is_string());
    CHECK(boost::json::parse(show_json.out).at("headers").at("message_id").is_string());
    CHECK(sql_count(db, "SELECT count(*) FROM audit_log WHERE action = 'DECISION_RECORDED'") == 1);
    const std::string version = sql_value(db, "SELECT version FROM applications");

    // Replaying again re-publishes the same message; the idempotent consumer skips it.
    const std::string outbox_id =
        sql_value(db,
                  "SELECT e.id FROM outbox_events e JOIN dead_letters d ON e.message_id::text = "
                  "d.headers->>'message_id'");
    REQUIRE(ops(db, "dlq", {"replay", dl}).code == 0);
    REQUIRE(eventually([&] {
        return sql_count(db, "SELECT count(*) FROM outbox_events WHERE published_at IS NULL") == 0 &&
               metrics_of(f).find("consumer_duplicates_skipped_total{group=\"decision\"} 1") !=
                   std::string::npos;
    }));
    CHECK(sql_count(db, "SELECT count(*) FROM outbox_events WHERE id = " + outbox_id) == 1);
    CHECK(sql_count(db, "SELECT count(*) FROM audit_log WHERE action = 'DECISION_RECORDED'") == 1);
    CHECK(sql_value(db, "SELECT version FROM applications") == version);
    CHECK(sql_count(db, "SELECT count(*) FROM dead_letters") == 1);

    auto all = ops(db, "dlq", {"replay", "--all"}, true);
    REQUIRE(all.code == 0);
    CHECK(boost::json::parse(all.out).at("replayed").as_array().empty());
}

TEST_CASE("integration: dead outbox events are listed and revived, and outbox status matches the database",
          "[integration][pg]") {
    service_fixture f;
    const std::string db = f.conninfo();
    const std::string id = f.submit_ok(unique_pan(), "90000", "100000", "HOME");
    f.wait_final(id);
    const std::string event = sql_value(db, "SELECT max(id) FROM outbox_events");
    sql_value(db,
              "UPDATE outbox_events SET dead = true, published_at = NULL, attempts = 10, last_error = "
              "'broker down' "
              "WHERE id = " +
                  event);

    auto status = ops(db, "outbox", {"status"}, true);
    REQUIRE(status.code == 0);
    auto s = boost::json::parse(status.out).as_object();
    CHECK(s.at("dead").as_int64() == 1);
    CHECK(s.at("pending").as_int64() ==
          sql_count(db, "SELECT count(*) FROM outbox_events WHERE published_at IS NULL AND NOT dead"));
    CHECK(s.at("published").as_int64() ==
          sql_count(db, "SELECT count(*) FROM outbox_events WHERE published_at IS NOT NULL"));
    auto table = ops(db, "outbox", {"status"});
    CHECK(table.out.find("dead events") != std::string::npos);

    auto list = ops(db, "dlq", {"list"});
    CHECK(list.out.find("outbox:" + event) != std::string::npos);
    CHECK(list.out.find("broker down") != std::string::npos);

    auto replay = ops(db, "dlq", {"replay", "outbox:" + event});
    REQUIRE(replay.code == 0);
    REQUIRE(eventually(
        [&] { return sql_count(db, "SELECT count(*) FROM outbox_events WHERE published_at IS NULL") == 0; }));
    CHECK(sql_count(db, "SELECT count(*) FROM outbox_events WHERE dead") == 0);
    CHECK(sql_count(db, "SELECT count(*) FROM audit_log WHERE action = 'DECISION_RECORDED'") == 1);
    auto again = ops(db, "dlq", {"replay", "outbox:" + event});
    CHECK(again.code == 0);
    CHECK(again.out.find("nothing to replay") != std::string::npos);
}

TEST_CASE("integration: operator command usage errors exit 2, unknown IDs exit 1", "[integration][pg]") {
    const std::string db = pg_harness::instance().fresh_database();
    CHECK(ops(db, "dlq", {}).code == 2);
    CHECK(ops(db, "dlq", {"frobnicate"}).code == 2);
    CHECK(ops(db, "dlq", {"show"}).code == 2);
    CHECK(ops(db, "dlq", {"show", "abc"}).code == 2);
    CHECK(ops(db, "dlq", {"replay", "7", "8"}).code == 2);
    CHECK(ops(db, "outbox", {"stats"}).code == 2);
    auto missing = ops(db, "dlq", {"show", "999"});
    CHECK(missing.code == 1);
    CHECK(missing.err.find("no dead letter 999") != std::string::npos);
    CHECK(ops(db, "dlq", {"replay", "999"}).code == 1);
    auto empty = ops(db, "dlq", {"list"});
    CHECK(empty.code == 0);
    CHECK(empty.out.find("no dead-lettered") != std::string::npos);
}

TEST_CASE("integration: an application stuck PENDING is re-driven from its outbox history",
          "[integration][pg]") {
    service_fixture f{[](app::service_config& c) {
        c.bus_max_attempts = 1;
        c.stuck_after = std::chrono::milliseconds{1500};
        c.redrive_interval = std::chrono::milliseconds{200};
    }};
    const std::string db = f.conninfo();
    auto failing = std::make_shared<std::atomic<bool>>(false);
    install_conflict(f, failing);
    const std::string done = f.submit_ok(unique_pan(), "90000", "100000", "HOME");
    f.wait_final(done);
    *failing = true;
    const std::string stuck = f.submit_ok(unique_pan(), "90000", "100000", "HOME");
    REQUIRE(eventually([&] { return sql_count(db, "SELECT count(*) FROM dead_letters") == 1; }));
    *failing = false;  // fixed, but nobody replays the dead letter: the re-driver must notice
    auto v = f.wait_final(stuck);
    CHECK(v.at("status").as_string() == "PRE_APPROVED");
    CHECK(sql_value(db, "SELECT redrive_count > 0 FROM applications WHERE id = '" + stuck + "'") == "t");
    CHECK(sql_value(db, "SELECT redrive_count FROM applications WHERE id = '" + done + "'") == "0");
    CHECK(sql_count(db, "SELECT count(*) FROM audit_log WHERE action = 'DECISION_RECORDED'") == 2);
    const auto metrics = metrics_of(f);
    CHECK(metrics.find("outbox_redriven_total 0") == std::string::npos);
    CHECK(metrics.find("outbox_redriven_total") != std::string::npos);
}

TEST_CASE("integration: the backlog gauges show a PENDING application, its age and its dead letter",
          "[integration][pg]") {
    service_fixture f{[](app::service_config& c) {
        c.bus_max_attempts = 1;
        c.stuck_after = std::chrono::hours{1};  // observe only: nothing is re-driven
        c.redrive_interval = std::chrono::milliseconds{200};
    }};
    auto failing = std::make_shared<std::atomic<bool>>(true);
    install_conflict(f, failing);
    f.submit_ok(unique_pan(), "90000", "100000", "HOME");
    // The value of an unlabelled sample in /metrics, or -1 when absent.
    auto sample = [&](const std::string& name) {
        const std::string body = metrics_of(f);
        const auto at = body.find("\n" + name + " ");
        return at == std::string::npos ? -1.0 : std::stod(body.substr(at + name.size() + 2));
    };
    CHECK(eventually([&] {
        return sample("applications_pending") == 1 && sample("dead_letters_unreplayed") == 1 &&
               sample("applications_oldest_pending_seconds") >= 1;
    }));
    CHECK(sample("outbox_events_unpublished") == 0);  // the submission's and the report's events went out
    CHECK(sample("outbox_events_dead") == 0);
}

TEST_CASE("integration: retention deletes and archives only what is older than its window",
          "[integration][pg]") {
    const std::string db = pg_harness::instance().fresh_database();
    sql_value(db,
              "INSERT INTO processed_messages (consumer_group, message_id, processed_at) "
              "SELECT 'credit', gen_random_uuid(), now() - interval '8 days' FROM generate_series(1, 5)");
    sql_value(db,
              "INSERT INTO processed_messages (consumer_group, message_id) "
              "SELECT 'credit', gen_random_uuid() FROM generate_series(1, 2)");
    sql_value(db,
              "INSERT INTO idempotency_keys (idempotency_key, request_hash, application_id, created_at) "
              "SELECT 'old-' || g, 'h', gen_random_uuid(), now() - interval '25 hours' FROM "
              "generate_series(1, 3) g");
    sql_value(db,
              "INSERT INTO idempotency_keys (idempotency_key, request_hash, application_id) "
              "VALUES ('young', 'h', gen_random_uuid())");
    const std::string pending_app = "11111111-1111-4111-8111-111111111111";
    sql_value(
        db,
        "INSERT INTO applications (id, pan_hmac, pan_ciphertext, pan_key_id, pan_masked, monthly_income, "
        "loan_amount) VALUES ('" +
            pending_app + "', 'h', 'c', 'k', 'XXXXXX234F', 1, 1)");
    const std::string event_columns =
        "INSERT INTO outbox_events (message_id, aggregate_key, topic, event_type, "
        "payload, created_at, published_at, dead) ";
    // Old and published (3: archived), young published, old unpublished, old dead, old of a PENDING app.
    sql_value(db, event_columns +
                      "SELECT gen_random_uuid(), gen_random_uuid(), 't', 'e', '{}', now() - interval "
                      "'3 days', now() - interval '2 days', false FROM generate_series(1, 3)");
    sql_value(db, event_columns +
                      "VALUES (gen_random_uuid(), gen_random_uuid(), 't', 'e', '{}', now(), now(), false)");
    sql_value(db, event_columns +
                      "VALUES (gen_random_uuid(), gen_random_uuid(), 't', 'e', '{}', now() - interval "
                      "'3 days', NULL, false)");
    sql_value(db, event_columns +
                      "VALUES (gen_random_uuid(), gen_random_uuid(), 't', 'e', '{}', now() - interval "
                      "'3 days', NULL, true)");
    sql_value(db, event_columns + "VALUES (gen_random_uuid(), '" + pending_app +
                      "', 't', 'e', '{}', now() - interval "
                      "'3 days', now() - interval '2 days', false)");

    boost::asio::io_context ioc{1};
    prequal::core::metrics_registry metrics;
    prequal::pg::pool_options po;
    po.conninfo = db;
    po.size = 2;
    prequal::pg::pool pool{ioc.get_executor(), po};
    prequal::outbox::retention_options ro;
    ro.batch_size = 2;  // several batches per job
    // The jobs of a serving process: the platform's two, then the api module's (idempotency keys).
    const auto applications = prequal::api::applications_owner(metrics);
    std::vector<prequal::outbox::retention_job> owner_jobs{
        prequal::api::idempotency_key_retention(prequal::api::idempotency_window)};
    prequal::outbox::retention job{ioc.get_executor(),
                                   pool,
                                   applications,
                                   std::move(owner_jobs),
                                   ro,
                                   prequal::core::logger{"test", prequal::core::log_level::error},
                                   metrics};
    auto run = [&] {
        std::vector<prequal::outbox::retention_result> results;
        boost::asio::co_spawn(ioc, job.run_once(),
                              [&](std::exception_ptr e, std::vector<prequal::outbox::retention_result> r) {
                                  if (e) std::rethrow_exception(e);
                                  results = std::move(r);
                              });
        ioc.restart();
        ioc.run();
        return results;
    };

    // Another replica running the processed_messages job: this one skips it.
    PGconn* other = PQconnectdb(db.c_str());
    PQclear(PQexec(other, "BEGIN"));
    PQclear(PQexec(other, "SELECT pg_advisory_xact_lock(8102650217567972353)"));
    auto first = run();
    PQclear(PQexec(other, "COMMIT"));
    PQfinish(other);
    REQUIRE(first.size() == 3);
    CHECK(first[0].skipped);
    CHECK(sql_count(db, "SELECT count(*) FROM processed_messages") == 7);

    auto second = run();
    REQUIRE(second.size() == 3);
    CHECK(second[0].rows == 5);
    CHECK(sql_count(db, "SELECT count(*) FROM processed_messages") == 2);
    CHECK(sql_count(db, "SELECT count(*) FROM outbox_events_archive") == 3);
    CHECK(sql_count(db, "SELECT count(*) FROM outbox_events") == 4);
    CHECK(sql_count(db, "SELECT count(*) FROM outbox_events WHERE published_at IS NULL") == 2);
    CHECK(sql_count(db, "SELECT count(*) FROM outbox_events WHERE aggregate_key = '" + pending_app + "'") ==
          1);
    CHECK(sql_count(db, "SELECT count(*) FROM idempotency_keys") == 1);
    CHECK(sql_value(db, "SELECT idempotency_key FROM idempotency_keys") == "young");

    const std::string text = metrics.render();
    CHECK(text.find("retention_rows_total{job=\"processed_messages\"} 5") != std::string::npos);
    CHECK(text.find("retention_rows_total{job=\"outbox_archive\"} 3") != std::string::npos);
    CHECK(text.find("retention_rows_total{job=\"idempotency_keys\"} 3") != std::string::npos);
    CHECK(text.find("retention_duration_seconds_count{job=\"outbox_archive\"} 2") != std::string::npos);
    pool.close();
}

TEST_CASE("integration: the prequal binary runs operator commands and rejects bad ones",
          "[integration][pg]") {
    const std::string db = pg_harness::instance().fresh_database();
    const char* env = std::getenv("PREQUAL_BINARY");
    const std::string binary = env ? env : PREQUAL_BINARY_PATH;
    auto run = [&](const std::string& args, std::string& out) {
        out.clear();
        FILE* p = ::popen((binary + " " + args + " 2>/dev/null").c_str(), "r");
        REQUIRE(p != nullptr);
        char buf[4096];
        for (std::size_t n; (n = std::fread(buf, 1, sizeof buf, p)) > 0;) out.append(buf, n);
        const int status = ::pclose(p);
        return WIFEXITED(status) ? WEXITSTATUS(status) : -1;
    };
    std::string out;
    CHECK(run("outbox status --json '--database-url=" + db + "'", out) == 0);
    auto status = boost::json::parse(out).as_object();
    CHECK(status.at("pending").as_int64() == 0);
    CHECK(status.at("dead").as_int64() == 0);
    CHECK(run("dlq list '--database-url=" + db + "'", out) == 0);
    CHECK(out.find("no dead-lettered") != std::string::npos);
    CHECK(run("dlq frobnicate '--database-url=" + db + "'", out) == 2);
    CHECK(run("dlq show x1 '--database-url=" + db + "'", out) == 2);
    CHECK(run("outbox '--database-url=" + db + "'", out) == 2);
}
