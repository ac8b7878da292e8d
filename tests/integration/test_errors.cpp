// Every error status of the contract over a real socket, with the error body shape and X-Request-ID.
#include "service_fixture.hpp"
#include "support/pg_harness.hpp"

#include <boost/json/parse.hpp>
#include <catch2/catch.hpp>

#include <set>
#include <thread>

using namespace prequal::test;

namespace {

boost::json::object check_error(const http_result& r, int status, const std::string& code) {
    INFO(r.body);
    REQUIRE(r.status == status);
    auto v = boost::json::parse(r.body).as_object();
    CHECK(v.at("error_code").as_string() == code);
    CHECK(v.at("message").is_string());
    CHECK(v.at("details").is_array());
    CHECK(v.at("timestamp").is_string());
    CHECK(v.at("path").is_string());
    CHECK(v.at("request_id").as_string() == r.header("x-request-id"));
    CHECK_FALSE(r.header("x-request-id").empty());
    return v;
}

const std::string valid_body =
    R"({"pan_number":"PQRST1234U","monthly_income_inr":50000,"loan_amount_inr":100000})";

}  // namespace

TEST_CASE("integration: every error status of the contract", "[integration][pg]") {
    service_fixture f;
    const auto port = f.port();

    SECTION("400 malformed JSON and empty body") {
        check_error(post_json(port, "/applications", "{\"pan_number\":"), 400, "MALFORMED_JSON");
        check_error(post_json(port, "/applications", ""), 400, "MALFORMED_JSON");
    }
    SECTION("404 unknown path and unknown application") {
        check_error(http_request(port, "GET", "/nope"), 404, "NOT_FOUND");
        check_error(http_request(port, "GET", "/applications/3f1c0b9e-8a3e-4c55-9a43-2a8d2c1f9b70/status"),
                    404, "NOT_FOUND");
    }
    SECTION("405 with Allow on a known path") {
        auto r = http_request(port, "POST", "/applications/3f1c0b9e-8a3e-4c55-9a43-2a8d2c1f9b70/status", "{}",
                              {{"Content-Type", "application/json"}});
        check_error(r, 405, "METHOD_NOT_ALLOWED");
        CHECK(r.header("allow") == "GET");
        auto g = http_request(port, "GET", "/applications");
        check_error(g, 405, "METHOD_NOT_ALLOWED");
        CHECK(g.header("allow") == "POST");
    }
    SECTION("409 duplicate application") {
        REQUIRE(post_json(port, "/applications", valid_body).status == 202);
        check_error(post_json(port, "/applications", valid_body), 409, "DUPLICATE_APPLICATION");
    }
    SECTION("413 body over 64 KiB") {
        const std::string big = "{\"applicant_name\":\"" + std::string(70 * 1024, 'a') + "\"}";
        check_error(post_json(port, "/applications", big), 413, "PAYLOAD_TOO_LARGE");
    }
    SECTION("415 POST without a JSON content type") {
        check_error(http_request(port, "POST", "/applications", valid_body, {{"Content-Type", "text/plain"}}),
                    415, "UNSUPPORTED_MEDIA_TYPE");
        check_error(http_request(port, "POST", "/applications", valid_body), 415, "UNSUPPORTED_MEDIA_TYPE");
    }
    SECTION("422 validation names every failing field") {
        auto v = check_error(
            post_json(
                port, "/applications",
                R"({"pan_number":"abc","monthly_income_inr":-1,"loan_amount_inr":1.001,"loan_type":"BOAT","extra":1})"),
            422, "VALIDATION_ERROR");
        std::set<std::string> fields;
        for (const auto& d : v.at("details").as_array())
            fields.insert(std::string(d.at("field").as_string()));
        CHECK(fields == std::set<std::string>{"pan_number", "monthly_income_inr", "loan_amount_inr",
                                              "loan_type", "extra"});
    }
    SECTION("422 malformed application id") {
        check_error(http_request(port, "GET", "/applications/not-a-uuid/status"), 422, "VALIDATION_ERROR");
    }
    SECTION("422 Idempotency-Key reused with another body") {
        REQUIRE(post_json(port, "/applications", valid_body, {{"Idempotency-Key", "k-1"}}).status == 202);
        const std::string other =
            R"({"pan_number":"PQRST1234U","monthly_income_inr":50001,"loan_amount_inr":100000})";
        check_error(post_json(port, "/applications", other, {{"Idempotency-Key", "k-1"}}), 422,
                    "IDEMPOTENCY_KEY_REUSED");
    }
    SECTION("X-Request-ID: a well-formed client value is echoed, a bad one replaced") {
        auto r = http_request(port, "GET", "/health", "", {{"X-Request-ID", "client-abc-123"}});
        CHECK(r.status == 200);
        CHECK(r.header("x-request-id") == "client-abc-123");
        auto bad = http_request(port, "GET", "/nope", "", {{"X-Request-ID", std::string(200, 'x')}});
        auto v = check_error(bad, 404, "NOT_FOUND");
        CHECK(bad.header("x-request-id").size() == 36);
    }
}

TEST_CASE("integration: operational endpoints: health, ready, openapi, metrics", "[integration][pg]") {
    service_fixture f;
    auto ready = http_request(f.port(), "GET", "/ready");
    CHECK(ready.status == 200);
    auto health = http_request(f.port(), "GET", "/health");
    CHECK(health.status == 200);
    CHECK(health.body == R"({"status":"ok"})");
    auto openapi = http_request(f.port(), "GET", "/openapi.json");
    REQUIRE(openapi.status == 200);
    CHECK(boost::json::parse(openapi.body).as_object().at("openapi").as_string().starts_with("3."));
    auto metrics = http_request(f.port(), "GET", "/metrics");
    CHECK(metrics.status == 200);
    CHECK(metrics.header("content-type").starts_with("text/plain; version=0.0.4"));
    CHECK(metrics.body.find("# TYPE applications_accepted_total counter") != std::string::npos);
}

TEST_CASE("integration: a worker-only process serves the operational endpoints but not the API",
          "[integration][pg]") {
    service_fixture f{[](prequal::app::service_config& c) { c.run_api = false; }};
    auto health = http_request(f.port(), "GET", "/health");
    CHECK(health.status == 200);
    CHECK(health.body == R"({"status":"ok"})");
    auto ready = http_request(f.port(), "GET", "/ready");
    CHECK(ready.status == 200);
    CHECK(ready.body == R"({"status":"ready","checks":{"database":"ok","bus":"ok","draining":false}})");
    auto openapi = http_request(f.port(), "GET", "/openapi.json");
    REQUIRE(openapi.status == 200);
    CHECK(openapi.header("content-type") == "application/json; charset=utf-8");
    CHECK(boost::json::parse(openapi.body).as_object().at("paths").as_object().contains("/applications"));
    auto metrics = http_request(f.port(), "GET", "/metrics");
    CHECK(metrics.status == 200);
    CHECK(metrics.header("content-type").starts_with("text/plain; version=0.0.4"));
    CHECK(metrics.body.find("# TYPE db_circuit_state gauge") != std::string::npos);
    CHECK(metrics.body.find("# TYPE credit_reports_generated_total counter") != std::string::npos);
    check_error(post_json(f.port(), "/applications", valid_body), 404, "NOT_FOUND");
    const std::string some_id = "00000000-0000-0000-0000-000000000000";
    check_error(http_request(f.port(), "GET", "/applications/" + some_id + "/status"), 404, "NOT_FOUND");
}

TEST_CASE("integration: 503 SERVICE_UNAVAILABLE while the database is down, recovery without restart",
          "[integration][pg]") {
    service_fixture f;
    REQUIRE(f.submit(unique_pan(), "50000", "100000").status == 202);

    auto& cluster = pg_harness::instance().cluster();
    cluster.stop();
    auto r = f.submit(unique_pan(), "50000", "100000");
    check_error(r, 503, "SERVICE_UNAVAILABLE");
    CHECK(http_request(f.port(), "GET", "/ready").status == 503);
    CHECK(http_request(f.port(), "GET", "/health").status == 200);

    cluster.start();
    // The pool's circuit breaker lets the first probe through within its cool-down (at most 5 s); until
    // then the service keeps answering 503, as a client retrying later would see.
    http_result again = f.submit(unique_pan(), "50000", "100000");
    for (int i = 0; i < 300 && again.status == 503; ++i) {
        std::this_thread::sleep_for(std::chrono::milliseconds{50});
        again = f.submit(unique_pan(), "50000", "100000");
    }
    INFO(again.body);
    REQUIRE(again.status == 202);
    const std::string id(boost::json::parse(again.body).as_object().at("application_id").as_string());
    CHECK(f.wait_final(id).at("status").as_string() != "PENDING");
    CHECK(http_request(f.port(), "GET", "/ready").status == 200);
}
