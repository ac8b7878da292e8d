// Personal data at rest: neither the PAN nor the applicant's name is anywhere in the database in clear
// (checked on a full pg_dump), and names stored in clear before migration 003 are sealed by the API module.
#include "personal_data_commands.hpp"
#include "personal_data_support.hpp"
#include "service_fixture.hpp"
#include "support/pg_harness.hpp"
#include "support/run_coro.hpp"

#include <prequal/api/api_module.hpp>
#include <prequal/core/ids.hpp>
#include <prequal/crypto/data_key.hpp>
#include <prequal/crypto/keys.hpp>
#include <prequal/crypto/random.hpp>
#include <prequal/pg/pool.hpp>

#include <boost/asio/this_coro.hpp>
#include <boost/json/parse.hpp>
#include <catch2/catch.hpp>

#include <array>
#include <cstdio>
#include <memory>
#include <optional>
#include <sstream>
#include <string>
#include <string_view>
#include <tuple>
#include <vector>

using namespace prequal;
using namespace prequal::test;

TEST_CASE("integration: neither the PAN nor the applicant name is stored in clear anywhere in the database",
          "[integration][pg]") {
    std::string encryption_keys;
    service_fixture f{[&](app::service_config& c) { encryption_keys = c.encryption_keys; }};
    const std::string pan = unique_pan();
    const std::string name = "Zorawar Quillfeather";
    const auto r =
        post_json(f.port(), "/applications",
                  "{\"pan_number\":\"" + pan + "\",\"applicant_name\":\"" + name +
                      "\",\"monthly_income_inr\":90000,\"loan_amount_inr\":500000,\"loan_type\":\"HOME\"}");
    INFO(r.body);
    REQUIRE(r.status == 202);
    const std::string id{boost::json::parse(r.body).at("application_id").as_string()};
    f.wait_final(id);

    const std::string dump = dump_database(f.conninfo());
    REQUIRE(dump.find("CREATE TABLE public.applications") != std::string::npos);  // the dump worked
    CHECK(dump.find(id) != std::string::npos);                                    // and holds the data
    CHECK(dump.find(pan) == std::string::npos);
    CHECK(dump.find(name) == std::string::npos);
    CHECK(dump.find("Quillfeather") == std::string::npos);

    // The sealed name opens with the application's data key (unwrapped with the master key) and the name's
    // own authenticated data, and not as a PAN would; the master key alone opens nothing.
    CHECK(sql_count(f.conninfo(), "SELECT count(*) FROM applications WHERE applicant_name IS NOT NULL") == 0);
    const std::string sealed =
        sql_value(f.conninfo(), "SELECT applicant_name_ciphertext FROM applications WHERE id = '" + id + "'");
    const std::string key_id =
        sql_value(f.conninfo(), "SELECT applicant_name_key_id FROM applications WHERE id = '" + id + "'");
    CHECK(key_id == crypto::data_key_id);
    const crypto::pan_cipher cipher{crypto::parse_encryption_keys(encryption_keys)};
    const auto key = unwrap_data_key(f.conninfo(), cipher, id);
    REQUIRE(key.has_value());
    CHECK(key->decrypt(sealed, api::applicant_name_aad(id)) == name);
    CHECK_FALSE(key->decrypt(sealed, id).has_value());
    for (const auto& k : crypto::parse_encryption_keys(encryption_keys)) {
        CHECK_FALSE(cipher.decrypt(k.id, sealed, api::applicant_name_aad(id)).has_value());
        CHECK_FALSE(cipher.decrypt(k.id, sealed, id).has_value());
    }
}

TEST_CASE(
    "integration: the PAN is sealed under the application's data key in the table and the submitted event",
    "[integration][pg]") {
    std::string encryption_keys;
    service_fixture f{[&](app::service_config& c) { encryption_keys = c.encryption_keys; }};
    const std::string pan = unique_pan();
    const std::string id = f.submit_ok(pan, "90000", "500000");
    f.wait_final(id);  // the credit module opened it through the data key
    CHECK(sql_count(f.conninfo(),
                    "SELECT count(*) FROM credit_reports WHERE application_id = '" + id + "'") == 1);

    const crypto::pan_cipher cipher{crypto::parse_encryption_keys(encryption_keys)};
    const auto key = unwrap_data_key(f.conninfo(), cipher, id);
    REQUIRE(key.has_value());
    const std::string stored =
        sql_value(f.conninfo(), "SELECT pan_ciphertext FROM applications WHERE id = '" + id + "'");
    CHECK(sql_value(f.conninfo(), "SELECT pan_key_id FROM applications WHERE id = '" + id + "'") ==
          crypto::data_key_id);
    CHECK(key->decrypt(stored, id) == pan);

    // The event carries the data key's ciphertext and key id only: no master key opens it.
    const auto event = boost::json::parse(
        sql_value(f.conninfo(), "SELECT payload FROM outbox_events WHERE aggregate_key = '" + id +
                                    "' AND event_type = 'loan_application_submitted'"));
    const std::string in_event{event.at("pan_number_encrypted").as_string()};
    CHECK(event.at("pan_key_id").as_string() == crypto::data_key_id);
    CHECK(key->decrypt(in_event, id) == pan);
    for (const auto& k : crypto::parse_encryption_keys(encryption_keys))
        CHECK_FALSE(cipher.decrypt(k.id, in_event, id).has_value());
    CHECK(sql_count(f.conninfo(), "SELECT count(*) FROM data_keys WHERE application_id = '" + id + "'") == 1);
}

TEST_CASE("integration: prequal rewrap moves every data key to a new master key and the old key can then go",
          "[integration][pg]") {
    std::string old_keys;
    service_fixture f{[&](app::service_config& c) { old_keys = c.encryption_keys; }};
    std::vector<std::string> ids;
    std::vector<std::string> pans;
    for (int i = 0; i < 5; ++i) {
        pans.push_back(unique_pan());
        ids.push_back(f.submit_ok(pans.back(), "90000", "500000"));
    }
    for (const auto& id : ids) f.wait_final(id);

    const crypto::encryption_key fresh{"knew", crypto::random_bytes(32)};
    const std::string rotated = crypto::format_encryption_key(fresh) + "," + old_keys;
    auto rewrap = [&](const std::string& keys) {
        app::command_line cl;
        cl.command = "rewrap";
        cl.config.database_url = f.conninfo();
        cl.config.encryption_keys = keys;
        std::ostringstream out, err;
        const int code = app::run_rewrap_command(cl, core::logger{"test", core::log_level::error}, out, err);
        return std::tuple{code, out.str(), err.str()};
    };
    const auto [code, out, err] = rewrap(rotated);
    INFO(out << err);
    CHECK(code == 0);
    CHECK(out == "rewrapped 5 data keys under knew\n");
    CHECK(sql_count(f.conninfo(), "SELECT count(*) FROM data_keys WHERE master_key_id <> 'knew'") == 0);
    CHECK(std::get<1>(rewrap(rotated)) == "rewrapped 0 data keys under knew\n");  // nothing left

    // Only the new key: every PAN still opens.
    const crypto::pan_cipher only_new{{crypto::encryption_key{fresh.id, fresh.key}}};
    for (std::size_t i = 0; i < ids.size(); ++i) {
        const auto key = unwrap_data_key(f.conninfo(), only_new, ids[i]);
        REQUIRE(key.has_value());
        CHECK(key->decrypt(sql_value(f.conninfo(),
                                     "SELECT pan_ciphertext FROM applications WHERE id = '" + ids[i] + "'"),
                           ids[i]) == pans[i]);
    }

    // A ring without the key that wraps them: nothing is changed, and the command says so.
    const auto [lost_code, lost_out, lost_err] = rewrap(old_keys);
    CHECK(lost_code == 1);
    CHECK(lost_out.find("rewrapped 0 data keys") == 0);
    CHECK(lost_err.find("5 data keys could not be opened") != std::string::npos);
    CHECK(sql_count(f.conninfo(), "SELECT count(*) FROM data_keys WHERE master_key_id <> 'knew'") == 0);
}

TEST_CASE("integration: applicant names stored in clear before migration 003 are sealed once",
          "[integration][pg]") {
    const std::string db = pg_harness::instance().fresh_database();
    const std::array<std::string, 3> ids{core::new_uuid(), core::new_uuid(), core::new_uuid()};
    for (std::size_t i = 0; i < ids.size(); ++i)
        sql_value(db,
                  "INSERT INTO applications (id, pan_hmac, pan_ciphertext, pan_key_id, pan_masked, "
                  "applicant_name, monthly_income, loan_amount) VALUES ('" +
                      ids[i] + "', 'hmac" + std::to_string(i) + "', 'c', 'k', 'XXXXXX000A', 'Legacy Person " +
                      std::to_string(i) + "', 1000, 1000)");
    const auto keys = crypto::generate_keys();
    const crypto::pan_cipher cipher{keys.encryption_keys};
    const crypto::pan_index index{keys.pan_index_key};
    core::metrics_registry metrics;

    auto seal = [&]() -> boost::asio::awaitable<std::int64_t> {
        pg::pool_options po;
        po.conninfo = db;
        po.size = 2;
        pg::pool pool{co_await boost::asio::this_coro::executor, po};
        api::api_module api{api::api_dependencies{
            pool, cipher, index, metrics, core::logger{"test", core::log_level::warn}, {}, [] {
                return false;
            }}};
        const std::int64_t n = co_await api.seal_legacy_applicant_names(2);  // two batches
        pool.close();
        co_return n;
    };
    CHECK(run_coro(seal) == 3);
    CHECK(sql_count(db, "SELECT count(*) FROM applications WHERE applicant_name IS NOT NULL") == 0);
    for (std::size_t i = 0; i < ids.size(); ++i) {
        const std::string sealed =
            sql_value(db, "SELECT applicant_name_ciphertext FROM applications WHERE id = '" + ids[i] + "'");
        const std::string key_id =
            sql_value(db, "SELECT applicant_name_key_id FROM applications WHERE id = '" + ids[i] + "'");
        CHECK(cipher.decrypt(key_id, sealed, api::applicant_name_aad(ids[i])) ==
              "Legacy Person " + std::to_string(i));
    }
    CHECK(run_coro(seal) == 0);  // nothing left: a second run (or another replica) changes nothing
}

TEST_CASE("integration: the api module's run() seals legacy names itself and logs a database failure",
          "[integration][pg]") {
    const auto keys = crypto::generate_keys();
    const crypto::pan_cipher cipher{keys.encryption_keys};
    const crypto::pan_index index{keys.pan_index_key};
    core::metrics_registry metrics;
    struct captured : core::log_sink {
        std::vector<std::string> lines;  // written from the test's single io thread only
        void write_line(std::string_view line) override { lines.emplace_back(line); }
    };
    auto run_api_on = [&](const std::string& conninfo, std::shared_ptr<captured> sink) {
        run_coro([&]() -> boost::asio::awaitable<void> {
            pg::pool_options po;
            po.conninfo = conninfo;
            po.size = 1;
            pg::pool pool{co_await boost::asio::this_coro::executor, po};
            api::api_module api{api::api_dependencies{
                pool, cipher, index, metrics, core::logger{"api", core::log_level::info, sink}, {}, [] {
                    return false;
                }}};
            co_await api.run();
            pool.close();
        });
    };

    const std::string db = pg_harness::instance().fresh_database();
    const std::string id = core::new_uuid();
    sql_value(db,
              "INSERT INTO applications (id, pan_hmac, pan_ciphertext, pan_key_id, pan_masked, "
              "applicant_name, monthly_income, loan_amount) VALUES ('" +
                  id + "', 'hmac', 'c', 'k', 'XXXXXX000A', 'Old Name', 1, 1)");
    auto sealed_log = std::make_shared<captured>();
    run_api_on(db, sealed_log);
    CHECK(sql_count(db, "SELECT count(*) FROM applications WHERE applicant_name IS NOT NULL") == 0);
    REQUIRE(sealed_log->lines.size() == 1);
    CHECK(sealed_log->lines[0].find(
              R"("message":"sealed applicant names stored in clear before migration 003","rows":"1")") !=
          std::string::npos);

    auto failed_log = std::make_shared<captured>();
    REQUIRE_NOTHROW(run_api_on("host=/nonexistent-prequal-socket-dir port=5432 dbname=none", failed_log));
    REQUIRE(failed_log->lines.size() == 1);
    CHECK(failed_log->lines[0].find("\"level\":\"warn\"") != std::string::npos);
    CHECK(failed_log->lines[0].find(
              R"("message":"sealing applicant names stored in clear failed; the next start retries")") !=
          std::string::npos);
}

TEST_CASE("integration: an application sealed under the master key before migration 010 is still decided",
          "[integration][pg]") {
    std::string encryption_keys;
    service_fixture f{[&](app::service_config& c) { encryption_keys = c.encryption_keys; }};
    const crypto::pan_cipher cipher{crypto::parse_encryption_keys(encryption_keys)};
    const std::string id = core::new_uuid();
    const std::string pan = "ABCDE1234F";  // the reference PAN: CIBIL 790
    const crypto::sealed legacy = cipher.encrypt(pan, id);
    sql_value(
        f.conninfo(),
        "INSERT INTO applications (id, pan_hmac, pan_ciphertext, pan_key_id, pan_masked, monthly_income, "
        "loan_amount, client) VALUES ('" +
            id + "', 'legacy-" + id + "', '" + legacy.ciphertext_b64 + "', '" + legacy.key_id +
            "', 'XXXXXX234F', 120000, 500000, 'anonymous')");
    const std::string payload = "{\"message_id\":\"" + core::new_uuid() +
                                "\",\"message_version\":1,\"event_type\":\"loan_application_submitted\","
                                "\"occurred_at\":\"2026-11-21T10:00:00.123Z\",\"application_id\":\"" +
                                id + "\",\"request_id\":\"legacy\",\"pan_number_encrypted\":\"" +
                                legacy.ciphertext_b64 + "\",\"pan_key_id\":\"" + legacy.key_id +
                                "\",\"monthly_income_inr\":\"120000.00\",\"loan_amount_inr\":\"500000.00\","
                                "\"loan_type\":null}";
    sql_value(f.conninfo(),
              "INSERT INTO outbox_events (message_id, aggregate_key, topic, event_type, request_id, payload) "
              "SELECT (p::json->>'message_id')::uuid, '" +
                  id +
                  "', 'loan_applications_submitted', 'loan_application_submitted', 'legacy', p FROM "
                  "(VALUES ('" +
                  payload + "')) v(p)");
    const auto decided = f.wait_final(id);
    CHECK(decided.at("cibil_score").as_int64() > 780);
    CHECK(sql_count(f.conninfo(), "SELECT count(*) FROM audit_log WHERE application_id = '" + id +
                                      "' AND action = 'PAN_DECRYPTED' AND detail->>'key_id' = '" +
                                      legacy.key_id + "'") == 1);
}
