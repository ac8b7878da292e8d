// Personal-data retention (contract section 8) against real PostgreSQL: the background job erases decided
// applications past the period exactly as an erasure request does, never PENDING or recent ones; two
// `prequal serve` replicas on one database erase each application once; the due gauge; and the pan_claims
// sweep that removes the claims erasure had to keep while they blocked.
#include "server_process.hpp"
#include "service_fixture.hpp"
#include "support/pg_harness.hpp"

#include <boost/json/parse.hpp>
#include <boost/json/serialize.hpp>
#include <catch2/catch.hpp>

#include <signal.h>

#include <chrono>
#include <functional>
#include <memory>
#include <string>
#include <thread>
#include <vector>

using namespace prequal;
using namespace prequal::test;
using namespace std::chrono_literals;
namespace json = boost::json;

namespace {

/// Decides `id` as the decision module would (status, score, reasons, history), `ago` in the past.
void decide(const std::string& conninfo, const std::string& id, const std::string& status,
            const std::string& ago) {
    sql_value(conninfo,
              "WITH u AS (UPDATE applications SET status = '" + status +
                  "', cibil_score = 700, decision_reason = 'test', reason_codes = ARRAY['TEST'], "
                  "ruleset_version = 'test', decided_by = 'rules', version = version + 1, "
                  "updated_at = now() - interval '" +
                  ago + "' WHERE id = '" + id +
                  "' RETURNING id, version, status, updated_at) "
                  "INSERT INTO decision_history (application_id, version, status, decided_by, reason_codes, "
                  "decision_reason, ruleset_version, decided_at) "
                  "SELECT id, version, status, 'rules', ARRAY['TEST'], 'test', 'test', updated_at FROM u");
}

json::object status_of(std::uint16_t port, const std::string& id) {
    const auto r = http_request(port, "GET", "/applications/" + id + "/status");
    INFO(r.body);
    REQUIRE(r.status == 200);
    return json::parse(r.body).as_object();
}

bool eventually(const std::function<bool()>& pred, std::chrono::seconds timeout = 30s) {
    const auto deadline = std::chrono::steady_clock::now() + timeout;
    while (std::chrono::steady_clock::now() < deadline) {
        if (pred()) return true;
        std::this_thread::sleep_for(50ms);
    }
    return pred();
}

std::int64_t erasure_audit_rows(const std::string& conninfo, const std::string& id) {
    return sql_count(conninfo,
                     "SELECT count(*) FROM audit_log WHERE action = 'PERSONAL_DATA_ERASED' AND "
                     "application_id = '" +
                         id + "'");
}

/// The value of an unlabelled gauge in /metrics, or -1 when absent.
std::int64_t gauge(std::uint16_t port, const std::string& name) {
    const std::string text = http_request(port, "GET", "/metrics").body;
    const auto at = text.find("\n" + name + " ");
    if (at == std::string::npos) return -1;
    return std::stoll(text.substr(at + name.size() + 2));
}

}  // namespace

TEST_CASE(
    "integration: retention erases applications decided before the period, never PENDING or recent ones",
    "[integration][pg]") {
    service_fixture f{[](app::service_config& c) {
        c.run_credit = false;  // nothing is decided but what the test decides
        c.personal_data_retention = 60s;
        c.retention_interval = 200ms;
    }};
    const std::string old_rejected = f.submit_ok(unique_pan(), "90000", "500000");
    const std::string old_approved = f.submit_ok(unique_pan(), "90000", "500000");
    const std::string recent = f.submit_ok(unique_pan(), "90000", "500000");
    const std::string pending = f.submit_ok(unique_pan(), "90000", "500000");
    // A PENDING application older than the period stays PENDING and keeps its data.
    sql_value(f.conninfo(),
              "UPDATE applications SET created_at = now() - interval '2 hours', updated_at = "
              "now() - interval '2 hours' WHERE id = '" +
                  pending + "'");
    decide(f.conninfo(), recent, "PRE_APPROVED", "0 seconds");
    const auto recent_before = status_of(f.port(), recent);
    decide(f.conninfo(), old_rejected, "REJECTED", "0 seconds");
    const auto before = status_of(f.port(), old_rejected);
    REQUIRE(before.at("personal_data").as_string() == "PRESENT");
    // Decided longer ago than the period.
    sql_value(f.conninfo(), "UPDATE applications SET updated_at = now() - interval '2 minutes' WHERE id = '" +
                                old_rejected + "'");
    decide(f.conninfo(), old_approved, "PRE_APPROVED", "61 seconds");

    for (const auto& id : {old_rejected, old_approved}) {
        INFO(id);
        REQUIRE(eventually([&] { return status_of(f.port(), id).at("personal_data") == "ERASED"; }));
        CHECK(status_of(f.port(), id).at("pan_number_masked").is_null());
        CHECK(sql_count(f.conninfo(), "SELECT count(*) FROM data_keys WHERE application_id = '" + id + "'") ==
              0);
        CHECK(sql_count(f.conninfo(), "SELECT count(*) FROM applications WHERE id = '" + id +
                                          "' AND pan_ciphertext IS NULL AND pan_hmac IS NULL") == 1);
        CHECK(sql_count(f.conninfo(),
                        "SELECT count(*) FROM audit_log WHERE action = 'PERSONAL_DATA_ERASED' "
                        "AND actor = 'retention' AND detail->>'why' = 'retention' AND "
                        "request_id IS NULL AND application_id = '" +
                            id + "'") == 1);
    }
    // The decision stays.
    const auto after = status_of(f.port(), old_rejected);
    for (const char* field :
         {"application_id", "status", "cibil_score", "decision_reason", "max_approved_amount_inr",
          "reason_codes", "ruleset_version", "decided_by", "version", "created_at"})
        CHECK(json::serialize(after.at(field)) == json::serialize(before.at(field)));
    CHECK(after.at("status").as_string() == "REJECTED");

    // Several more runs: the erased ones are skipped (one audit row each), the others are untouched.
    std::this_thread::sleep_for(1s);
    CHECK(erasure_audit_rows(f.conninfo(), old_rejected) == 1);
    CHECK(erasure_audit_rows(f.conninfo(), old_approved) == 1);
    for (const auto& id : {recent, pending}) {
        INFO(id);
        CHECK(status_of(f.port(), id).at("personal_data").as_string() == "PRESENT");
        CHECK(erasure_audit_rows(f.conninfo(), id) == 0);
        CHECK(sql_count(f.conninfo(), "SELECT count(*) FROM data_keys WHERE application_id = '" + id + "'") ==
              1);
    }
    CHECK(json::serialize(status_of(f.port(), recent)) == json::serialize(recent_before));
    CHECK(status_of(f.port(), pending).at("status").as_string() == "PENDING");
    // An erasure request after retention: 200, nothing more to erase.
    const auto again = http_request(f.port(), "DELETE", "/applications/" + old_rejected + "/personal-data");
    CHECK(again.status == 200);
    CHECK(erasure_audit_rows(f.conninfo(), old_rejected) == 1);
}

TEST_CASE("integration: two serve replicas with --personal-data-retention-days erase each application once",
          "[integration][pg][slow]") {
    const std::string db = pg_harness::instance().fresh_database();
    const auto keys = make_test_keys();
    std::vector<std::unique_ptr<server_process>> replicas;
    std::vector<std::uint16_t> ports;
    for (int i = 0; i < 2; ++i) {
        const std::uint16_t port = free_port();
        auto args = memory_serve_args(db, port, keys.encryption_keys, keys.pan_index_key);
        args.push_back("--personal-data-retention-days=0.00005");  // 4.32 s
        args.push_back("--retention-interval-seconds=1");
        replicas.push_back(std::make_unique<server_process>(args));
        wait_healthy(port);
        ports.push_back(port);
    }
    // Submitted to both over a few seconds, so both replicas' runs find applications due.
    std::vector<std::string> ids;
    for (int i = 0; i < 40; ++i) {
        const std::uint16_t port = ports[static_cast<std::size_t>(i) % 2];
        const auto r = post_json(port, "/applications",
                                 R"({"pan_number":")" + unique_pan() +
                                     R"(","monthly_income_inr":90000,"loan_amount_inr":500000})");
        REQUIRE(r.status == 202);
        ids.emplace_back(json::parse(r.body).at("application_id").as_string());
        std::this_thread::sleep_for(100ms);
    }
    const std::string all = "SELECT count(*) FROM applications";
    REQUIRE(eventually([&] { return sql_count(db, all + " WHERE status <> 'PENDING'") == 40; }, 60s));
    REQUIRE(eventually(
        [&] { return sql_count(db, all + " WHERE personal_data_erased_at IS NOT NULL") == 40; }, 60s));
    std::this_thread::sleep_for(2s);  // more runs of both replicas
    CHECK(sql_count(db, "SELECT count(*) FROM audit_log WHERE action = 'PERSONAL_DATA_ERASED'") == 40);
    CHECK(sql_count(db,
                    "SELECT count(*) FROM (SELECT application_id FROM audit_log WHERE action = "
                    "'PERSONAL_DATA_ERASED' AND detail->>'why' = 'retention' GROUP BY application_id "
                    "HAVING count(*) = 1) s") == 40);
    CHECK(sql_count(db, "SELECT count(*) FROM data_keys") == 0);
    for (std::size_t i = 0; i < ids.size(); i += 7) {
        const auto body =
            json::parse(http_request(ports[i % 2], "GET", "/applications/" + ids[i] + "/status").body);
        CHECK(body.at("personal_data").as_string() == "ERASED");
        CHECK(body.at("status").as_string() != "PENDING");
    }
    for (auto& r : replicas) {
        r->kill(SIGTERM);
        CHECK(r->wait() == 0);
    }
}

TEST_CASE("integration: personal_data_erasure_due counts decided applications past the period",
          "[integration][pg]") {
    service_fixture f{[](app::service_config& c) {
        c.run_credit = false;
        c.personal_data_retention = 60s;
        c.retention_interval = 1h;  // the job ran at start and not again: what becomes due stays due
    }};
    CHECK(gauge(f.port(), "personal_data_erasure_due") == 0);
    const std::string a = f.submit_ok(unique_pan(), "90000", "500000");
    const std::string b = f.submit_ok(unique_pan(), "90000", "500000");
    const std::string recent = f.submit_ok(unique_pan(), "90000", "500000");
    const std::string pending = f.submit_ok(unique_pan(), "90000", "500000");
    sql_value(f.conninfo(),
              "UPDATE applications SET updated_at = now() - interval '1 day' WHERE id = '" + pending + "'");
    decide(f.conninfo(), a, "REJECTED", "2 minutes");
    decide(f.conninfo(), b, "MANUAL_REVIEW", "1 day");
    decide(f.conninfo(), recent, "PRE_APPROVED", "1 second");
    CHECK(eventually([&] { return gauge(f.port(), "personal_data_erasure_due") == 2; }, 10s));
    REQUIRE(http_request(f.port(), "DELETE", "/applications/" + a + "/personal-data").status == 200);
    CHECK(eventually([&] { return gauge(f.port(), "personal_data_erasure_due") == 1; }, 10s));
}

TEST_CASE("integration: the pan_claims sweep deletes an erased application's claim once its 24 h are over",
          "[integration][pg]") {
    service_fixture f{[](app::service_config& c) {
        c.run_credit = false;
        c.retention_interval = 200ms;
    }};
    const std::string pan = unique_pan();
    const std::string erased = f.submit_ok(pan, "90000", "500000");
    const std::string young = f.submit_ok(unique_pan(), "90000", "500000");
    decide(f.conninfo(), erased, "PRE_APPROVED", "1 second");
    decide(f.conninfo(), young, "MANUAL_REVIEW", "1 second");
    for (const auto& id : {erased, young})
        REQUIRE(http_request(f.port(), "DELETE", "/applications/" + id + "/personal-data").status == 200);
    const std::string claims = "SELECT count(*) FROM pan_claims WHERE application_id = '";
    // Erasure keeps a claim that still blocks: the PAN cannot apply again within its 24 h.
    REQUIRE(sql_count(f.conninfo(), claims + erased + "'") == 1);
    REQUIRE(sql_count(f.conninfo(), claims + young + "'") == 1);
    CHECK(f.submit(pan, "90000", "500000").status == 409);

    // 24 h later (backdated), the sweep deletes it; the young one stays.
    sql_value(f.conninfo(),
              "UPDATE pan_claims SET claimed_at = now() - interval '24 hours 1 minute' WHERE "
              "application_id = '" +
                  erased + "'");
    CHECK(eventually([&] { return sql_count(f.conninfo(), claims + erased + "'") == 0; }, 10s));
    std::this_thread::sleep_for(500ms);  // more runs
    CHECK(sql_count(f.conninfo(), claims + young + "'") == 1);
    // The duplicate rule is unchanged: the PAN may apply again, and its new claim blocks.
    CHECK(f.submit(pan, "90000", "500000").status == 202);
    CHECK(f.submit(pan, "90000", "500000").status == 409);
    CHECK(sql_count(f.conninfo(), "SELECT count(*) FROM pan_claims") == 2);
}
