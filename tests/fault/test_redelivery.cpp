// Duplicate and out-of-order redelivery storms: every submitted and credit event is injected many times in
// shuffled order (credit reports before submissions) while new applications flow; each is decided once.
#include "fault_support.hpp"
#include "service_fixture.hpp"
#include "support/service_test_access.hpp"

#include <prequal/bus/message.hpp>

#include <catch2/catch.hpp>
#include <libpq-fe.h>

#include <algorithm>
#include <atomic>
#include <random>
#include <sstream>
#include <thread>

using namespace prequal::test;
using namespace std::chrono_literals;

namespace {

// The outbox events of the decision pipeline, as bus messages as the publisher builds them
// (loan_applications_decided, consumed by the notify module, is left out: the storm is about deciding once).
std::vector<prequal::bus::message> outbox_messages(const std::string& conninfo) {
    PGconn* c = PQconnectdb(conninfo.c_str());
    REQUIRE(PQstatus(c) == CONNECTION_OK);
    PGresult* r = PQexec(
        c,
        "SELECT topic, message_id, event_type, coalesce(request_id, ''), payload, aggregate_key "
        "FROM outbox_events WHERE topic IN ('loan_applications_submitted', 'credit_reports_generated') "
        "ORDER BY id");
    REQUIRE(PQresultStatus(r) == PGRES_TUPLES_OK);
    std::vector<prequal::bus::message> out;
    for (int i = 0; i < PQntuples(r); ++i) {
        prequal::bus::message m;
        m.topic = PQgetvalue(r, i, 0);
        m.key = PQgetvalue(r, i, 5);
        m.payload = PQgetvalue(r, i, 4);
        m.headers = {{"message_id", PQgetvalue(r, i, 1)},
                     {"event_type", PQgetvalue(r, i, 2)},
                     {"message_version", "1"},
                     {"request_id", PQgetvalue(r, i, 3)}};
        out.push_back(std::move(m));
    }
    PQclear(r);
    PQfinish(c);
    return out;
}

double delivered_total(std::uint16_t port) {
    std::istringstream in(http_request(port, "GET", "/metrics").body);
    std::string line;
    double sum = 0;
    while (std::getline(in, line))
        if (line.starts_with("bus_messages_delivered_total{"))
            sum += std::stod(line.substr(line.rfind(' ') + 1));
    return sum;
}

}  // namespace

TEST_CASE("fault: duplicate and out-of-order redelivery storm decides each application once",
          "[fault][slow]") {
    constexpr int applications = 60;
    constexpr int copies = 8;
    service_fixture f;
    std::set<std::string> accepted;
    for (int i = 0; i < applications; ++i)
        accepted.insert(f.submit_ok(unique_pan(), "65000", "900000", "PERSONAL"));
    REQUIRE(wait_no_pending(f.conninfo(), 60s));

    const auto originals = outbox_messages(f.conninfo());
    REQUIRE(originals.size() >= 2 * applications);  // submitted + credit report per application
    std::vector<prequal::bus::message> storm;
    for (int k = 0; k < copies; ++k) storm.insert(storm.end(), originals.begin(), originals.end());
    std::mt19937 rng{std::random_device{}()};
    std::shuffle(storm.begin(), storm.end(), rng);
    // Make sure the storm starts out of order: every credit report ahead of every submission.
    std::stable_partition(
        storm.begin(), storm.begin() + static_cast<long>(originals.size()),
        [](const prequal::bus::message& m) { return m.topic == "credit_reports_generated"; });

    const double delivered_before = delivered_total(f.port());
    // New applications keep flowing through the same consumers during the storm.
    std::atomic<bool> stop{false};
    std::mutex mutex;
    std::thread submitter([&] {
        while (!stop) {
            auto r = post_json(f.port(), "/applications", application_body());
            if (r.status == 202) {
                std::lock_guard lock{mutex};
                accepted.insert(application_id_of(r.body));
            }
            std::this_thread::sleep_for(10ms);
        }
    });
    for (auto& m : storm) service_test_access::inject(f.service(), m);
    stop = true;
    submitter.join();

    // Every injected copy is delivered (handled as a duplicate) before the counts are read.
    const auto deadline = std::chrono::steady_clock::now() + 60s;
    while (delivered_total(f.port()) < delivered_before + static_cast<double>(storm.size()) &&
           std::chrono::steady_clock::now() < deadline)
        std::this_thread::sleep_for(100ms);
    CHECK(delivered_total(f.port()) >= delivered_before + static_cast<double>(storm.size()));
    REQUIRE(wait_no_pending(f.conninfo(), 60s));

    const auto report = check_exactly_once(f.conninfo(), accepted);
    CHECK(report.lost == 0);
    CHECK(report.duplicated == 0);
    CHECK(report.incomplete == 0);
    CHECK(sql_count(f.conninfo(), "SELECT count(*) FROM dead_letters") == 0);
    print_fault_row("redelivery storm: " + std::to_string(copies) + " shuffled copies of every event", 0,
                    report, std::to_string(storm.size()) + " messages injected");
}

TEST_CASE(
    "fault: credit reports redelivered ahead of their submissions to undecided applications decide each once",
    "[fault][slow]") {
    constexpr int applications = 40;
    constexpr int copies = 5;
    prequal::app::service_config config;
    std::set<std::string> accepted;
    std::string conninfo;
    {
        // First without the decision module: credit reports exist, nothing is decided yet.
        service_fixture f([&](prequal::app::service_config& c) {
            c.run_decision = false;
            config = c;
        });
        conninfo = f.conninfo();
        for (int i = 0; i < applications; ++i)
            accepted.insert(f.submit_ok(unique_pan(), "65000", "900000", "PERSONAL"));
        const auto deadline = std::chrono::steady_clock::now() + 60s;
        while (sql_count(conninfo, "SELECT count(*) FROM credit_reports") < applications &&
               std::chrono::steady_clock::now() < deadline)
            std::this_thread::sleep_for(100ms);
        REQUIRE(sql_count(conninfo, "SELECT count(*) FROM credit_reports") == applications);
        REQUIRE(sql_count(conninfo, "SELECT count(*) FROM applications WHERE status = 'PENDING'") ==
                applications);
    }
    const auto originals = outbox_messages(conninfo);
    std::vector<prequal::bus::message> credit;
    std::vector<prequal::bus::message> submitted;
    for (const auto& m : originals) (m.topic == "credit_reports_generated" ? credit : submitted).push_back(m);
    REQUIRE(credit.size() == applications);
    REQUIRE(submitted.size() == applications);
    std::mt19937 rng{std::random_device{}()};
    std::vector<prequal::bus::message> storm;
    for (int k = 0; k < copies; ++k) storm.insert(storm.end(), credit.begin(), credit.end());
    std::shuffle(storm.begin(), storm.end(), rng);
    std::vector<prequal::bus::message> later;
    for (int k = 0; k < copies; ++k) later.insert(later.end(), submitted.begin(), submitted.end());
    later.insert(later.end(), credit.begin(), credit.end());
    std::shuffle(later.begin(), later.end(), rng);
    storm.insert(storm.end(), later.begin(), later.end());

    // Now with every module, while the start-up re-drive of unfinished work runs too.
    config.run_decision = true;
    config.listen_port = 0;
    prequal::app::service again(config, prequal::core::logger{"test-storm", prequal::core::log_level::warn});
    again.start();
    const double delivered_before = delivered_total(again.port());
    for (auto& m : storm) service_test_access::inject(again, m);
    const auto deadline = std::chrono::steady_clock::now() + 60s;
    while (delivered_total(again.port()) < delivered_before + static_cast<double>(storm.size()) &&
           std::chrono::steady_clock::now() < deadline)
        std::this_thread::sleep_for(100ms);
    CHECK(delivered_total(again.port()) >= delivered_before + static_cast<double>(storm.size()));
    CHECK(wait_no_pending(conninfo, 60s));
    again.request_stop();
    CHECK(again.wait() == 0);

    const auto report = check_exactly_once(conninfo, accepted);
    CHECK(report.lost == 0);
    CHECK(report.duplicated == 0);
    CHECK(report.incomplete == 0);
    CHECK(sql_count(conninfo, "SELECT count(*) FROM dead_letters") == 0);
    print_fault_row("out-of-order storm on undecided applications: credit reports first, " +
                        std::to_string(copies) + "+ copies",
                    applications, report, std::to_string(storm.size()) + " messages injected");
}
