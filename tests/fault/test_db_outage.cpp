// PostgreSQL stopped for 10 s under submission load: POSTs get 503 (not hangs), /ready is 503, consumers
// pause, and after the restart every accepted application is decided exactly once without a service restart.
#include "fault_support.hpp"
#include "service_fixture.hpp"
#include "support/pg_harness.hpp"

#include <catch2/catch.hpp>

#include <atomic>
#include <map>
#include <mutex>
#include <thread>

using namespace prequal::test;
using namespace std::chrono_literals;

TEST_CASE("fault: PostgreSQL stopped for 10 s under load: 503 meanwhile, every 202 decided once after",
          "[fault][slow]") {
    // Every 503 logs a warning; keep the test output readable.
    service_fixture f([](prequal::app::service_config& c) { c.log_level = "error"; });
    const auto port = f.port();
    std::mutex mutex;
    std::set<std::string> accepted;
    std::map<int, int> statuses;
    std::atomic<bool> stop{false};
    std::atomic<bool> outage{false};
    std::atomic<int> outage_503{0};
    std::atomic<long> slowest_ms{0};

    std::vector<std::thread> clients;
    for (int t = 0; t < 4; ++t)
        clients.emplace_back([&] {
            while (!stop) {
                const auto began = std::chrono::steady_clock::now();
                auto r = post_json(port, "/applications", application_body());
                const long ms = std::chrono::duration_cast<std::chrono::milliseconds>(
                                    std::chrono::steady_clock::now() - began)
                                    .count();
                long prev = slowest_ms;
                while (ms > prev && !slowest_ms.compare_exchange_weak(prev, ms)) {
                }
                std::lock_guard lock{mutex};
                ++statuses[r.status];
                if (r.status == 202) accepted.insert(application_id_of(r.body));
                if (r.status == 503 && outage) ++outage_503;
                if (r.status != 202) std::this_thread::sleep_for(20ms);  // a client backing off
            }
        });

    std::this_thread::sleep_for(3s);
    const auto in_flight =
        sql_count(f.conninfo(), "SELECT count(*) FROM applications WHERE status = 'PENDING'");
    auto& cluster = pg_harness::instance().cluster();
    cluster.stop();
    outage = true;
    std::vector<int> ready_during;
    long slowest_ready_ms = 0;
    const auto outage_end = std::chrono::steady_clock::now() + 10s;
    while (std::chrono::steady_clock::now() < outage_end) {
        const auto began = std::chrono::steady_clock::now();
        ready_during.push_back(http_request(port, "GET", "/ready").status);
        slowest_ready_ms = std::max<long>(
            slowest_ready_ms,
            std::chrono::duration_cast<std::chrono::milliseconds>(std::chrono::steady_clock::now() - began)
                .count());
        std::this_thread::sleep_for(500ms);
    }
    const auto during_metrics = http_request(port, "GET", "/metrics").body;
    cluster.start();
    outage = false;

    // Recovery without a restart: /ready turns 200 again by itself.
    int ready_after = 0;
    for (int i = 0; i < 300 && ready_after != 200; ++i) {
        ready_after = http_request(port, "GET", "/ready").status;
        if (ready_after != 200) std::this_thread::sleep_for(100ms);
    }
    std::this_thread::sleep_for(3s);  // load continues on the recovered database
    stop = true;
    for (auto& c : clients) c.join();

    CHECK(ready_after == 200);
    for (int s : ready_during) CHECK(s == 503);
    INFO("statuses seen: 202=" << statuses[202] << " 503=" << statuses[503]);
    for (const auto& [status, n] : statuses) {
        INFO("status " << status << " seen " << n << " times");
        CHECK((status == 202 || status == 503));  // no 500, and no 0 (a hang until the client timeout)
    }
    CHECK(outage_503 > 0);
    CHECK(metric_value(during_metrics, "db_circuit_transitions_total{to=\"open\"}") >= 1);
    const auto after_metrics = http_request(port, "GET", "/metrics").body;
    CHECK(metric_value(after_metrics, "db_circuit_state") == 0);

    REQUIRE(wait_no_pending(f.conninfo(), 90s));
    const auto report = check_exactly_once(f.conninfo(), accepted);
    CHECK(report.accepted > 0);
    CHECK(report.lost == 0);
    CHECK(report.duplicated == 0);
    CHECK(report.incomplete == 0);
    // Consumers and the publisher paused through the outage instead of spending their attempts.
    CHECK(sql_count(f.conninfo(), "SELECT count(*) FROM dead_letters") == 0);
    CHECK(sql_count(f.conninfo(), "SELECT count(*) FROM outbox_events WHERE dead") == 0);
    print_fault_row("PostgreSQL stopped 10 s under load (4 clients)", in_flight, report,
                    "503 during outage " + std::to_string(outage_503.load()) + ", slowest POST " +
                        std::to_string(slowest_ms.load()) + " ms, slowest /ready during outage " +
                        std::to_string(slowest_ready_ms) + " ms");
}
