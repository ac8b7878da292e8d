// Underwriting review and the decision history (contract section 10) over real sockets against real
// PostgreSQL: both outcomes, what may not be reviewed, validation, scopes and isolation, and 20 underwriters
// racing on one application.
#include "review_support.hpp"
#include "server_process.hpp"
#include "service_fixture.hpp"
#include "support/pg_harness.hpp"

#include <prequal/access/auth_mode.hpp>

#include <boost/json/parse.hpp>
#include <boost/json/serialize.hpp>
#include <catch2/catch.hpp>

#include <unistd.h>

#include <atomic>
#include <chrono>
#include <filesystem>
#include <map>
#include <thread>
#include <vector>

using namespace prequal::test;
namespace json = boost::json;

namespace {

// 650 + 40 (income > 75000) ± 5 ≥ 650, and 80000 × 48 = 3840000 ≤ 9000000: MANUAL_REVIEW.
std::string submit_manual(service_fixture& f) {
    return f.submit_ok(unique_pan(), "80000", "9000000", "AUTO");
}

std::vector<std::string> strings(const json::value& v) {
    std::vector<std::string> out;
    for (const auto& s : v.as_array()) out.emplace_back(s.as_string());
    return out;
}

json::array history_of(std::uint16_t port, const std::string& id, const header_list& h = {}) {
    const auto r = http_request(port, "GET", "/applications/" + id + "/decisions", {}, h);
    INFO(r.body);
    REQUIRE(r.status == 200);
    return json::parse(r.body).as_object().at("decisions").as_array();
}

}  // namespace

TEST_CASE("integration: review approves or rejects a MANUAL_REVIEW application, the history keeps both",
          "[integration][pg]") {
    service_fixture f;
    const auto to_approve = submit_manual(f);
    const auto to_reject = submit_manual(f);
    for (const auto& id : {to_approve, to_reject}) {
        const auto s = f.wait_final(id);
        REQUIRE(s.at("status").as_string() == "MANUAL_REVIEW");
        CHECK(s.at("version").as_int64() == 2);
        CHECK(s.at("decided_by").as_string() == "rules");
    }

    const auto approved =
        post_review(f.port(), to_approve, "PRE_APPROVED", 2, "Priya Nair", "bonus verified");
    INFO(approved.body);
    REQUIRE(approved.status == 200);
    const auto ab = json::parse(approved.body).as_object();
    CHECK(ab.at("status").as_string() == "PRE_APPROVED");
    CHECK(ab.at("version").as_int64() == 3);
    CHECK(ab.at("max_approved_amount_inr").as_string() == "3840000.00");

    auto s = f.wait_final(to_approve);
    CHECK(s.at("status").as_string() == "PRE_APPROVED");
    CHECK(strings(s.at("reason_codes")) == std::vector<std::string>{"REVIEWED_APPROVED"});
    CHECK(s.at("decision_reason").as_string() == "bonus verified");
    CHECK(s.at("max_approved_amount_inr").as_string() == "3840000.00");
    CHECK(s.at("decided_by").as_string() == "review");
    CHECK(s.at("version").as_int64() == 3);
    CHECK(s.at("cibil_score").is_int64());

    const auto rejected =
        post_review(f.port(), to_reject, "REJECTED", 2, "Arun Das", "income not verifiable");
    INFO(rejected.body);
    REQUIRE(rejected.status == 200);
    s = f.wait_final(to_reject);
    CHECK(s.at("status").as_string() == "REJECTED");
    CHECK(strings(s.at("reason_codes")) == std::vector<std::string>{"REVIEWED_REJECTED"});
    CHECK(s.at("decision_reason").as_string() == "income not verifiable");
    CHECK(s.at("max_approved_amount_inr").is_null());
    CHECK(s.at("decided_by").as_string() == "review");

    // The history: the machine's decision, then the underwriter's.
    const auto h = history_of(f.port(), to_approve);
    REQUIRE(h.size() == 2);
    const auto& rules = h[0].as_object();
    CHECK(rules.at("version").as_int64() == 2);
    CHECK(rules.at("status").as_string() == "MANUAL_REVIEW");
    CHECK(rules.at("decided_by").as_string() == "rules");
    CHECK(strings(rules.at("reason_codes")) ==
          std::vector<std::string>{"SCORE_AT_LEAST_650", "INCOME_NOT_ABOVE_LOAN_OVER_48"});
    CHECK(rules.at("ruleset_version").as_string() == "2026-12-04.1");
    CHECK_FALSE(rules.contains("reviewer"));
    CHECK(rules.at("decided_at").as_string().size() == 24);
    const auto& review = h[1].as_object();
    CHECK(review.at("version").as_int64() == 3);
    CHECK(review.at("status").as_string() == "PRE_APPROVED");
    CHECK(review.at("decided_by").as_string() == "review");
    CHECK(strings(review.at("reason_codes")) == std::vector<std::string>{"REVIEWED_APPROVED"});
    CHECK(review.at("decision_reason").as_string() == "bonus verified");
    CHECK(review.at("reviewer").as_string() == "Priya Nair");
    CHECK_FALSE(review.contains("ruleset_version"));
    CHECK(history_of(f.port(), to_reject).size() == 2);
    const auto metrics = http_request(f.port(), "GET", "/metrics").body;
    CHECK(metrics.find(R"(decisions_total{status="PRE_APPROVED",decided_by="review"} 1)") !=
          std::string::npos);
    CHECK(metrics.find(R"(decisions_total{status="REJECTED",decided_by="review"} 1)") != std::string::npos);

    // Audited, and announced through the outbox with decided_by "review" (so webhooks fire again).
    for (const auto& id : {to_approve, to_reject}) {
        INFO(id);
        CHECK(sql_count(f.conninfo(), "SELECT count(*) FROM audit_log WHERE application_id = '" + id +
                                          "' AND action = 'REVIEW_RECORDED'") == 1);
        CHECK(sql_count(f.conninfo(),
                        "SELECT count(*) FROM (SELECT payload FROM outbox_events WHERE "
                        "aggregate_key = '" +
                            id +
                            "' AND event_type = 'application_decided' UNION ALL SELECT payload "
                            "FROM outbox_events_archive WHERE aggregate_key = '" +
                            id +
                            "' AND event_type = 'application_decided') e "
                            "WHERE payload::jsonb->>'decided_by' = 'review'") == 1);
    }
    const auto event = json::parse(
        sql_value(f.conninfo(), "SELECT payload FROM decision_events WHERE application_id = '" + to_approve +
                                    "' AND payload::jsonb->>'decided_by' = 'review'"));
    CHECK(event.at("status").as_string() == "PRE_APPROVED");
    CHECK(event.at("client").as_string() == "anonymous");
    CHECK(event.at("max_approved_amount_inr").as_string() == "3840000.00");
    CHECK(strings(event.at("reason_codes")) == std::vector<std::string>{"REVIEWED_APPROVED"});
    // The history is append-only.
    CHECK_THROWS(
        sql_value(f.conninfo(), "DELETE FROM decision_history WHERE application_id = '" + to_approve + "'"));
    CHECK_THROWS(sql_value(f.conninfo(), "UPDATE decision_history SET reviewer = 'x'"));

    // Decided applications are not reviewable (with their current version: the status is the reason).
    const auto again = post_review(f.port(), to_approve, "REJECTED", 3);
    CHECK(again.status == 409);
    CHECK(error_code_of(again) == "NOT_REVIEWABLE");
    const auto machine_approved = f.submit_ok("ABCDE1234F", "120000", "500000");
    const auto machine_rejected = f.submit_ok("FGHIJ5678K", "50000", "100000");
    for (const auto& id : {machine_approved, machine_rejected}) {
        const auto st = f.wait_final(id);
        const auto r = post_review(f.port(), id, "PRE_APPROVED", st.at("version").as_int64());
        INFO(r.body);
        CHECK(r.status == 409);
        CHECK(error_code_of(r) == "NOT_REVIEWABLE");
        CHECK(history_of(f.port(), id).size() == 1);
    }
    // A stale version is a conflict, the application unchanged.
    const auto manual = submit_manual(f);
    f.wait_final(manual);
    const auto stale = post_review(f.port(), manual, "PRE_APPROVED", 1);
    CHECK(stale.status == 409);
    CHECK(error_code_of(stale) == "VERSION_CONFLICT");
    CHECK(f.wait_final(manual).at("status").as_string() == "MANUAL_REVIEW");

    // Unknown and malformed ids.
    const auto unknown = post_review(f.port(), "3f1c0b9e-8a3e-4c55-9a43-2a8d2c1f9b70", "REJECTED", 2);
    CHECK(unknown.status == 404);
    CHECK(error_code_of(unknown) == "NOT_FOUND");
    CHECK(http_request(f.port(), "GET", "/applications/3f1c0b9e-8a3e-4c55-9a43-2a8d2c1f9b70/decisions")
              .status == 404);
    CHECK(post_review(f.port(), "not-a-uuid", "REJECTED", 2).status == 422);
    CHECK(http_request(f.port(), "GET", "/applications/not-a-uuid/decisions").status == 422);
}

TEST_CASE("integration: review of a PENDING application is NOT_REVIEWABLE and its history is empty",
          "[integration][pg]") {
    service_fixture f{[](prequal::app::service_config& c) { c.run_decision = false; }};
    const auto id = submit_manual(f);
    const auto r = post_review(f.port(), id, "PRE_APPROVED", 1);
    INFO(r.body);
    CHECK(r.status == 409);
    CHECK(error_code_of(r) == "NOT_REVIEWABLE");
    const auto s = http_request(f.port(), "GET", "/applications/" + id + "/status");
    const auto body = json::parse(s.body).as_object();
    CHECK(body.at("status").as_string() == "PENDING");
    CHECK(body.at("version").as_int64() == 1);
    CHECK(body.at("decided_by").is_null());
    CHECK(history_of(f.port(), id).empty());
}

TEST_CASE("integration: every invalid review body is 422 naming the field", "[integration][pg]") {
    service_fixture f;
    const auto id = submit_manual(f);
    f.wait_final(id);
    const std::string target = "/applications/" + id + "/review";
    const std::map<std::string, std::string> bodies{
        {"outcome", R"({"outcome":"MANUAL_REVIEW","reason":"r","reviewer":"me","expected_version":2})"},
        {"reason", R"({"outcome":"REJECTED","reason":"","reviewer":"me","expected_version":2})"},
        {"reviewer", R"({"outcome":"REJECTED","reason":"r","reviewer":")" + std::string(101, 'x') +
                         R"(","expected_version":2})"},
        {"expected_version", R"({"outcome":"REJECTED","reason":"r","reviewer":"me","expected_version":"2"})"},
        {"surprise",
         R"({"outcome":"REJECTED","reason":"r","reviewer":"me","expected_version":2,"surprise":1})"}};
    for (const auto& [field, body] : bodies) {
        INFO(field);
        const auto r = post_json(f.port(), target, body);
        CHECK(r.status == 422);
        CHECK(error_code_of(r) == "VALIDATION_ERROR");
        const auto details = json::parse(r.body).at("details").as_array();
        REQUIRE(details.size() == 1);
        CHECK(details[0].at("field").as_string() == field);
    }
    const auto all = post_json(f.port(), target, "{}");
    CHECK(all.status == 422);
    CHECK(json::parse(all.body).at("details").as_array().size() == 4);
    CHECK(post_json(f.port(), target, "{").status == 400);
    CHECK(http_request(f.port(), "POST", target, "{}", {{"Content-Type", "text/plain"}}).status == 415);
    // Nothing changed.
    CHECK(history_of(f.port(), id).size() == 1);
}

TEST_CASE("integration: 20 concurrent reviews of one application: one 200, 19 VERSION_CONFLICT",
          "[integration][pg]") {
    service_fixture f;
    const auto id = submit_manual(f);
    REQUIRE(f.wait_final(id).at("status").as_string() == "MANUAL_REVIEW");
    constexpr int reviewers = 20;
    std::vector<http_result> results(reviewers);
    std::atomic<int> ready{0};
    std::vector<std::thread> threads;
    for (int i = 0; i < reviewers; ++i)
        threads.emplace_back([&, i] {
            ++ready;
            while (ready < reviewers) std::this_thread::yield();
            results[static_cast<std::size_t>(i)] =
                post_review(f.port(), id, i % 2 == 0 ? "PRE_APPROVED" : "REJECTED", 2,
                            "underwriter " + std::to_string(i));
        });
    for (auto& t : threads) t.join();
    int ok = 0;
    int conflicts = 0;
    for (const auto& r : results) {
        if (r.status == 200) ++ok;
        if (r.status == 409 && error_code_of(r) == "VERSION_CONFLICT") ++conflicts;
    }
    CHECK(ok == 1);
    CHECK(conflicts == reviewers - 1);
    CHECK(sql_count(f.conninfo(), "SELECT count(*) FROM decision_history WHERE application_id = '" + id +
                                      "' AND decided_by = 'review'") == 1);
    CHECK(sql_count(f.conninfo(), "SELECT count(*) FROM audit_log WHERE application_id = '" + id +
                                      "' AND action = 'REVIEW_RECORDED'") == 1);
    CHECK(sql_count(f.conninfo(),
                    "SELECT count(*) FROM decision_events WHERE application_id = '" + id + "'") == 2);
    CHECK(history_of(f.port(), id).size() == 2);
}

TEST_CASE("integration: review needs applications:review and another client's application is 404",
          "[integration][pg]") {
    service_fixture f{[](prequal::app::service_config& c) { c.auth = prequal::access::auth_mode::api_key; }};
    const auto key = [&](const std::string& name, const std::string& scopes) {
        const auto r = run_command({binary_path(), "apikey", "create", "--database-url=" + f.conninfo(),
                                    "--name=" + name, "--scopes=" + scopes, "--rate-limit=0"});
        INFO(r.err);
        REQUIRE(r.exit_code == 0);
        return header_list{{"Authorization", "Bearer " + r.out.substr(0, r.out.find('\n'))}};
    };
    const auto writer = key("bank-a", "applications:write,applications:read");
    const auto underwriter = key("bank-a", "applications:review,applications:read");
    const auto other = key("bank-b", "applications:write,applications:read,applications:review");

    // New keys reach the server's cache within a few seconds.
    http_result submitted;
    const auto deadline = std::chrono::steady_clock::now() + std::chrono::seconds{10};
    do {
        submitted =
            post_json(f.port(), "/applications",
                      R"({"pan_number":")" + unique_pan() +
                          R"(","monthly_income_inr":80000,"loan_amount_inr":9000000,"loan_type":"AUTO"})",
                      writer);
        if (submitted.status == 202) break;
        std::this_thread::sleep_for(std::chrono::milliseconds{100});
    } while (std::chrono::steady_clock::now() < deadline);
    REQUIRE(submitted.status == 202);
    const std::string id{json::parse(submitted.body).at("application_id").as_string()};
    REQUIRE(poll_final(f.port(), id, writer).at("status").as_string() == "MANUAL_REVIEW");

    const auto forbidden = post_review(f.port(), id, "PRE_APPROVED", 2, "me", "ok", writer);
    CHECK(forbidden.status == 403);
    CHECK(error_code_of(forbidden) == "FORBIDDEN");
    const auto unauthenticated = post_review(f.port(), id, "PRE_APPROVED", 2);
    CHECK(unauthenticated.status == 401);

    // Bank B sees neither the application, its history, nor its events.
    const auto foreign = post_review(f.port(), id, "PRE_APPROVED", 2, "me", "ok", other);
    CHECK(foreign.status == 404);
    CHECK(error_code_of(foreign) == "NOT_FOUND");
    CHECK(http_request(f.port(), "GET", "/applications/" + id + "/decisions", {}, other).status == 404);
    const auto their_feed = read_feed(f.port(), "", 100, other);
    CHECK(their_feed.status == 200);
    CHECK(their_feed.events.empty());

    const auto done = post_review(f.port(), id, "PRE_APPROVED", 2, "me", "ok", underwriter);
    INFO(done.body);
    CHECK(done.status == 200);
    CHECK(history_of(f.port(), id, writer).size() == 2);
    // The feed shows an event once the sequencer has numbered it (within its interval).
    feed_page our_feed;
    const auto feed_deadline = std::chrono::steady_clock::now() + std::chrono::seconds{10};
    do {
        our_feed = read_feed(f.port(), "", 100, writer);
        if (our_feed.events.size() >= 2) break;
        std::this_thread::sleep_for(std::chrono::milliseconds{10});
    } while (std::chrono::steady_clock::now() < feed_deadline);
    REQUIRE(our_feed.events.size() == 2);
    CHECK(our_feed.events[0].at("decided_by").as_string() == "rules");
    CHECK(our_feed.events[1].at("decided_by").as_string() == "review");
    CHECK(our_feed.events[1].at("client").as_string() == "bank-a");
}

TEST_CASE("integration: the OpenAPI document describes review, history and the event feed",
          "[integration][pg]") {
    service_fixture f;
    const auto r = http_request(f.port(), "GET", "/openapi.json");
    REQUIRE(r.status == 200);
    const auto doc = json::parse(r.body).as_object();
    const auto& paths = doc.at("paths").as_object();
    CHECK(paths.at("/applications/{application_id}/review").as_object().contains("post"));
    CHECK(paths.at("/applications/{application_id}/decisions").as_object().contains("get"));
    CHECK(paths.at("/events").as_object().contains("get"));
    const auto& status = doc.at("components").at("schemas").at("Status").as_object();
    CHECK(status.at("properties").as_object().contains("version"));
    CHECK(status.at("properties").as_object().contains("decided_by"));
    const auto codes = json::serialize(doc.at("components").at("schemas").at("Error"));
    CHECK(codes.find("VERSION_CONFLICT") != std::string::npos);
    CHECK(codes.find("NOT_REVIEWABLE") != std::string::npos);
}

TEST_CASE("integration: migration 009 gives every application decided before it one rules entry",
          "[integration][pg]") {
    namespace fs = std::filesystem;
    const std::string db = pg_harness::instance().empty_database();
    const fs::path dir = fs::temp_directory_path() / ("prequal-009-" + std::to_string(::getpid()));
    fs::remove_all(dir);
    fs::create_directories(dir);
    // Everything before 009 first.
    for (const auto& entry : fs::directory_iterator(PREQUAL_SOURCE_SQL_DIR))
        if (entry.path().filename().string() < "009_")
            fs::copy_file(entry.path(), dir / entry.path().filename());
    const auto migrate = [&] {
        const auto r =
            run_command({binary_path(), "migrate", "--database-url=" + db, "--sql-dir=" + dir.string()});
        INFO(r.err);
        REQUIRE(r.exit_code == 0);
    };
    migrate();
    const std::string columns =
        "INSERT INTO applications (id, pan_hmac, pan_ciphertext, pan_key_id, pan_masked, monthly_income, "
        "loan_amount, status, cibil_score, decision_reason, max_approved_amount, version, reason_codes, "
        "ruleset_version) VALUES ";
    sql_value(db,
              columns +
                  "('11111111-1111-4111-8111-111111111111', 'h1', 'c', 'k', 'XXXXXX234F', 80000, 9000000, "
                  "'MANUAL_REVIEW', 690, 'CIBIL 690 >= 650 but …', 3840000, 2, "
                  "ARRAY['SCORE_AT_LEAST_650','INCOME_NOT_ABOVE_LOAN_OVER_48'], '2026-12-04.1'), "
                  "('22222222-2222-4222-8222-222222222222', 'h2', 'c', 'k', 'XXXXXX678K', 50000, 100000, "
                  "'REJECTED', 610, 'CIBIL 610 < 650', NULL, 2, ARRAY['SCORE_BELOW_650'], '2026-12-04.1'), "
                  "('33333333-3333-4333-8333-333333333333', 'h3', 'c', 'k', 'XXXXXX111A', 50000, 100000, "
                  "'PENDING', NULL, NULL, NULL, 1, NULL, NULL)");
    for (const auto& entry : fs::directory_iterator(PREQUAL_SOURCE_SQL_DIR))
        if (entry.path().filename().string() >= "009_")
            fs::copy_file(entry.path(), dir / entry.path().filename(), fs::copy_options::skip_existing);
    migrate();
    fs::remove_all(dir);

    CHECK(sql_count(db, "SELECT count(*) FROM decision_history") == 2);
    CHECK(
        sql_value(db,
                  "SELECT status || ':' || decided_by || ':' || version || ':' || ruleset_version || ':' || "
                  "array_to_string(reason_codes, ',') || ':' || max_approved_amount FROM decision_history "
                  "WHERE application_id = '11111111-1111-4111-8111-111111111111'") ==
        "MANUAL_REVIEW:rules:2:2026-12-04.1:SCORE_AT_LEAST_650,INCOME_NOT_ABOVE_LOAN_OVER_48:3840000.00");
    CHECK(sql_value(
              db, "SELECT decided_by FROM applications WHERE id = '22222222-2222-4222-8222-222222222222'") ==
          "rules");
    CHECK(sql_value(db,
                    "SELECT coalesce(decided_by, 'null') FROM applications WHERE id = "
                    "'33333333-3333-4333-8333-333333333333'") == "null");
}
