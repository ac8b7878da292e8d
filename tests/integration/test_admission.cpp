// Admission control (contract section 6), with the real binary: an API-only replica (nothing decides) sheds
// POST /applications with 503 + Retry-After once the backlog is over --max-pending or older than
// --max-pending-age-seconds, keeps answering reads, and admits again by itself once a worker process on the
// same database has drained the backlog.
#include "http_client.hpp"
#include "server_process.hpp"
#include "service_fixture.hpp"
#include "support/pg_harness.hpp"

#include <boost/json/parse.hpp>
#include <catch2/catch.hpp>

#include <signal.h>

#include <chrono>
#include <string>
#include <thread>

using namespace prequal::test;

namespace {

http_result submit(std::uint16_t port) {
    return post_json(
        port, "/applications",
        "{\"pan_number\":\"" + unique_pan() +
            "\",\"monthly_income_inr\":90000,\"loan_amount_inr\":500000,\"loan_type\":\"HOME\"}");
}

std::string application_id(const http_result& r) {
    return std::string(boost::json::parse(r.body).as_object().at("application_id").as_string());
}

// POSTs (one every 100 ms) until one is answered with `status`, for at most `timeout`; returns that answer
// (or the last one). Every other answer must be `other`.
http_result submit_until(std::uint16_t port, int status, int other, std::chrono::seconds timeout) {
    const auto deadline = std::chrono::steady_clock::now() + timeout;
    http_result r;
    while (std::chrono::steady_clock::now() < deadline) {
        r = submit(port);
        if (r.status == status) return r;
        INFO(r.body);
        REQUIRE(r.status == other);
        std::this_thread::sleep_for(std::chrono::milliseconds{100});
    }
    return r;
}

// A value of an unlabelled metric in /metrics ("" when absent).
std::string metric(std::uint16_t port, const std::string& name) {
    const auto body = http_request(port, "GET", "/metrics").body;
    const auto at = body.find("\n" + name + " ");
    if (at == std::string::npos) return {};
    const auto from = at + name.size() + 2;
    return body.substr(from, body.find('\n', from) - from);
}

// The shedding answer: the contract's error body, SERVICE_UNAVAILABLE, and Retry-After.
void check_shed(const http_result& r) {
    INFO(r.body);
    REQUIRE(r.status == 503);
    CHECK(r.header("retry-after") == "5");
    const auto body = boost::json::parse(r.body).as_object();
    CHECK(body.at("error_code").as_string() == "SERVICE_UNAVAILABLE");
    CHECK(body.at("path").as_string() == "/applications");
    CHECK(body.at("request_id").as_string() == r.header("x-request-id"));
}

std::vector<std::string> api_only_args(const std::string& db, std::uint16_t port, const test_keys& keys) {
    auto args = memory_serve_args(db, port, keys.encryption_keys, keys.pan_index_key);
    args.push_back("--modules=api");
    return args;
}

}  // namespace

TEST_CASE(
    "integration: over --max-pending POST gets 503 with Retry-After, reads go on, and a worker's drain "
    "brings 202 back",
    "[integration][pg][slow]") {
    const std::string db = pg_harness::instance().fresh_database();
    const auto keys = make_test_keys();
    const std::uint16_t api_port = free_port();
    auto args = api_only_args(db, api_port, keys);
    args.push_back("--max-pending=20");
    server_process api{args};
    wait_healthy(api_port);
    CHECK(metric(api_port, "admission_shedding") == "0");

    // Nothing decides here: 21 applications put the backlog over the limit (the first 21 are admitted: the
    // limit is "more than 20").
    std::string first_id;
    for (int i = 0; i < 21; ++i) {
        const auto r = submit(api_port);
        INFO(r.body);
        REQUIRE(r.status == 202);
        if (i == 0) first_id = application_id(r);
    }
    // The backlog is read every second: the refusal comes within a few seconds (202s until then).
    check_shed(submit_until(api_port, 503, 202, std::chrono::seconds{15}));
    check_shed(submit(api_port));  // and stays
    CHECK(metric(api_port, "admission_shedding") == "1");
    CHECK(std::stoll(metric(api_port, "admission_rejected_total")) >= 2);
    CHECK(std::stoll(metric(api_port, "applications_pending")) == 21);  // counted up to the limit + 1

    // Reads go on.
    const auto status = http_request(api_port, "GET", "/applications/" + first_id + "/status");
    REQUIRE(status.status == 200);
    CHECK(boost::json::parse(status.body).as_object().at("status").as_string() == "PENDING");
    CHECK(http_request(api_port, "GET", "/health").status == 200);
    CHECK(http_request(api_port, "GET", "/ready").status == 200);  // healthy, only behind

    // A worker replica on the same database decides the backlog (at start-up it re-drives what is unfinished;
    // what the API replica's own memory bus dropped meanwhile is re-driven as stuck after 1 s).
    const std::uint16_t worker_port = free_port();
    auto worker_args = memory_serve_args(db, worker_port, keys.encryption_keys, keys.pan_index_key);
    worker_args.insert(worker_args.end(), {"--modules=credit,decision", "--stuck-after-seconds=1",
                                           "--redrive-interval-seconds=1"});
    server_process worker{worker_args};
    wait_healthy(worker_port);

    // Acceptance resumes by itself (503s until then).
    const auto back = submit_until(api_port, 202, 503, std::chrono::seconds{90});
    INFO(back.body);
    REQUIRE(back.status == 202);
    CHECK(metric(api_port, "admission_shedding") == "0");
    // Everything is decided in the end, the first application included.
    const auto deadline = std::chrono::steady_clock::now() + std::chrono::seconds{60};
    while (std::chrono::steady_clock::now() < deadline &&
           sql_count(db, "SELECT count(*) FROM applications WHERE status = 'PENDING'") > 0)
        std::this_thread::sleep_for(std::chrono::milliseconds{200});
    CHECK(sql_count(db, "SELECT count(*) FROM applications WHERE status = 'PENDING'") == 0);
    const auto decided = http_request(api_port, "GET", "/applications/" + first_id + "/status");
    REQUIRE(decided.status == 200);
    CHECK(boost::json::parse(decided.body).as_object().at("status").as_string() != "PENDING");

    worker.kill(SIGTERM);
    CHECK(worker.wait() == 0);
    api.kill(SIGTERM);
    CHECK(api.wait() == 0);
}

TEST_CASE(
    "integration: an oldest PENDING application older than --max-pending-age-seconds sheds POST until it "
    "is decided",
    "[integration][pg][slow]") {
    const std::string db = pg_harness::instance().fresh_database();
    const auto keys = make_test_keys();
    const std::uint16_t port = free_port();
    auto args = api_only_args(db, port, keys);
    args.insert(args.end(), {"--max-pending=0", "--max-pending-age-seconds=2"});
    server_process api{args};
    wait_healthy(port);

    const auto first = submit(port);
    REQUIRE(first.status == 202);
    const std::string id = application_id(first);
    // Admitted while the oldest is young (--max-pending=0: no count limit), refused once it is over 2 s old.
    check_shed(submit_until(port, 503, 202, std::chrono::seconds{15}));
    CHECK(http_request(port, "GET", "/applications/" + id + "/status").status == 200);

    // Decide everything behind the server's back (what a worker would do): acceptance resumes.
    sql_value(db, "UPDATE applications SET status = 'REJECTED' WHERE status = 'PENDING'");
    const auto back = submit_until(port, 202, 503, std::chrono::seconds{15});
    REQUIRE(back.status == 202);

    api.kill(SIGTERM);
    CHECK(api.wait() == 0);
}

TEST_CASE("integration: /openapi.json documents the 503 of POST /applications with Retry-After",
          "[integration][pg]") {
    service_fixture f;
    const auto doc = boost::json::parse(http_request(f.port(), "GET", "/openapi.json").body).as_object();
    const auto& post_503 =
        doc.at("paths").at("/applications").at("post").at("responses").at("503").as_object();
    const std::string ref{post_503.at("$ref").as_string()};
    const std::string name = ref.substr(ref.rfind('/') + 1);
    const auto& response = doc.at("components").at("responses").at(name).as_object();
    CHECK(response.at("headers").as_object().contains("Retry-After"));
}
