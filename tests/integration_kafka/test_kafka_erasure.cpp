// Erasure reaches retained Kafka messages (contract section 8): after an application's personal data is
// erased, its loan_applications_submitted message, read back from the (mock) cluster, no longer opens with
// any key the service holds (every master key, and every data key left in PostgreSQL), while another
// application's message still does, through the same search.
#include "kcat.hpp"
#include "service_fixture.hpp"
#include "support/kafka_mock.hpp"

#include <prequal/crypto/data_key.hpp>
#include <prequal/crypto/keys.hpp>
#include <prequal/crypto/pan_cipher.hpp>

#include <boost/json/parse.hpp>
#include <catch2/catch.hpp>
#include <libpq-fe.h>

#include <map>
#include <optional>
#include <sstream>
#include <string>
#include <vector>

using namespace prequal;
using namespace prequal::test;
using namespace std::chrono_literals;
namespace json = boost::json;

namespace {

const std::string submitted = "loan_applications_submitted";

/// Every row of data_keys: (application id, master key id, wrapped key).
std::vector<std::vector<std::string>> data_key_rows(const std::string& conninfo) {
    std::unique_ptr<PGconn, void (*)(PGconn*)> c{PQconnectdb(conninfo.c_str()), PQfinish};
    REQUIRE(PQstatus(c.get()) == CONNECTION_OK);
    std::unique_ptr<PGresult, void (*)(PGresult*)> r{
        PQexec(c.get(), "SELECT application_id::text, master_key_id, wrapped_key FROM data_keys"), PQclear};
    REQUIRE(PQresultStatus(r.get()) == PGRES_TUPLES_OK);
    std::vector<std::vector<std::string>> rows;
    for (int i = 0; i < PQntuples(r.get()); ++i)
        rows.push_back({PQgetvalue(r.get(), i, 0), PQgetvalue(r.get(), i, 1), PQgetvalue(r.get(), i, 2)});
    return rows;
}

/// application id → the submitted message's payload, read with kcat when the build found it, else with
/// librdkafka directly.
std::map<std::string, std::string> submitted_payloads(const kafka_mock& mock) {
    std::map<std::string, std::string> out;
    if (kcat_available()) {
        std::istringstream lines{kcat_consume(mock.bootstrap_servers(), submitted, "%k\t%s\n")};
        std::string line;
        while (std::getline(lines, line)) {
            const auto tab = line.find('\t');
            REQUIRE(tab != std::string::npos);
            out[line.substr(0, tab)] = line.substr(tab + 1);
        }
    } else {
        WARN("kcat not found: the topic is read with librdkafka");
        for (const auto& r : mock.read_topic(submitted, 2, 30s)) out[r.key] = r.value;
    }
    return out;
}

}  // namespace

TEST_CASE(
    "integration: kafka: after erasure the submitted message no longer opens with any key the service "
    "holds, another application's still does",
    "[integration][kafka][pg]") {
    kafka_mock mock{1};
    for (const auto& t :
         {submitted, submitted + "_dlq", std::string{"credit_reports_generated"},
          std::string{"credit_reports_generated_dlq"}, std::string{"loan_applications_decided"}})
        mock.create_topic(t, 2);
    std::string encryption_keys;
    service_fixture f{[&](app::service_config& c) {
        c.bus = "kafka";
        c.kafka_brokers = mock.bootstrap_servers();
        c.kafka_properties = kafka_mock::fast_client_properties();
        c.bus_max_attempts = 3;
        encryption_keys = c.encryption_keys;
    }};
    const crypto::pan_cipher master{crypto::parse_encryption_keys(encryption_keys)};
    const auto master_keys = crypto::parse_encryption_keys(encryption_keys);

    const std::string erased_pan = "FGHIJ5678K";
    const std::string kept_pan = "ABCDE1234F";
    const std::string erased = f.submit_ok(erased_pan, "50000", "100000");
    const std::string kept = f.submit_ok(kept_pan, "120000", "500000");
    f.wait_final(erased, 60s);
    f.wait_final(kept, 60s);
    const auto r = http_request(f.port(), "DELETE", "/applications/" + erased + "/personal-data");
    INFO(r.body);
    REQUIRE(r.status == 200);

    const auto payloads = submitted_payloads(mock);
    REQUIRE(payloads.count(erased) == 1);
    REQUIRE(payloads.count(kept) == 1);
    const auto rows = data_key_rows(f.conninfo());
    CHECK(rows.size() == 1);  // the kept application's

    // Tries every key the service holds on a message's sealed PAN; returns what opened it, if anything.
    auto open = [&](const std::string& id, const std::string& payload) -> std::optional<std::string> {
        const auto body = json::parse(payload).as_object();
        CHECK(body.at("pan_key_id").as_string() == crypto::data_key_id);
        const std::string sealed{body.at("pan_number_encrypted").as_string()};
        CHECK(payload.find(id == erased ? erased_pan : kept_pan) == std::string::npos);
        for (const auto& k : master_keys)  // a master key directly
            if (auto pan = master.decrypt(k.id, sealed, id)) return pan;
        for (const auto& row : rows)  // every data key left in PostgreSQL, under either binding
            for (const auto& aad : {crypto::data_key_aad(row[0]), crypto::data_key_aad(id)})
                if (auto key = crypto::data_key::unwrap(master, {row[1], row[2]}, aad))
                    if (auto pan = key->decrypt(sealed, id)) return pan;
        return std::nullopt;
    };
    CHECK_FALSE(open(erased, payloads.at(erased)).has_value());
    CHECK(open(kept, payloads.at(kept)) == kept_pan);
}
