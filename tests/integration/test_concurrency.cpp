// Races: the duplicate rule under 50 concurrent submissions, Idempotency-Key replays (sequential and
// concurrent), and a forced optimistic-locking conflict in the decision module.
#include "service_fixture.hpp"
#include "support/service_test_access.hpp"

#include <prequal/decision/decision_module.hpp>

#include <boost/asio/co_spawn.hpp>
#include <boost/json/parse.hpp>
#include <catch2/catch.hpp>

#include <atomic>
#include <thread>
#include <vector>

using namespace prequal::test;

namespace {

// Runs `n` copies of `fn(i)` on n threads released at once.
template <class F>
void run_concurrently(int n, F fn) {
    std::atomic<bool> go{false};
    std::vector<std::thread> threads;
    for (int i = 0; i < n; ++i)
        threads.emplace_back([&, i] {
            while (!go.load()) std::this_thread::yield();
            fn(i);
        });
    go = true;
    for (auto& t : threads) t.join();
}

}  // namespace

TEST_CASE("integration: 50 concurrent submissions of one PAN give exactly one 202", "[integration][pg]") {
    service_fixture f{[](prequal::app::service_config& c) { c.db_pool_size = 16; }};
    // A PAN whose application is PRE_APPROVED (scores 790): a REJECTED one would free the PAN again as soon
    // as its decision landed, legitimately letting a later submission of the 50 through.
    const std::string pan = "ABCDE1234F";
    std::atomic<int> accepted{0}, conflicts{0}, other{0};
    run_concurrently(50, [&](int) {
        auto r = f.submit(pan, "120000", "100000");
        if (r.status == 202)
            ++accepted;
        else if (r.status == 409)
            ++conflicts;
        else
            ++other;
    });
    CHECK(accepted == 1);
    CHECK(conflicts == 49);
    CHECK(other == 0);
    CHECK(sql_count(f.conninfo(), "SELECT count(*) FROM applications") == 1);
}

TEST_CASE("integration: the duplicate rule frees a PAN once its application is REJECTED",
          "[integration][pg]") {
    service_fixture f;
    // FGHIJ5678K always scores 610 → REJECTED.
    const std::string first = f.submit_ok("FGHIJ5678K", "50000", "100000");
    CHECK(f.wait_final(first).at("status").as_string() == "REJECTED");
    const std::string second = f.submit_ok("FGHIJ5678K", "50000", "100000");
    CHECK(second != first);
    // An approved one blocks the PAN.
    const std::string approved = f.submit_ok("ABCDE1234F", "120000", "100000");
    CHECK(f.wait_final(approved).at("status").as_string() == "PRE_APPROVED");
    CHECK(f.submit("ABCDE1234F", "120000", "100000").status == 409);
    // Once the claim is older than 24 hours the PAN may apply again.
    sql_value(f.conninfo(), "UPDATE pan_claims SET claimed_at = now() - interval '25 hours'");
    CHECK(f.submit("ABCDE1234F", "120000", "100000").status == 202);
}

TEST_CASE("integration: Idempotency-Key replay returns the same 202 and creates nothing",
          "[integration][pg]") {
    service_fixture f;
    const std::string pan = unique_pan();
    auto a = f.submit(pan, "70000", "200000", "AUTO", "key-123");
    REQUIRE(a.status == 202);
    auto b = f.submit(pan, "\"70000.00\"", "200000", "AUTO", "key-123");  // same meaning, other spelling
    REQUIRE(b.status == 202);
    CHECK(b.body == a.body);
    CHECK(b.header("location") == a.header("location"));
    CHECK(sql_count(f.conninfo(), "SELECT count(*) FROM applications") == 1);
    CHECK(sql_count(f.conninfo(), "SELECT count(*) FROM outbox_events") >= 1);

    // Concurrent retries with one key: all answer the same application.
    const std::string pan2 = unique_pan();
    std::vector<std::string> bodies(10);
    run_concurrently(10, [&](int i) { bodies[i] = f.submit(pan2, "70000", "200000", "", "key-456").body; });
    for (const auto& body : bodies) CHECK(body == bodies[0]);
    CHECK(sql_count(f.conninfo(), "SELECT count(*) FROM applications") == 2);

    // A bad key is a validation error.
    CHECK(f.submit(unique_pan(), "70000", "200000", "", std::string(256, 'k')).status == 422);
}

TEST_CASE("integration: a forced version conflict is retried and decided once", "[integration][pg]") {
    service_fixture f;
    std::atomic<int> hook_calls{0};
    const std::string conninfo = f.conninfo();
    service_test_access::run_on_io(f.service(), [&] {
        service_test_access::decision_module(f.service())->before_update =
            [&hook_calls, conninfo](const std::string& id) -> boost::asio::awaitable<void> {
            // The first time, another writer bumps the version between read and update.
            if (hook_calls++ == 0)
                sql_value(conninfo, "UPDATE applications SET version = version + 1 WHERE id = '" + id + "'");
            co_return;
        };
    });
    const std::string id = f.submit_ok(unique_pan(), "90000", "100000", "HOME");
    auto v = f.wait_final(id);
    CHECK(v.at("status").as_string() == "PRE_APPROVED");
    CHECK(hook_calls == 2);  // first attempt conflicted, the retry succeeded
    CHECK(sql_value(conninfo, "SELECT version FROM applications") == "3");
    CHECK(sql_count(conninfo, "SELECT count(*) FROM audit_log WHERE action = 'DECISION_RECORDED'") == 1);
    auto metrics = http_request(f.port(), "GET", "/metrics").body;
    CHECK(metrics.find("decision_version_conflicts_total 1") != std::string::npos);
}

TEST_CASE("integration: a conflict that persists is dead-lettered, not decided", "[integration][pg]") {
    service_fixture f{[](prequal::app::service_config& c) { c.bus_max_attempts = 1; }};
    const std::string conninfo = f.conninfo();
    service_test_access::run_on_io(f.service(), [&] {
        service_test_access::decision_module(f.service())->before_update =
            [conninfo](const std::string& id) -> boost::asio::awaitable<void> {
            sql_value(conninfo, "UPDATE applications SET version = version + 1 WHERE id = '" + id + "'");
            co_return;
        };
    });
    const std::string id = f.submit_ok(unique_pan(), "90000", "100000", "HOME");
    const auto deadline = std::chrono::steady_clock::now() + std::chrono::seconds{20};
    while (std::chrono::steady_clock::now() < deadline &&
           sql_count(conninfo, "SELECT count(*) FROM dead_letters") == 0)
        std::this_thread::sleep_for(std::chrono::milliseconds{20});
    CHECK(sql_count(conninfo, "SELECT count(*) FROM dead_letters WHERE topic = 'credit_reports_generated'") ==
          1);
    CHECK(sql_value(conninfo, "SELECT status FROM applications") == "PENDING");
    CHECK(sql_count(conninfo, "SELECT count(*) FROM processed_messages WHERE consumer_group = 'decision'") ==
          0);
}
