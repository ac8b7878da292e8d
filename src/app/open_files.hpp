// The HTTP connection budget. At start-up the soft open-files limit is raised to the hard limit (as servers
// commonly do: the soft limit is often 1024 for select()'s sake, which nothing here uses), and when
// --max-connections is not given it is derived from that limit minus a reserve for everything else the
// process opens: stdio, the event loop's descriptors, the listener, the database pool, the outbox's LISTEN
// connection, migrations, the private cluster's control pipes and, on Kafka, librdkafka's broker sockets
// and wake-up pipes (one set per client and broker).
#pragma once

#include "config.hpp"

#include <prequal/core/logger.hpp>

#include <cstddef>
#include <cstdint>

namespace prequal::app {

/// reserve = max(reserve_floor, db-pool-size + reserve_over_pool) + (Kafka ? reserve_kafka : 0).
inline constexpr std::size_t reserve_floor = 64;
inline constexpr std::size_t reserve_over_pool = 48;
inline constexpr std::size_t reserve_kafka = 128;

struct open_files_limit {
    std::uint64_t soft_before = 0;  // the soft limit the process started with
    std::uint64_t soft = 0;         // the soft limit now
    std::uint64_t hard = 0;
    int error = 0;  // errno when the limit could not be read or raised, else 0
};

/// Raises the soft RLIMIT_NOFILE to the hard limit (on Linux at most fs.nr_open, above which the kernel
/// refuses any value). RLIM_INFINITY is reported as `unlimited_files`.
open_files_limit raise_open_files_limit();
inline constexpr std::uint64_t unlimited_files = std::uint64_t{1} << 20;

/// Descriptors kept back from HTTP connections for `config` (see reserve_floor).
std::size_t reserved_descriptors(const service_config& config);

/// The default --max-connections under soft limit `soft`: soft - reserve, but at least half of soft, so a
/// small limit still admits connections (and at least 1).
std::size_t derived_max_connections(std::uint64_t soft, std::size_t reserve);

/// Start-up: raises the limit, logs the result at info, and returns config.max_connections when set (with a
/// warning when it exceeds what the limit leaves for connections), else the derived default.
std::size_t connection_budget(const service_config& config, const core::logger& log);

}  // namespace prequal::app
