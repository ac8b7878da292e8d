// What a pool tells operators about the database: its size and circuit breaker as metrics, and a log line
// when the breaker opens or closes. Lives beside the pool so every process that has one reports the same way.
#pragma once

#include <prequal/core/logger.hpp>
#include <prequal/core/metrics.hpp>
#include <prequal/pg/pool.hpp>

namespace prequal::pg {

/// Registers db_pool_connections, db_circuit_state and db_circuit_transitions_total{to} (every `to` at 0
/// up front, so a dashboard sees the series before the first outage) and logs through `log` when the
/// circuit opens (warn) or closes (info). Takes the pool's circuit listener (pool::on_circuit_change): one
/// call per pool. Lifetimes: `metrics` outlives `p` (the listener counts into it) and `p` outlives every
/// render of `metrics` (the gauges read it then).
void attach_pool_telemetry(pool& p, core::metrics_registry& metrics, core::logger log);

}  // namespace prequal::pg
