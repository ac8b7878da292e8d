// Personal data at rest: neither the PAN nor the applicant's name is anywhere in the database in clear
// (checked on a full pg_dump), and names stored in clear before migration 003 are sealed by the API module.
#include "service_fixture.hpp"
#include "support/pg_harness.hpp"
#include "support/run_coro.hpp"

#include <prequal/api/api_module.hpp>
#include <prequal/core/ids.hpp>
#include <prequal/crypto/keys.hpp>
#include <prequal/pg/pool.hpp>

#include <boost/asio/this_coro.hpp>
#include <boost/json/parse.hpp>
#include <catch2/catch.hpp>

#include <array>
#include <cstdio>
#include <memory>
#include <string>
#include <string_view>
#include <vector>

using namespace prequal;
using namespace prequal::test;

namespace {

/// Everything the database holds, as pg_dump prints it (schema and data).
std::string dump_database(const std::string& conninfo) {
    const std::string command = "/usr/lib/postgresql/15/bin/pg_dump --no-owner -d '" + conninfo + "' 2>&1";
    std::unique_ptr<FILE, int (*)(FILE*)> pipe{::popen(command.c_str(), "r"), ::pclose};
    REQUIRE(pipe);
    std::string out;
    std::array<char, 65536> buf{};
    while (const std::size_t n = std::fread(buf.data(), 1, buf.size(), pipe.get())) out.append(buf.data(), n);
    return out;
}

}  // namespace

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

    // The sealed name opens with the key and the name's own authenticated data, and not as a PAN would.
    CHECK(sql_count(f.conninfo(), "SELECT count(*) FROM applications WHERE applicant_name IS NOT NULL") == 0);
    const std::string sealed =
        sql_value(f.conninfo(), "SELECT applicant_name_ciphertext FROM applications WHERE id = '" + id + "'");
    const std::string key_id =
        sql_value(f.conninfo(), "SELECT applicant_name_key_id FROM applications WHERE id = '" + id + "'");
    const crypto::pan_cipher cipher{crypto::parse_encryption_keys(encryption_keys)};
    CHECK(cipher.decrypt(key_id, sealed, api::applicant_name_aad(id)) == name);
    CHECK_FALSE(cipher.decrypt(key_id, sealed, id).has_value());
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
