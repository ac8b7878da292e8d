// The composition root: builds the platform objects and the selected modules from a service_config,
// runs them on one io_context thread, and stops them in order. Used by `prequal serve` and by the
// integration tests, which boot the whole pipeline in-process.
#pragma once

#include "config.hpp"

#include <prequal/core/logger.hpp>

#include <cstdint>
#include <memory>
#include <string>

namespace boost::asio {
class io_context;
}
namespace prequal::bus {
class message_bus;
}
namespace prequal::decision {
class decision_module;
}
namespace prequal::test {
struct service_test_access;
}

namespace prequal::app {

class service {
public:
    service(service_config config, core::logger log);
    ~service();  // stops if still running

    /// Blocking start-up: keys, private cluster (when no database URL), migrations, then the io thread.
    /// Returns once the HTTP listener is bound. Throws std::exception with a clear message on failure.
    void start();

    /// The bound HTTP port (useful with port 0).
    std::uint16_t port() const;

    /// Requests a graceful stop (any thread, idempotent): /ready → 503, stop accepting, drain in-flight
    /// requests and handlers, stop the publisher after its batch, close the pool.
    void request_stop();

    /// Blocks until the service has stopped; returns 0 on a clean stop, 1 if it failed while running.
    int wait();

    /// Installs SIGTERM/SIGINT handling that calls request_stop(), then start() and wait().
    int run_until_signal();

    /// The libpq conninfo in use (the private cluster's when no URL was given).
    std::string conninfo() const;

private:
    // Tests reach the running process (its io thread, bus and modules) through tests/support/, not through
    // public test hooks; these accessors are for that helper only.
    friend struct test::service_test_access;
    boost::asio::io_context& io_context();
    bus::message_bus& bus();
    decision::decision_module* decision_module();  // null when this process does not run it

    struct impl;
    std::unique_ptr<impl> impl_;
};

}  // namespace prequal::app
