// Decisions reaching clients (contract section 7) on the memory bus: reason codes and the ruleset version in
// the status body and the audit log, and exactly one loan_applications_decided event per decision, published
// after the application's credit report and free of personal data.
#include "service_fixture.hpp"

#include <boost/json/parse.hpp>
#include <catch2/catch.hpp>

#include <chrono>
#include <set>
#include <string>
#include <thread>
#include <vector>

using namespace prequal::test;
using namespace std::chrono_literals;

namespace {

const std::string ruleset = "2026-12-04.1";

/// Submits with an applicant name; returns the application id.
std::string submit_named(service_fixture& f, const std::string& pan, const std::string& name,
                         const std::string& income, const std::string& loan) {
    const auto r = post_json(f.port(), "/applications",
                             "{\"pan_number\":\"" + pan + "\",\"applicant_name\":\"" + name +
                                 "\",\"monthly_income_inr\":" + income + ",\"loan_amount_inr\":" + loan +
                                 ",\"loan_type\":\"AUTO\"}");
    INFO(r.body);
    REQUIRE(r.status == 202);
    return std::string(boost::json::parse(r.body).at("application_id").as_string());
}

std::vector<std::string> codes_of(const boost::json::value& v) {
    std::vector<std::string> out;
    for (const auto& c : v.as_array()) out.emplace_back(c.as_string());
    return out;
}

/// Polls (bounded) until `query` counts `expected`; returns the last count.
std::int64_t wait_count(const std::string& conninfo, const std::string& query, std::int64_t expected) {
    const auto deadline = std::chrono::steady_clock::now() + 30s;
    std::int64_t n = sql_count(conninfo, query);
    while (n != expected && std::chrono::steady_clock::now() < deadline) {
        std::this_thread::sleep_for(20ms);
        n = sql_count(conninfo, query);
    }
    return n;
}

}  // namespace

TEST_CASE("integration: each outcome carries its reason codes and ruleset version in status, audit and event",
          "[integration][pg]") {
    // The decision pipeline alone: with the notify module (on by default) the decided events would have a
    // subscriber, and this test counts them as dropped by the memory bus.
    service_fixture f{[](prequal::app::service_config& c) { c.run_notify = false; }};
    const std::string manual_pan = unique_pan();
    const std::vector<std::string> personal{"ABCDE1234F", "FGHIJ5678K", manual_pan,
                                            "Asha Verma", "Ravi Kumar", "Meera Iyer"};
    const auto approved = submit_named(f, "ABCDE1234F", "Asha Verma", "120000", "500000");
    const auto rejected = submit_named(f, "FGHIJ5678K", "Ravi Kumar", "50000", "100000");
    // 650 + 40 (income > 75000) ± 5 ≥ 650, and 80000 × 48 = 3840000 ≤ 9000000.
    const auto manual = submit_named(f, manual_pan, "Meera Iyer", "80000", "9000000");

    struct expected {
        std::string id;
        std::string status;
        std::vector<std::string> codes;
    };
    const std::vector<expected> cases{
        {approved, "PRE_APPROVED", {"SCORE_AT_LEAST_650", "INCOME_ABOVE_LOAN_OVER_48"}},
        {rejected, "REJECTED", {"SCORE_BELOW_650"}},
        {manual, "MANUAL_REVIEW", {"SCORE_AT_LEAST_650", "INCOME_NOT_ABOVE_LOAN_OVER_48"}}};
    for (const auto& c : cases) {
        INFO(c.status);
        const auto body = f.wait_final(c.id);
        CHECK(body.at("status").as_string() == c.status);
        CHECK(codes_of(body.at("reason_codes")) == c.codes);
        CHECK(body.at("ruleset_version").as_string() == ruleset);

        // The audit entry of the decision records them.
        const auto detail = boost::json::parse(
            sql_value(f.conninfo(),
                      "SELECT detail::text FROM audit_log WHERE action = 'DECISION_RECORDED' "
                      "AND application_id = '" +
                          c.id + "'"));
        CHECK(codes_of(detail.at("reason_codes")) == c.codes);
        CHECK(detail.at("ruleset_version").as_string() == ruleset);
    }

    // Exactly one decision event per application, each published, each after the application's credit report.
    const std::string decided = "FROM outbox_events WHERE topic = 'loan_applications_decided'";
    CHECK(wait_count(f.conninfo(), "SELECT count(*) " + decided + " AND published_at IS NOT NULL", 3) == 3);
    CHECK(sql_count(f.conninfo(), "SELECT count(*) " + decided) == 3);
    CHECK(sql_count(f.conninfo(), "SELECT count(DISTINCT message_id) " + decided) == 3);
    CHECK(sql_count(f.conninfo(), "SELECT count(DISTINCT aggregate_key) " + decided) == 3);
    CHECK(sql_count(f.conninfo(),
                    "SELECT count(*) FROM outbox_events d JOIN outbox_events c ON c.aggregate_key = "
                    "d.aggregate_key AND c.topic = 'credit_reports_generated' "
                    "WHERE d.topic = 'loan_applications_decided' AND c.id < d.id") == 3);
    for (const auto& c : cases) {
        INFO(c.status);
        const std::string payload =
            sql_value(f.conninfo(), "SELECT payload " + decided + " AND aggregate_key = '" + c.id + "'");
        for (const auto& p : personal) CHECK(payload.find(p) == std::string::npos);
        const auto event = boost::json::parse(payload).as_object();
        CHECK(event.at("event_type").as_string() == "application_decided");
        CHECK(event.at("message_version").as_int64() == 1);
        CHECK(event.at("application_id").as_string() == c.id);
        CHECK(event.at("client").as_string() == "anonymous");
        CHECK(event.at("status").as_string() == c.status);
        CHECK(codes_of(event.at("reason_codes")) == c.codes);
        CHECK(event.at("ruleset_version").as_string() == ruleset);
        CHECK(event.at("decided_by").as_string() == "rules");
        CHECK(event.at("cibil_score").is_int64());
        CHECK(event.contains("max_approved_amount_inr"));
        CHECK_FALSE(event.contains("pan_number_encrypted"));
        CHECK(sql_value(f.conninfo(), "SELECT message_id " + decided + " AND aggregate_key = '" + c.id +
                                          "'") == std::string(event.at("message_id").as_string()));
    }
    CHECK(boost::json::parse(sql_value(f.conninfo(), "SELECT payload " + decided + " AND aggregate_key = '" +
                                                         rejected + "'"))
              .at("max_approved_amount_inr")
              .is_null());

    // The memory bus took each of them once; nothing in this process subscribes, so none is queued.
    const auto metrics = http_request(f.port(), "GET", "/metrics").body;
    INFO(metrics);
    CHECK(metrics.find("bus_messages_published_total{topic=\"loan_applications_decided\"} 3") !=
          std::string::npos);
    CHECK(metrics.find("bus_messages_dropped_total{topic=\"loan_applications_decided\"} 3") !=
          std::string::npos);
}
