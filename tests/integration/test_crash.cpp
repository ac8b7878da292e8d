// Crash safety: the real binary is SIGKILLed mid-load and restarted on the same database; every accepted
// application must reach exactly one decision, with no manual step.
#include "server_process.hpp"
#include "service_fixture.hpp"
#include "support/pg_harness.hpp"

#include <catch2/catch.hpp>

#include <signal.h>

#include <atomic>
#include <mutex>
#include <set>
#include <thread>

using namespace prequal::test;

TEST_CASE("integration: SIGKILL mid-load and restart decides every accepted application exactly once",
          "[integration][pg][slow]") {
    const std::string db = pg_harness::instance().fresh_database();
    const auto keys = make_test_keys();
    const std::uint16_t port = free_port();
    const std::vector<std::string> args =
        memory_serve_args(db, port, keys.encryption_keys, keys.pan_index_key);
    std::mutex mutex;
    std::set<std::string> accepted;

    for (int round = 0; round < 2; ++round) {
        server_process server{args};
        wait_healthy(port);
        std::atomic<bool> stop{false};
        std::atomic<int> round_accepted{0};
        std::vector<std::thread> clients;
        for (int t = 0; t < 4; ++t)
            clients.emplace_back([&] {
                while (!stop) {
                    const std::string body = "{\"pan_number\":\"" + unique_pan() +
                                             "\",\"monthly_income_inr\":65000,\"loan_amount_inr\":900000,"
                                             "\"loan_type\":\"PERSONAL\"}";
                    auto r = post_json(port, "/applications", body);
                    if (r.status == 202) {
                        const auto pos = r.body.find("\"application_id\":\"");
                        std::lock_guard lock{mutex};
                        accepted.insert(r.body.substr(pos + 18, 36));
                        ++round_accepted;
                    } else if (r.status == 0) {
                        std::this_thread::sleep_for(std::chrono::milliseconds{5});
                    }
                }
            });
        // Kill at a different point of the load each round.
        const int target = 150 + round * 120;
        const auto deadline = std::chrono::steady_clock::now() + std::chrono::seconds{60};
        while (round_accepted < target && std::chrono::steady_clock::now() < deadline)
            std::this_thread::sleep_for(std::chrono::milliseconds{2});
        server.kill(SIGKILL);
        CHECK(server.wait() == 128 + SIGKILL);
        stop = true;
        for (auto& c : clients) c.join();
    }
    REQUIRE(accepted.size() >= 270);

    // Restart on the same database: unfinished work is re-driven without any manual step.
    server_process server{args};
    wait_healthy(port);
    const auto deadline = std::chrono::steady_clock::now() + std::chrono::seconds{120};
    while (std::chrono::steady_clock::now() < deadline &&
           sql_count(db, "SELECT count(*) FROM applications WHERE status = 'PENDING'") > 0)
        std::this_thread::sleep_for(std::chrono::milliseconds{100});

    CHECK(sql_count(db, "SELECT count(*) FROM applications WHERE status = 'PENDING'") == 0);
    std::string id_list;
    for (const auto& id : accepted) id_list += (id_list.empty() ? "'" : ",'") + id + "'";
    // Every 202 is in the database (a crash after commit but before the response may add rows nobody saw).
    CHECK(sql_count(db, "SELECT count(*) FROM applications WHERE id IN (" + id_list + ")") ==
          static_cast<std::int64_t>(accepted.size()));
    const auto apps = sql_count(db, "SELECT count(*) FROM applications");
    CHECK(sql_count(db, "SELECT count(*) FROM credit_reports") == apps);
    CHECK(sql_count(db,
                    "SELECT count(*) FROM (SELECT application_id FROM audit_log WHERE action = "
                    "'DECISION_RECORDED' GROUP BY application_id HAVING count(*) <> 1) x") == 0);
    CHECK(sql_count(db, "SELECT count(*) FROM audit_log WHERE action = 'DECISION_RECORDED'") == apps);
    CHECK(sql_count(db, "SELECT count(*) FROM applications WHERE version <> 2") == 0);

    server.kill(SIGTERM);
    CHECK(server.wait() == 0);
}
