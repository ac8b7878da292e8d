// Erasure (contract section 8) over real sockets against real PostgreSQL: the end-to-end proof that after
// DELETE .../personal-data no byte of the database (a full pg_dump) opens to the applicant's PAN or name,
// even with every master key, while the decision stays; the 409/200/200/404/403 answers; `prequal erase`.
#include "personal_data_support.hpp"
#include "server_process.hpp"
#include "service_fixture.hpp"
#include "support/service_test_access.hpp"

#include <prequal/access/auth_mode.hpp>
#include <prequal/api/api_module.hpp>
#include <prequal/bus/message.hpp>
#include <prequal/crypto/data_key.hpp>
#include <prequal/crypto/keys.hpp>

#include <boost/json/parse.hpp>
#include <boost/json/serialize.hpp>
#include <catch2/catch.hpp>

#include <chrono>
#include <string>
#include <thread>
#include <vector>

using namespace prequal;
using namespace prequal::test;
namespace json = boost::json;
using headers = std::vector<std::pair<std::string, std::string>>;

namespace {

http_result erase(std::uint16_t port, const std::string& id, const headers& h = {}) {
    return http_request(port, "DELETE", "/applications/" + id + "/personal-data", {}, h);
}

json::object body_of(const http_result& r) { return json::parse(r.body).as_object(); }

std::string error_code(const http_result& r) { return std::string(body_of(r).at("error_code").as_string()); }

/// Every run of base64 characters of at least 40 (a sealed PAN is 52, a sealed name more, a wrapped key 80).
std::vector<std::string> base64_tokens(const std::string& text) {
    std::vector<std::string> out;
    std::string run;
    auto flush = [&] {
        if (run.size() >= 40) out.push_back(run);
        run.clear();
    };
    for (const char c : text) {
        const bool b64 = (c >= 'A' && c <= 'Z') || (c >= 'a' && c <= 'z') || (c >= '0' && c <= '9') ||
                         c == '+' || c == '/' || c == '=';
        if (b64)
            run += c;
        else
            flush();
    }
    flush();
    return out;
}

std::string submit_named(std::uint16_t port, const std::string& pan, const std::string& name) {
    const auto r = post_json(port, "/applications",
                             R"({"pan_number":")" + pan + R"(","applicant_name":")" + name +
                                 R"(","monthly_income_inr":90000,"loan_amount_inr":500000})");
    INFO(r.body);
    REQUIRE(r.status == 202);
    return std::string(json::parse(r.body).at("application_id").as_string());
}

}  // namespace

TEST_CASE(
    "integration: erasure end to end: the decision stays and no byte of a pg_dump opens with the master keys",
    "[integration][pg]") {
    std::string encryption_keys;
    service_fixture f{[&](app::service_config& c) { encryption_keys = c.encryption_keys; }};
    const crypto::pan_cipher master{crypto::parse_encryption_keys(encryption_keys)};
    const auto master_ids = crypto::parse_encryption_keys(encryption_keys);

    const std::string pan = "FGHIJ5678K";  // CIBIL 610: REJECTED, so its claim no longer blocks
    const std::string name = "Ottoline Vexcombe";
    const std::string kept_pan = unique_pan();
    const std::string kept_name = "Bartholomew Quenby";
    const std::string approved_pan = "ABCDE1234F";  // CIBIL 790: PRE_APPROVED, its claim blocks for 24 h
    const std::string id = submit_named(f.port(), pan, name);
    const std::string kept = submit_named(f.port(), kept_pan, kept_name);
    const std::string approved = submit_named(f.port(), approved_pan, "Cressida Pilkington");
    const auto decided = f.wait_final(id);
    f.wait_final(kept);
    f.wait_final(approved);
    REQUIRE(decided.at("status").as_string() == "REJECTED");
    CHECK(decided.at("personal_data").as_string() == "PRESENT");
    const auto key_before = unwrap_data_key(f.conninfo(), master, id);  // what erasure must destroy
    REQUIRE(key_before.has_value());
    const std::string pan_hmac =
        sql_value(f.conninfo(), "SELECT pan_hmac FROM applications WHERE id = '" + id + "'");

    const auto erased = erase(f.port(), id);
    INFO(erased.body);
    REQUIRE(erased.status == 200);
    auto body = body_of(erased);
    CHECK(body.at("personal_data").as_string() == "ERASED");
    CHECK(body.at("pan_number_masked").is_null());
    for (const char* field : {"application_id", "status", "cibil_score", "decision_reason",
                              "max_approved_amount_inr", "reason_codes", "ruleset_version", "created_at"})
        CHECK(json::serialize(body.at(field)) == json::serialize(decided.at(field)));
    const auto read = http_request(f.port(), "GET", "/applications/" + id + "/status");
    REQUIRE(read.status == 200);
    CHECK(json::serialize(body_of(read)) == json::serialize(body));
    const auto again = erase(f.port(), id);  // idempotent
    REQUIRE(again.status == 200);
    CHECK(body_of(again).at("personal_data").as_string() == "ERASED");
    CHECK(body_of(http_request(f.port(), "GET", "/applications/" + kept + "/status")).at("personal_data") ==
          "PRESENT");

    // One audit row, saying why; the data key and the no longer blocking claim are gone.
    const std::string audit = "SELECT count(*) FROM audit_log WHERE application_id = '" + id +
                              "' AND action = 'PERSONAL_DATA_ERASED'";
    CHECK(sql_count(f.conninfo(), audit) == 1);
    CHECK(sql_count(f.conninfo(),
                    audit + " AND detail->>'why' = 'request' AND detail->>'client' = 'anonymous'") == 1);
    CHECK(sql_count(f.conninfo(), "SELECT count(*) FROM data_keys WHERE application_id = '" + id + "'") == 0);
    CHECK(sql_count(f.conninfo(), "SELECT count(*) FROM pan_claims WHERE application_id = '" + id + "'") ==
          0);

    // A redelivery of the erased application's submitted event finds no data key: skipped as the duplicate it
    // is, not dead-lettered.
    {
        bus::message m;
        m.topic = "loan_applications_submitted";
        m.key = id;
        m.payload = sql_value(f.conninfo(), "SELECT payload FROM outbox_events WHERE aggregate_key = '" + id +
                                                "' AND event_type = 'loan_application_submitted'");
        m.headers = {{"message_id", sql_value(f.conninfo(),
                                              "SELECT message_id FROM outbox_events WHERE "
                                              "aggregate_key = '" +
                                                  id + "' AND event_type = 'loan_application_submitted'")}};
        service_test_access::inject(f.service(), std::move(m));
        const auto deadline = std::chrono::steady_clock::now() + std::chrono::seconds{10};
        std::string metrics;
        while (std::chrono::steady_clock::now() < deadline &&
               metrics.find("consumer_duplicates_skipped_total{group=\"credit\"} 1") == std::string::npos) {
            metrics = http_request(f.port(), "GET", "/metrics").body;
            std::this_thread::sleep_for(std::chrono::milliseconds{20});
        }
        CHECK(metrics.find("consumer_duplicates_skipped_total{group=\"credit\"} 1") != std::string::npos);
        CHECK(sql_count(f.conninfo(), "SELECT count(*) FROM dead_letters") == 0);
    }

    // An approved applicant's claim still blocks after erasure (24 h), so the duplicate rule holds.
    REQUIRE(erase(f.port(), approved).status == 200);
    CHECK(sql_count(f.conninfo(),
                    "SELECT count(*) FROM pan_claims WHERE application_id = '" + approved + "'") == 1);
    CHECK(f.submit(approved_pan, "90000", "500000").status == 409);

    const std::string dump = dump_database(f.conninfo());
    REQUIRE(dump.find("CREATE TABLE public.data_keys") != std::string::npos);
    CHECK(dump.find(pan) == std::string::npos);
    CHECK(dump.find(name) == std::string::npos);
    CHECK(dump.find(pan_hmac) == std::string::npos);
    // Every ciphertext-shaped value of the dump, tried with every master key as each kind of sealed value of
    // the erased application: nothing opens.
    const auto tokens = base64_tokens(dump);
    REQUIRE(tokens.size() > 10);
    int opened = 0;
    bool event_still_there = false;
    for (const auto& t : tokens) {
        for (const auto& k : master_ids) {
            for (const std::string& aad : {id, api::applicant_name_aad(id), crypto::data_key_aad(id)})
                if (master.decrypt(k.id, t, aad)) ++opened;
            if (crypto::data_key::unwrap(master, {k.id, t}, crypto::data_key_aad(id))) ++opened;
        }
        // The submitted event's ciphertext is still in the outbox: only the destroyed key opened it.
        if (key_before->decrypt(t, id) == pan) event_still_there = true;
    }
    CHECK(opened == 0);
    CHECK(event_still_there);

    // The same search finds the other applicant's data: the dump and the search are sound.
    std::optional<crypto::data_key> kept_key;
    for (const auto& t : tokens)
        for (const auto& k : master_ids)
            if (auto key = crypto::data_key::unwrap(master, {k.id, t}, crypto::data_key_aad(kept)))
                kept_key = std::move(key);
    REQUIRE(kept_key.has_value());
    bool kept_pan_found = false;
    bool kept_name_found = false;
    for (const auto& t : tokens) {
        if (kept_key->decrypt(t, kept) == kept_pan) kept_pan_found = true;
        if (kept_key->decrypt(t, api::applicant_name_aad(kept)) == kept_name) kept_name_found = true;
    }
    CHECK(kept_pan_found);
    CHECK(kept_name_found);
}

TEST_CASE(
    "integration: erasure is 409 while PENDING, 200 twice, 404 for another client and 403 without the scope",
    "[integration][pg][access]") {
    service_fixture f{[](app::service_config& c) {
        c.auth = access::auth_mode::api_key;
        c.run_credit = false;  // nothing is decided but what the test decides
    }};
    auto create_key = [&](const std::string& client, const std::string& scopes) {
        const auto r = run_command({binary_path(), "apikey", "create", "--database-url=" + f.conninfo(),
                                    "--name=" + client, "--scopes=" + scopes});
        INFO(r.err);
        REQUIRE(r.exit_code == 0);
        return headers{{"Authorization", "Bearer " + r.out.substr(0, r.out.find('\n'))}};
    };
    const auto owner = create_key("alpha", "applications:write,applications:read,personal-data:erase");
    const auto owner_without_scope = create_key("alpha", "applications:write,applications:read");
    const auto other_client = create_key("beta", "personal-data:erase");
    auto submit = [&] {
        const auto r = post_json(
            f.port(), "/applications",
            R"({"pan_number":")" + unique_pan() + R"(","monthly_income_inr":90000,"loan_amount_inr":500000})",
            owner);
        REQUIRE(r.status == 202);
        return std::string(json::parse(r.body).at("application_id").as_string());
    };
    auto decide = [&](const std::string& id) {
        sql_value(f.conninfo(),
                  "UPDATE applications SET status = 'REJECTED', cibil_score = 600, decision_reason = "
                  "'test', reason_codes = ARRAY['SCORE_BELOW_650'], ruleset_version = 'test' "
                  "WHERE id = '" +
                      id + "'");
    };
    const std::string pending = submit();
    const std::string decided = submit();
    const std::string by_operator = submit();
    decide(decided);
    decide(by_operator);

    const auto refused = erase(f.port(), pending, owner);
    CHECK(refused.status == 409);
    CHECK(error_code(refused) == "APPLICATION_PENDING");
    CHECK(sql_count(f.conninfo(),
                    "SELECT count(*) FROM data_keys WHERE application_id = '" + pending + "'") == 1);

    const auto first = erase(f.port(), decided, owner);
    CHECK(first.status == 200);
    const auto second = erase(f.port(), decided, owner);
    CHECK(second.status == 200);
    CHECK(body_of(second).at("personal_data").as_string() == "ERASED");
    CHECK(body_of(second).at("status").as_string() == "REJECTED");

    const auto theirs = erase(f.port(), pending, other_client);
    CHECK(theirs.status == 404);
    CHECK(error_code(theirs) == "NOT_FOUND");
    CHECK(erase(f.port(), "3f1c0b9e-8a3e-4c55-9a43-2a8d2c1f9b70", owner).status == 404);
    const auto forbidden = erase(f.port(), decided, owner_without_scope);
    CHECK(forbidden.status == 403);
    CHECK(error_code(forbidden) == "FORBIDDEN");
    CHECK(erase(f.port(), decided).status == 401);
    CHECK(erase(f.port(), "not-a-uuid", owner).status == 422);
    CHECK(sql_count(f.conninfo(), "SELECT count(*) FROM audit_log WHERE action = 'PERSONAL_DATA_ERASED'") ==
          1);

    // The operator command: any client's application; exit 1 with a message for PENDING or unknown.
    auto cli = [&](const std::string& id) {
        return run_command({binary_path(), "erase", id, "--database-url=" + f.conninfo()});
    };
    const auto cli_pending = cli(pending);
    CHECK(cli_pending.exit_code == 1);
    CHECK(cli_pending.err.find("PENDING") != std::string::npos);
    const auto cli_unknown = cli("3f1c0b9e-8a3e-4c55-9a43-2a8d2c1f9b70");
    CHECK(cli_unknown.exit_code == 1);
    CHECK(cli_unknown.err.find("no application") != std::string::npos);
    CHECK(cli("not-a-uuid").exit_code == 2);
    const auto cli_erased = cli(by_operator);
    INFO(cli_erased.err);
    CHECK(cli_erased.exit_code == 0);
    CHECK(cli_erased.out == "erased " + by_operator + "\n");
    const auto cli_again = cli(by_operator);
    CHECK(cli_again.exit_code == 0);
    CHECK(cli_again.out == by_operator + " was already erased\n");
    CHECK(sql_count(f.conninfo(),
                    "SELECT count(*) FROM audit_log WHERE action = 'PERSONAL_DATA_ERASED' AND "
                    "application_id = '" +
                        by_operator + "' AND detail->>'why' = 'operator'") == 1);
    CHECK(sql_count(f.conninfo(),
                    "SELECT count(*) FROM applications WHERE id = '" + by_operator +
                        "' AND personal_data_erased_at IS NOT NULL AND pan_ciphertext IS NULL") == 1);
}
