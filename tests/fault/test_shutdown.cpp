// Graceful shutdown under load: request_stop() mid-load answers only 202 or 503 (never another 5xx), the
// service exits 0, and a new service on the same database decides every accepted application exactly once.
#include "fault_support.hpp"
#include "service_fixture.hpp"

#include <catch2/catch.hpp>

#include <atomic>
#include <map>
#include <mutex>
#include <thread>

using namespace prequal::test;
using namespace std::chrono_literals;

TEST_CASE("fault: stop under load answers only 202 or 503, exits 0, and a restart decides everything once",
          "[fault][slow]") {
    prequal::app::service_config config;
    service_fixture f([&](prequal::app::service_config& c) { config = c; });
    const auto port = f.port();
    std::mutex mutex;
    std::set<std::string> accepted;
    std::map<int, int> statuses;
    std::atomic<bool> stop{false};
    std::vector<std::thread> clients;
    for (int t = 0; t < 4; ++t)
        clients.emplace_back([&] {
            while (!stop) {
                auto r = post_json(port, "/applications", application_body());
                std::lock_guard lock{mutex};
                ++statuses[r.status];
                if (r.status == 202) accepted.insert(application_id_of(r.body));
                if (r.status == 0) std::this_thread::sleep_for(5ms);  // the listener is closed
            }
        });
    std::this_thread::sleep_for(2s);
    const auto in_flight =
        sql_count(f.conninfo(), "SELECT count(*) FROM applications WHERE status = 'PENDING'");
    f.service().request_stop();
    const int exit_code = f.service().wait();
    std::this_thread::sleep_for(200ms);
    stop = true;
    for (auto& c : clients) c.join();
    CHECK(exit_code == 0);
    for (const auto& [status, n] : statuses) {
        INFO("status " << status << " seen " << n << " times (0: connection refused or closed)");
        CHECK((status == 202 || status == 503 || status == 0));
    }
    REQUIRE(!accepted.empty());

    // A new instance on the same database finishes whatever the drained one left pending.
    config.listen_port = 0;
    prequal::app::service again(config,
                                prequal::core::logger{"test-restart", prequal::core::log_level::warn});
    again.start();
    CHECK(wait_no_pending(f.conninfo(), 60s));
    again.request_stop();
    CHECK(again.wait() == 0);
    const auto report = check_exactly_once(f.conninfo(), accepted);
    CHECK(report.lost == 0);
    CHECK(report.duplicated == 0);
    CHECK(report.incomplete == 0);
    print_fault_row("graceful stop under load (4 clients), then restart", in_flight, report,
                    "202=" + std::to_string(statuses[202]) + " 503=" + std::to_string(statuses[503]) +
                        " refused/closed=" + std::to_string(statuses[0]));
}
