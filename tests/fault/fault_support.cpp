// Exactly-once accounting and reporting for the fault-injection suite.
#include "fault_support.hpp"

#include "service_fixture.hpp"

#include <catch2/catch.hpp>

#include <fstream>
#include <iostream>
#include <sstream>
#include <thread>

namespace prequal::test {

std::string application_body() {
    return "{\"pan_number\":\"" + unique_pan() +
           "\",\"monthly_income_inr\":65000,\"loan_amount_inr\":900000,\"loan_type\":\"PERSONAL\"}";
}

std::string application_id_of(const std::string& body) {
    const std::string key = "\"application_id\":\"";
    const auto pos = body.find(key);
    return pos == std::string::npos ? std::string{} : body.substr(pos + key.size(), 36);
}

bool wait_no_pending(const std::string& conninfo, std::chrono::seconds timeout) {
    const auto deadline = std::chrono::steady_clock::now() + timeout;
    while (sql_count(conninfo, "SELECT count(*) FROM applications WHERE status = 'PENDING'") > 0) {
        if (std::chrono::steady_clock::now() > deadline) return false;
        std::this_thread::sleep_for(std::chrono::milliseconds{100});
    }
    return true;
}

namespace {

// Per-application counts for a set of ids (or every application when `ids_sql` is empty).
std::string per_application_sql(const std::string& ids_sql) {
    const std::string source = ids_sql.empty() ? "SELECT id FROM applications" : ids_sql;
    return "WITH ids AS (" + source +
           "), per AS (SELECT i.id, a.status, a.version, "
           "(SELECT count(*) FROM credit_reports c WHERE c.application_id = i.id) AS cr, "
           "(SELECT count(*) FROM audit_log l WHERE l.application_id = i.id AND l.action = "
           "'DECISION_RECORDED') AS dr, "
           "(SELECT count(*) FROM audit_log l WHERE l.application_id = i.id AND l.action = 'PAN_ENCRYPTED') "
           "AS pe "
           "FROM ids i LEFT JOIN applications a ON a.id = i.id) ";
}

}  // namespace

exactly_once_report check_exactly_once(const std::string& conninfo, const std::set<std::string>& accepted) {
    exactly_once_report r;
    r.accepted = static_cast<std::int64_t>(accepted.size());
    if (!accepted.empty()) {
        std::string array = "'{";
        bool first = true;
        for (const auto& id : accepted) {
            if (!first) array += ",";
            array += id;
            first = false;
        }
        array += "}'::uuid[]";
        const auto with = per_application_sql("SELECT unnest(" + array + ") AS id");
        r.lost =
            sql_count(conninfo, with +
                                    "SELECT count(*) FROM per WHERE status IS NULL OR status = 'PENDING' "
                                    "OR cr = 0 OR dr = 0 OR pe = 0");
        r.duplicated = sql_count(conninfo, with +
                                               "SELECT count(*) FROM per WHERE cr > 1 OR dr > 1 OR pe > 1 "
                                               "OR version > 2");
    }
    r.incomplete =
        sql_count(conninfo, per_application_sql("") +
                                "SELECT count(*) FROM per WHERE status = 'PENDING' OR version <> 2 "
                                "OR cr <> 1 OR dr <> 1 OR pe <> 1");
    return r;
}

void print_fault_row(const std::string& fault, std::int64_t in_flight, const exactly_once_report& r,
                     const std::string& notes) {
    std::ostringstream line;
    line << "FAULT TABLE | " << fault << " | accepted " << r.accepted << " | in flight " << in_flight
         << " | lost " << r.lost << " | duplicated " << r.duplicated << " | not exactly-once (whole db) "
         << r.incomplete;
    if (!notes.empty()) line << " | " << notes;
    std::cout << line.str() << std::endl;
    WARN(line.str());
}

std::int64_t resident_kib() {
    std::ifstream in("/proc/self/status");
    std::string key;
    while (in >> key) {
        if (key == "VmRSS:") {
            std::int64_t kib = 0;
            in >> kib;
            return kib;
        }
        std::string rest;
        std::getline(in, rest);
    }
    return 0;
}

double metric_value(const std::string& metrics_body, const std::string& series) {
    std::istringstream in(metrics_body);
    std::string line;
    while (std::getline(in, line)) {
        if (line.size() > series.size() && line.compare(0, series.size(), series) == 0 &&
            line[series.size()] == ' ')
            return std::stod(line.substr(series.size() + 1));
    }
    return -1;
}

}  // namespace prequal::test
