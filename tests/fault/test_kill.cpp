// SIGKILL of the real binary at 5 random moments of a 2,000-application run, then a restart: nothing
// accepted is lost and nothing is decided twice.
#include "fault_support.hpp"
#include "server_process.hpp"
#include "service_fixture.hpp"
#include "support/pg_harness.hpp"

#include <catch2/catch.hpp>

#include <signal.h>

#include <algorithm>
#include <atomic>
#include <mutex>
#include <random>
#include <thread>

using namespace prequal::test;
using namespace std::chrono_literals;

TEST_CASE("fault: SIGKILL at 5 random moments of a 2000-application run loses and doubles nothing",
          "[fault][slow]") {
    constexpr int total = 2000;
    const std::string db = pg_harness::instance().fresh_database();
    const auto keys = make_test_keys();
    const std::uint16_t port = free_port();
    const std::vector<std::string> args =
        memory_serve_args(db, port, keys.encryption_keys, keys.pan_index_key);
    std::mt19937 rng{std::random_device{}()};
    std::uniform_int_distribution<int> point(50, total - 50);
    std::vector<int> kill_at(5);
    for (auto& k : kill_at) k = point(rng);
    std::sort(kill_at.begin(), kill_at.end());
    std::string kill_text;
    for (int k : kill_at) kill_text += (kill_text.empty() ? "" : ",") + std::to_string(k);
    INFO("kill points (accepted count): " << kill_text);

    std::mutex mutex;
    std::set<std::string> accepted;
    std::atomic<int> accepted_count{0};
    std::atomic<int> bad_status{0};
    std::int64_t in_flight = 0;
    const auto run_deadline = std::chrono::steady_clock::now() + 240s;

    for (int round = 0; round <= 5; ++round) {
        const int target = round < 5 ? kill_at[round] : total;
        server_process server{args};
        wait_healthy(port);
        std::atomic<bool> stop{false};
        std::vector<std::thread> clients;
        for (int t = 0; t < 4; ++t)
            clients.emplace_back([&] {
                while (!stop && accepted_count < total) {
                    auto r = post_json(port, "/applications", application_body());
                    if (r.status == 202) {
                        std::lock_guard lock{mutex};
                        accepted.insert(application_id_of(r.body));
                        ++accepted_count;
                    } else if (r.status == 0 || r.status == 503) {
                        std::this_thread::sleep_for(5ms);  // the process is gone or going
                    } else {
                        ++bad_status;
                    }
                }
            });
        while (accepted_count < target && std::chrono::steady_clock::now() < run_deadline)
            std::this_thread::sleep_for(1ms);
        if (round < 5) {
            server.kill(SIGKILL);
            CHECK(server.wait() == 128 + SIGKILL);
            in_flight += sql_count(db, "SELECT count(*) FROM applications WHERE status = 'PENDING'");
        }
        stop = true;
        for (auto& c : clients) c.join();
        if (round == 5) {
            // The last run re-drives what the kills left unfinished and then stops gracefully.
            CHECK(wait_no_pending(db, 120s));
            server.kill(SIGTERM);
            CHECK(server.wait() == 0);
        }
    }
    CHECK(bad_status == 0);
    CHECK(accepted.size() >= static_cast<std::size_t>(total));
    const auto report = check_exactly_once(db, accepted);
    CHECK(report.lost == 0);
    CHECK(report.duplicated == 0);
    CHECK(report.incomplete == 0);
    print_fault_row("SIGKILL x5 during a 2,000-application run (real binary)", in_flight, report,
                    "kill points " + kill_text + "; in flight = PENDING right after each kill, summed");
}
