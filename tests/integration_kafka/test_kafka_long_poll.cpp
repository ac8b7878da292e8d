// A long poll answered by a decision taken in another process: an API-only `prequal serve` and a worker
// (credit, decision) on --bus=kafka sharing one database; the worker's NOTIFY wakes the API replica's waiter.
#include "kafka_cluster_process.hpp"
#include "replica_load.hpp"
#include "support/pg_harness.hpp"

#include <boost/json/parse.hpp>
#include <catch2/catch.hpp>

#include <signal.h>

#include <chrono>
#include <future>
#include <sstream>
#include <thread>

using namespace prequal::test;
using namespace std::chrono_literals;
using steady = std::chrono::steady_clock;

namespace {

/// True once GET /metrics on `port` shows a lag gauge of `group`, i.e. it has been assigned partitions.
bool assigned(std::uint16_t port, const std::string& group) {
    std::istringstream in{http_request(port, "GET", "/metrics").body};
    std::string line;
    while (std::getline(in, line))
        if (line.rfind("kafka_consumer_lag{", 0) == 0 &&
            line.find("group=\"" + group + "\"") != std::string::npos)
            return true;
    return false;
}

}  // namespace

TEST_CASE("integration: kafka long poll on the API replica is woken by a decision taken by another process",
          "[integration][kafka]") {
    kafka_cluster_process cluster{1, 3};
    const std::string db = pg_harness::instance().fresh_database();
    kafka_deployment d{cluster.bootstrap(), db, 1};
    const auto settle = steady::now() + 60s;
    while (!(assigned(d.worker_port(0), "credit") && assigned(d.worker_port(0), "decision")) &&
           steady::now() < settle)
        std::this_thread::sleep_for(200ms);

    // The worker is paused until the long poll waits, so the decision must reach the API replica as a
    // wake-up (its own process decides nothing: it runs only the api module).
    d.worker(0).kill(SIGSTOP);
    const auto submitted = post_json(
        d.api_port(), "/applications",
        "{\"pan_number\":\"" + unique_pan() + "\",\"monthly_income_inr\":120000,\"loan_amount_inr\":500000}");
    REQUIRE(submitted.status == 202);
    const std::string id{boost::json::parse(submitted.body).at("application_id").as_string()};
    const auto started = steady::now();
    auto poll = std::async(std::launch::async, [&] {
        return http_request(d.api_port(), "GET", "/applications/" + id + "/status?wait=30");
    });
    const auto registered = steady::now() + 30s;
    while (scrape_metric(d.api_port(), "long_poll_waiters") != 1 && steady::now() < registered)
        std::this_thread::sleep_for(20ms);
    d.worker(0).kill(SIGCONT);
    REQUIRE(scrape_metric(d.api_port(), "long_poll_waiters") == 1);

    const auto r = poll.get();
    const auto elapsed = steady::now() - started;
    INFO(r.body);
    REQUIRE(r.status == 200);
    CHECK(std::string(boost::json::parse(r.body).at("status").as_string()) == "PRE_APPROVED");
    CHECK(elapsed < 15s);  // the wait was 30 s: the other process's decision woke it
    CHECK(scrape_metric(d.api_port(), "long_poll_wakeups_total{cause=\"decision\"}") >= 1);
    CHECK(scrape_metric(d.api_port(), "decisions_recorded_total") <= 0);
}
