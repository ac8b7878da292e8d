// The PostgreSQL a process uses: the configured --database-url, or else the private cluster under
// --data-dir, started by the constructor and stopped by stop() or the destructor. Shared by `prequal serve`
// and the one-shot commands (migrate, dlq, outbox).
#pragma once

#include "config.hpp"

#include <prequal/core/logger.hpp>

#include <memory>
#include <string>

namespace prequal::pg {
class embedded_cluster;
}

namespace prequal::app {

class database {
public:
    /// Blocking: with no URL configured, starts the private cluster (initdb on first use). Throws
    /// std::runtime_error when it cannot start. `borrow_running`: a private cluster that is already running
    /// (a `serve` on the same data directory) is used and left running; operator commands pass true.
    database(const service_config& config, const core::logger& log, bool borrow_running = false);
    /// Stops the private cluster, if this object started one (errors ignored: use stop() to see them).
    ~database();
    database(const database&) = delete;
    database& operator=(const database&) = delete;

    /// Stops the private cluster now, if this object started one (idempotent). Throws std::runtime_error
    /// when pg_ctl fails.
    void stop();

    /// The libpq conninfo: the configured URL, or the private cluster's.
    const std::string& conninfo() const { return conninfo_; }

private:
    std::unique_ptr<pg::embedded_cluster> cluster_;
    std::string conninfo_;
};

}  // namespace prequal::app
