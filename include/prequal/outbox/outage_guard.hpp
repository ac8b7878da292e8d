// Consumers must not burn their delivery attempts while the database is down: this wrapper turns
// "database unavailable" failures into bus::dependency_unavailable, which buses retry without limit
// (capped backoff) instead of dead-lettering.
#pragma once

#include <prequal/bus/message_bus.hpp>

namespace prequal::outbox {

/// `h`, with pg::error::is_unavailable() failures rethrown as bus::dependency_unavailable.
bus::handler pause_on_outage(bus::handler h);

}  // namespace prequal::outbox
