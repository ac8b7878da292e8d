// pg::attach_pool_telemetry: the pool's gauges, the circuit transition counters and the outage log lines.
#include <prequal/pg/pool_telemetry.hpp>

#include <cstdint>
#include <string>

namespace prequal::pg {

namespace {

core::counter& transitions(core::metrics_registry& metrics, circuit_state to) {
    return metrics.get_counter("db_circuit_transitions_total", "Database circuit breaker state changes",
                               {{"to", to_string(to)}});
}

}  // namespace

void attach_pool_telemetry(pool& p, core::metrics_registry& metrics, core::logger log) {
    metrics.add_callback_gauge("db_pool_connections", "Open database connections", {},
                               [&p] { return static_cast<std::int64_t>(p.size()); });
    metrics.add_callback_gauge("db_circuit_state", "Database circuit breaker: 0 closed, 1 open, 2 half-open",
                               {}, [&p] { return static_cast<std::int64_t>(p.circuit()); });
    for (auto to : {circuit_state::closed, circuit_state::open, circuit_state::half_open})
        transitions(metrics, to);
    p.on_circuit_change([&metrics, log = std::move(log)](circuit_state to) {
        transitions(metrics, to).inc();
        if (to == circuit_state::open) log.warn("database unreachable: circuit breaker open, failing fast");
        if (to == circuit_state::closed) log.info("database reachable again: circuit breaker closed");
    });
}

}  // namespace prequal::pg
