// In-process service fixture for the integration suites.
#include "service_fixture.hpp"

#include "support/pg_harness.hpp"

#include <prequal/crypto/keys.hpp>

#include <boost/json/parse.hpp>
#include <catch2/catch.hpp>
#include <libpq-fe.h>

#include <atomic>
#include <random>
#include <thread>

namespace prequal::test {

test_keys make_test_keys() {
    const auto k = crypto::generate_keys();
    return {crypto::format_encryption_key(k.encryption_keys.front()),
            crypto::format_pan_index_key(k.pan_index_key)};
}

service_fixture::service_fixture(std::function<void(app::service_config&)> tweak) {
    conninfo_ = pg_harness::instance().fresh_database();
    app::service_config c;
    c.database_url = conninfo_;
    c.listen_port = 0;
    const auto keys = make_test_keys();
    c.encryption_keys = keys.encryption_keys;
    c.pan_index_key = keys.pan_index_key;
    c.db_pool_size = 8;
    c.log_level = "warn";
    if (tweak) tweak(c);
    core::log_level level = core::log_level::warn;
    core::parse_log_level(c.log_level, level);
    svc_ = std::make_unique<app::service>(c, core::logger{"test-service", level});
    svc_->start();
    port_ = svc_->port();
}

service_fixture::~service_fixture() {
    svc_->request_stop();
    svc_->wait();
}

http_result service_fixture::submit(const std::string& pan, const std::string& income,
                                    const std::string& loan, const std::string& loan_type,
                                    const std::string& idempotency_key) {
    std::string body =
        "{\"pan_number\":\"" + pan + "\",\"monthly_income_inr\":" + income + ",\"loan_amount_inr\":" + loan;
    if (!loan_type.empty()) body += ",\"loan_type\":\"" + loan_type + "\"";
    body += "}";
    std::vector<std::pair<std::string, std::string>> headers;
    if (!idempotency_key.empty()) headers.emplace_back("Idempotency-Key", idempotency_key);
    return post_json(port_, "/applications", body, headers);
}

std::string service_fixture::submit_ok(const std::string& pan, const std::string& income,
                                       const std::string& loan, const std::string& loan_type) {
    auto r = submit(pan, income, loan, loan_type);
    INFO(r.body);
    REQUIRE(r.status == 202);
    auto v = boost::json::parse(r.body).as_object();
    return std::string(v.at("application_id").as_string());
}

boost::json::object service_fixture::wait_final(const std::string& id, std::chrono::seconds timeout) {
    const auto deadline = std::chrono::steady_clock::now() + timeout;
    boost::json::object last;
    while (std::chrono::steady_clock::now() < deadline) {
        auto r = http_request(port_, "GET", "/applications/" + id + "/status");
        REQUIRE(r.status == 200);
        last = boost::json::parse(r.body).as_object();
        if (last.at("status").as_string() != "PENDING") return last;
        std::this_thread::sleep_for(std::chrono::milliseconds{20});
    }
    FAIL("application " << id << " still PENDING after the timeout");
    return last;
}

std::string unique_pan() {
    static std::atomic<unsigned> counter{0};
    static const unsigned seed = std::random_device{}();
    const unsigned n = counter++;
    std::string pan(10, 'A');
    unsigned x = seed ^ (n * 2654435761u);
    for (int i = 0; i < 5; ++i) {
        pan[i] = static_cast<char>('A' + x % 26);
        x /= 26;
    }
    unsigned digits = n % 10000;
    for (int i = 8; i >= 5; --i, digits /= 10) pan[i] = static_cast<char>('0' + digits % 10);
    pan[9] = static_cast<char>('A' + (n / 10000) % 26);
    return pan;
}

std::string sql_value(const std::string& conninfo, const std::string& query) {
    PGconn* c = PQconnectdb(conninfo.c_str());
    if (PQstatus(c) != CONNECTION_OK) {
        std::string err = PQerrorMessage(c);
        PQfinish(c);
        throw std::runtime_error("connect: " + err);
    }
    PGresult* r = PQexec(c, query.c_str());
    const auto st = PQresultStatus(r);
    if (st != PGRES_TUPLES_OK && st != PGRES_COMMAND_OK) {
        std::string err = PQerrorMessage(c);
        PQclear(r);
        PQfinish(c);
        throw std::runtime_error("query failed: " + err);
    }
    std::string out = (st == PGRES_TUPLES_OK && PQntuples(r) > 0) ? PQgetvalue(r, 0, 0) : "";
    PQclear(r);
    PQfinish(c);
    return out;
}

std::int64_t sql_count(const std::string& conninfo, const std::string& query) {
    return std::stoll(sql_value(conninfo, query));
}

}  // namespace prequal::test
