// Shared pieces of the fault-injection suite: request bodies, exactly-once accounting in the database,
// the fault table printed for the issue note, and the test process's resident memory.
#pragma once

#include <chrono>
#include <cstdint>
#include <set>
#include <string>

namespace prequal::test {

/// A valid application body for a unique PAN.
std::string application_body();
/// The application_id of a 202 body ("" when absent).
std::string application_id_of(const std::string& body);

/// Waits until no application of the database is PENDING; false when `timeout` passed first.
bool wait_no_pending(const std::string& conninfo, std::chrono::seconds timeout);

struct exactly_once_report {
    std::int64_t accepted = 0;  // 202s the clients saw
    std::int64_t lost = 0;      // accepted but missing, undecided, or without credit report / decision audit
    std::int64_t duplicated =
        0;  // more than one credit report, DECISION_RECORDED or PAN_ENCRYPTED, or version > 2
    std::int64_t incomplete =
        0;  // applications of the whole database (also unseen ones) not decided exactly once
};

/// Counts, per application, credit reports, DECISION_RECORDED and PAN_ENCRYPTED audit rows and the version.
exactly_once_report check_exactly_once(const std::string& conninfo, const std::set<std::string>& accepted);

/// Prints one row of the fault table (stdout and a Catch2 WARN, so it shows in ctest -V and on failure).
void print_fault_row(const std::string& fault, std::int64_t in_flight, const exactly_once_report& r,
                     const std::string& notes = {});

/// VmRSS of this process in KiB (0 when /proc is unavailable).
std::int64_t resident_kib();

/// The value of an unlabelled or fully labelled series line in a /metrics body, or -1.
double metric_value(const std::string& metrics_body, const std::string& series);

}  // namespace prequal::test
