// End to end through HTTP: the three outcomes, the status document, and what the database holds.
#include "service_fixture.hpp"
#include "support/service_test_access.hpp"

#include <prequal/bus/message.hpp>

#include <boost/json/parse.hpp>
#include <catch2/catch.hpp>

#include <thread>

using namespace prequal::test;

TEST_CASE("integration: the three outcomes end to end through HTTP", "[integration][pg]") {
    service_fixture f;

    const std::string approved = f.submit_ok("ABCDE1234F", "120000", "500000", "HOME");
    const std::string rejected = f.submit_ok("FGHIJ5678K", "\"50000.00\"", "200000", "AUTO");
    // Ordinary PAN: base 650 + 40 (income > 75000) + 0 (AUTO) ± 5 ≥ 685; 90000 × 48 = 4320000 < loan.
    const std::string review = f.submit_ok(unique_pan(), "90000", "\"5000000.00\"", "AUTO");

    auto a = f.wait_final(approved);
    CHECK(a.at("status").as_string() == "PRE_APPROVED");
    CHECK(a.at("cibil_score").as_int64() == 790);
    CHECK(a.at("pan_number_masked").as_string() == "XXXXXX234F");
    CHECK(a.at("decision_reason").as_string() ==
          "CIBIL 790 >= 650 and monthly income 120000.00 > loan/48 (10416.67)");
    CHECK(a.at("max_approved_amount_inr").as_string() == "5760000.00");
    CHECK(a.at("application_id").as_string() == approved);

    auto r = f.wait_final(rejected);
    CHECK(r.at("status").as_string() == "REJECTED");
    CHECK(r.at("cibil_score").as_int64() == 610);
    CHECK(r.at("max_approved_amount_inr").is_null());
    CHECK(r.at("decision_reason").as_string() == "CIBIL 610 < 650");

    auto m = f.wait_final(review);
    CHECK(m.at("status").as_string() == "MANUAL_REVIEW");
    const auto score = m.at("cibil_score").as_int64();
    CHECK(score >= 685);
    CHECK(score <= 695);
    CHECK(m.at("max_approved_amount_inr").as_string() == "4320000.00");

    // Exactly one credit report and one decision per application; the PAN nowhere in clear.
    CHECK(prequal::test::sql_count(f.conninfo(), "SELECT count(*) FROM credit_reports") == 3);
    CHECK(prequal::test::sql_count(f.conninfo(),
                                   "SELECT count(*) FROM audit_log WHERE action = 'DECISION_RECORDED'") == 3);
    CHECK(prequal::test::sql_count(
              f.conninfo(),
              "SELECT count(*) FROM applications WHERE pan_ciphertext LIKE '%ABCDE1234F%' OR "
              "pan_hmac LIKE '%ABCDE1234F%'") == 0);
    CHECK(prequal::test::sql_count(
              f.conninfo(), "SELECT count(*) FROM outbox_events WHERE payload LIKE '%ABCDE1234F%'") == 0);
    CHECK(prequal::test::sql_count(
              f.conninfo(), "SELECT count(*) FROM audit_log WHERE detail::text LIKE '%ABCDE1234F%'") == 0);
}

TEST_CASE("integration: a pending application reads back with null decision fields", "[integration][pg]") {
    // No credit module in this process: the application stays PENDING.
    service_fixture f{[](prequal::app::service_config& c) { c.run_credit = false; }};
    const std::string id = f.submit_ok(unique_pan(), "\"45000.50\"", "300000");
    auto r = http_request(f.port(), "GET", "/applications/" + id + "/status");
    REQUIRE(r.status == 200);
    auto v = boost::json::parse(r.body).as_object();
    CHECK(v.at("status").as_string() == "PENDING");
    CHECK(v.at("cibil_score").is_null());
    CHECK(v.at("decision_reason").is_null());
    CHECK(v.at("max_approved_amount_inr").is_null());
    CHECK(v.at("reason_codes").is_null());
    CHECK(v.at("ruleset_version").is_null());
    CHECK(v.at("created_at").as_string().size() == 24);  // 2026-11-21T10:00:00.123Z
    CHECK(r.header("content-type") == "application/json; charset=utf-8");
    // Exact money stored as given.
    CHECK(sql_value(f.conninfo(), "SELECT monthly_income::text FROM applications") == "45000.50");
}

TEST_CASE("integration: a duplicate message injected into the bus is processed once", "[integration][pg]") {
    // The decision pipeline alone: the notify module (on by default) would add its own inbox record of the
    // decided event to the processed_messages counted below.
    service_fixture f{[](prequal::app::service_config& c) { c.run_notify = false; }};
    const std::string id = f.submit_ok(unique_pan(), "80000", "100000", "PERSONAL");
    auto first = f.wait_final(id);

    // Re-inject the very same submitted and credit events (same message ids), twice each.
    for (const char* topic : {"loan_applications_submitted", "credit_reports_generated"}) {
        const std::string payload =
            sql_value(f.conninfo(), "SELECT payload FROM outbox_events WHERE topic = '" + std::string(topic) +
                                        "' AND aggregate_key = '" + id + "'");
        const std::string message_id =
            sql_value(f.conninfo(), "SELECT message_id FROM outbox_events WHERE topic = '" +
                                        std::string(topic) + "' AND aggregate_key = '" + id + "'");
        REQUIRE_FALSE(payload.empty());
        for (int i = 0; i < 2; ++i) {
            prequal::bus::message m;
            m.topic = topic;
            m.key = id;
            m.payload = payload;
            m.headers = {{"message_id", message_id}};
            service_test_access::inject(f.service(), std::move(m));
        }
    }
    // Wait until both groups have skipped both copies (observable on /metrics).
    const auto deadline = std::chrono::steady_clock::now() + std::chrono::seconds{10};
    std::string metrics;
    while (std::chrono::steady_clock::now() < deadline) {
        metrics = http_request(f.port(), "GET", "/metrics").body;
        if (metrics.find("consumer_duplicates_skipped_total{group=\"credit\"} 2") != std::string::npos &&
            metrics.find("consumer_duplicates_skipped_total{group=\"decision\"} 2") != std::string::npos)
            break;
        std::this_thread::sleep_for(std::chrono::milliseconds{20});
    }
    INFO(metrics);
    CHECK(metrics.find("consumer_duplicates_skipped_total{group=\"credit\"} 2") != std::string::npos);
    CHECK(metrics.find("consumer_duplicates_skipped_total{group=\"decision\"} 2") != std::string::npos);
    CHECK(sql_count(f.conninfo(), "SELECT count(*) FROM audit_log WHERE action = 'PAN_DECRYPTED'") == 3);
    CHECK(sql_count(f.conninfo(), "SELECT count(*) FROM credit_reports") == 1);
    CHECK(sql_count(f.conninfo(),
                    "SELECT count(*) FROM outbox_events WHERE topic = 'credit_reports_generated'") == 1);
    CHECK(sql_count(f.conninfo(), "SELECT count(*) FROM audit_log WHERE action = 'DECISION_RECORDED'") == 1);
    CHECK(sql_count(f.conninfo(), "SELECT count(*) FROM processed_messages") == 2);
    CHECK(sql_value(f.conninfo(), "SELECT version FROM applications") == "2");
    auto after = f.wait_final(id);
    CHECK(after.at("updated_at") == first.at("updated_at"));
}
