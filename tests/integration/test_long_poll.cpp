// Long polls, GET .../status?wait=S (contract section 7), against a real PostgreSQL over real sockets: woken
// by the decision's NOTIFY, PENDING at the deadline, validation, no database connection per waiter, and
// every waiter answered at SIGTERM.
#include "server_process.hpp"
#include "service_fixture.hpp"
#include "support/pg_harness.hpp"
#include "support/service_test_access.hpp"

#include <boost/asio/steady_timer.hpp>
#include <boost/asio/this_coro.hpp>
#include <boost/asio/use_awaitable.hpp>
#include <boost/json/parse.hpp>
#include <catch2/catch.hpp>

#include <arpa/inet.h>
#include <netinet/in.h>
#include <poll.h>
#include <signal.h>
#include <sys/socket.h>
#include <unistd.h>

#include <chrono>
#include <sstream>
#include <string>
#include <thread>
#include <vector>

using namespace prequal::test;
using namespace std::chrono_literals;
using steady = std::chrono::steady_clock;

namespace {

/// Opens a connection to 127.0.0.1:port and sends a GET of `target` (Connection: close) without reading
/// the answer, so that many requests can be in flight from one thread. Returns the socket.
int send_get(std::uint16_t port, const std::string& target) {
    const int fd = ::socket(AF_INET, SOCK_STREAM, 0);
    REQUIRE(fd >= 0);
    sockaddr_in addr{};
    addr.sin_family = AF_INET;
    addr.sin_port = htons(port);
    addr.sin_addr.s_addr = htonl(INADDR_LOOPBACK);
    REQUIRE(::connect(fd, reinterpret_cast<sockaddr*>(&addr), sizeof addr) == 0);
    const std::string req = "GET " + target + " HTTP/1.1\r\nHost: 127.0.0.1\r\nConnection: close\r\n\r\n";
    REQUIRE(::send(fd, req.data(), req.size(), MSG_NOSIGNAL) == static_cast<ssize_t>(req.size()));
    return fd;
}

/// Reads the answer on `fd` until the server closes or `deadline` (shared by every request of a test, so a
/// server that never answers fails the test in bounded time) and closes it: status (0 if none) and body.
std::pair<int, std::string> read_answer(int fd, steady::time_point deadline) {
    std::string raw;
    char buf[4096];
    while (steady::now() < deadline) {
        pollfd p{fd, POLLIN, 0};
        if (::poll(&p, 1, 1000) <= 0) continue;
        const ssize_t n = ::recv(fd, buf, sizeof buf, 0);
        if (n <= 0) break;
        raw.append(buf, static_cast<std::size_t>(n));
    }
    ::close(fd);
    const auto head_end = raw.find("\r\n\r\n");
    if (raw.rfind("HTTP/1.1 ", 0) != 0 || head_end == std::string::npos) return {0, raw};
    return {std::stoi(raw.substr(9, 3)), raw.substr(head_end + 4)};
}

/// A labelled or plain sample of GET /metrics (-1 when absent).
double metric(std::uint16_t port, const std::string& sample) {
    std::istringstream in{http_request(port, "GET", "/metrics").body};
    std::string line;
    while (std::getline(in, line))
        if (line.rfind(sample + " ", 0) == 0) return std::stod(line.substr(sample.size() + 1));
    return -1;
}

/// Waits (bounded) until `n` long polls are registered on `port`; REQUIREs it.
void wait_for_waiters(std::uint16_t port, double n) {
    const auto deadline = steady::now() + 60s;
    while (metric(port, "long_poll_waiters") != n && steady::now() < deadline)
        std::this_thread::sleep_for(20ms);
    REQUIRE(metric(port, "long_poll_waiters") == n);
}

std::string status_of(const std::string& body) {
    return std::string(boost::json::parse(body).at("status").as_string());
}

/// Backends connected to the database of `conninfo`, apart from this query's own.
std::int64_t backends(const std::string& conninfo) {
    return sql_count(conninfo,
                     "SELECT count(*) FROM pg_stat_activity WHERE datname = current_database() "
                     "AND pid <> pg_backend_pid()");
}

}  // namespace

TEST_CASE(
    "integration: a long poll returns soon after the decision commits and well before the wait runs out",
    "[integration][pg]") {
    service_fixture f;
    // The decision is held back for a second so the long poll finds the application PENDING and has to be
    // woken (by the NOTIFY of the decision's transaction) rather than finding it decided already.
    service_test_access::run_on_io(f.service(), [&] {
        service_test_access::decision_module(f.service())->before_update =
            [](const std::string&) -> boost::asio::awaitable<void> {
            boost::asio::steady_timer hold{co_await boost::asio::this_coro::executor, 1s};
            co_await hold.async_wait(boost::asio::use_awaitable);
        };
    });
    const auto id = f.submit_ok(unique_pan(), "120000", "500000");
    const auto started = steady::now();
    const auto r = http_request(f.port(), "GET", "/applications/" + id + "/status?wait=30");
    const auto elapsed = steady::now() - started;
    INFO(r.body);
    REQUIRE(r.status == 200);
    CHECK(status_of(r.body) == "PRE_APPROVED");
    CHECK(elapsed < 10s);  // the wait was 30 s: it ended because the decision woke it
    CHECK(metric(f.port(), "long_poll_wakeups_total{cause=\"decision\"}") >= 1);
    CHECK(metric(f.port(), "long_poll_waiters") == 0);
}

TEST_CASE("integration: a long poll on an undecided application answers PENDING after S seconds",
          "[integration][pg]") {
    service_fixture f{[](prequal::app::service_config& c) { c.run_credit = false; }};  // nothing decides
    const auto id = f.submit_ok(unique_pan(), "120000", "500000");
    const auto started = steady::now();
    const auto r = http_request(f.port(), "GET", "/applications/" + id + "/status?wait=2");
    const auto elapsed = steady::now() - started;
    INFO(r.body);
    REQUIRE(r.status == 200);
    const auto body = boost::json::parse(r.body).as_object();
    CHECK(body.at("status").as_string() == "PENDING");
    CHECK(body.at("cibil_score").is_null());
    CHECK(body.at("reason_codes").is_null());
    CHECK(elapsed >= 2s);
    CHECK(elapsed < 10s);
    // Without `wait` the read answers at once, as before.
    const auto quick_start = steady::now();
    CHECK(http_request(f.port(), "GET", "/applications/" + id + "/status").status == 200);
    CHECK(steady::now() - quick_start < 2s);
}

TEST_CASE("integration: wait other than one integer 1-30 is 422 naming wait and an unknown id is 404 at once",
          "[integration][pg]") {
    service_fixture f{[](prequal::app::service_config& c) { c.run_credit = false; }};
    const auto id = f.submit_ok(unique_pan(), "120000", "500000");
    for (const std::string wait : {"0", "31", "abc", "-1", "1.5", "", "5&wait=5"}) {
        INFO("wait=" << wait);
        const auto started = steady::now();
        const auto r = http_request(f.port(), "GET", "/applications/" + id + "/status?wait=" + wait);
        INFO(r.body);
        REQUIRE(r.status == 422);
        const auto body = boost::json::parse(r.body).as_object();
        CHECK(body.at("error_code").as_string() == "VALIDATION_ERROR");
        const auto& details = body.at("details").as_array();
        REQUIRE(details.size() == 1);
        CHECK(details[0].at("field").as_string() == "wait");
        CHECK(steady::now() - started < 2s);
    }
    const auto started = steady::now();
    const auto unknown =
        http_request(f.port(), "GET", "/applications/3f1c0b9e-8a3e-4c55-9a43-2a8d2c1f9b70/status?wait=30");
    CHECK(unknown.status == 404);
    CHECK(steady::now() - started < 2s);
    // A malformed id and a bad wait: both named.
    const auto both = http_request(f.port(), "GET", "/applications/nope/status?wait=0");
    REQUIRE(both.status == 422);
    CHECK(boost::json::parse(both.body).at("details").as_array().size() == 2);
}

TEST_CASE("integration: 1000 concurrent long polls hold no database connection", "[integration][pg][slow]") {
    constexpr int waiters = 1000;
    constexpr int pool_size = 4;
    service_fixture f{[](prequal::app::service_config& c) {
        c.run_credit = false;
        c.db_pool_size = pool_size;
    }};
    const auto id = f.submit_ok(unique_pan(), "120000", "500000");
    const std::string target = "/applications/" + id + "/status";
    // Warm the pool up to its size with concurrent plain reads, then count the service's connections.
    {
        std::vector<int> burst;
        for (int i = 0; i < 50; ++i) burst.push_back(send_get(f.port(), target));
        const auto deadline = steady::now() + 30s;
        for (int fd : burst) CHECK(read_answer(fd, deadline).first == 200);
    }
    const auto before = backends(f.conninfo());

    std::vector<int> polls;
    polls.reserve(waiters);
    const auto started = steady::now();
    for (int i = 0; i < waiters; ++i) polls.push_back(send_get(f.port(), target + "?wait=20"));
    wait_for_waiters(f.port(), waiters);
    const auto during = backends(f.conninfo());
    INFO("backends before: " << before << ", with 1000 waiting: " << during);
    // A waiter holding a connection would need 1,000 of them; the pool has 4 and every waiter is served.
    CHECK(during <= before + pool_size);
    CHECK(during < 50);

    int ok = 0;
    const auto deadline = steady::now() + 60s;
    for (int fd : polls) {
        const auto [status, body] = read_answer(fd, deadline);
        if (status == 200 && status_of(body) == "PENDING") ++ok;
    }
    CHECK(ok == waiters);
    CHECK(steady::now() - started >= 20s);  // they waited for their deadline
    CHECK(metric(f.port(), "long_poll_waiters") == 0);
}

TEST_CASE("integration: SIGTERM answers every long poll at once with the current state",
          "[integration][pg]") {
    constexpr int waiters = 200;
    const std::string db = pg_harness::instance().fresh_database();
    const auto keys = make_test_keys();
    const auto port = free_port();
    auto args = memory_serve_args(db, port, keys.encryption_keys, keys.pan_index_key);
    args.emplace_back("--modules=api,decision");  // no credit module: applications stay PENDING
    server_process server{args};
    wait_healthy(port);
    const auto submitted = post_json(
        port, "/applications",
        "{\"pan_number\":\"" + unique_pan() + "\",\"monthly_income_inr\":120000,\"loan_amount_inr\":500000}");
    REQUIRE(submitted.status == 202);
    const std::string id{boost::json::parse(submitted.body).at("application_id").as_string()};

    std::vector<int> polls;
    for (int i = 0; i < waiters; ++i)
        polls.push_back(send_get(port, "/applications/" + id + "/status?wait=30"));
    wait_for_waiters(port, waiters);
    const auto signalled = steady::now();
    server.kill(SIGTERM);
    int ok = 0;
    const auto deadline = steady::now() + 60s;
    for (int fd : polls) {
        const auto [status, body] = read_answer(fd, deadline);
        if (status == 200 && status_of(body) == "PENDING") ++ok;
    }
    const auto answered_in = steady::now() - signalled;
    CHECK(ok == waiters);
    CHECK(answered_in < 10s);  // not at their 30 s deadline
    CHECK(server.wait() == 0);
}
