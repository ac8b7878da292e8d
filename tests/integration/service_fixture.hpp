// Boots the whole pipeline in-process (api + credit + decision on the memory bus) against a fresh,
// migrated database of the test PostgreSQL cluster, listening on an ephemeral port.
#pragma once

#include "config.hpp"
#include "http_client.hpp"
#include "service.hpp"

#include <boost/json/object.hpp>

#include <chrono>
#include <functional>
#include <memory>
#include <string>

namespace prequal::test {

/// Fresh key material in command-line form, for configs and spawned processes.
struct test_keys {
    std::string encryption_keys;
    std::string pan_index_key;
};
test_keys make_test_keys();

class service_fixture {
public:
    /// `tweak` may adjust the config before start (e.g. fewer attempts, another module set).
    explicit service_fixture(std::function<void(app::service_config&)> tweak = {});
    ~service_fixture();

    app::service& service() { return *svc_; }
    std::uint16_t port() const { return port_; }
    const std::string& conninfo() const { return conninfo_; }

    /// POSTs an application; returns the HTTP result.
    http_result submit(const std::string& pan, const std::string& income, const std::string& loan,
                       const std::string& loan_type = "", const std::string& idempotency_key = "");
    /// Submits and REQUIREs 202; returns the application id.
    std::string submit_ok(const std::string& pan, const std::string& income, const std::string& loan,
                          const std::string& loan_type = "");
    /// Polls GET status until the status is final; REQUIREs that it becomes final within `timeout`.
    boost::json::object wait_final(const std::string& id,
                                   std::chrono::seconds timeout = std::chrono::seconds{30});

private:
    std::string conninfo_;
    std::unique_ptr<app::service> svc_;
    std::uint16_t port_ = 0;
};

/// A unique valid PAN for this process (5 letters, 4 digits, 1 letter).
std::string unique_pan();

/// Runs one SQL statement with blocking libpq (tests only) and returns the first column of the first row
/// ("" when no row). Throws std::runtime_error on failure.
std::string sql_value(const std::string& conninfo, const std::string& query);
std::int64_t sql_count(const std::string& conninfo, const std::string& query);

}  // namespace prequal::test
