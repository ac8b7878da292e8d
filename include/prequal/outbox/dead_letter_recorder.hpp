// Records every message that reaches a dead-letter topic in the dead_letters table, so operators can list
// and replay them whichever bus is in use.
#pragma once

#include <prequal/bus/message_bus.hpp>
#include <prequal/core/logger.hpp>
#include <prequal/pg/pool.hpp>

#include <string>
#include <vector>

namespace prequal::outbox {

/// Subscribes group `group` to `<topic>_dlq` for each topic; each message becomes one dead_letters row
/// (deduplicated by the inbox, so redelivery records it once).
void record_dead_letters(bus::message_bus& bus, pg::pool& pool, const std::vector<std::string>& topics,
                         const std::string& group, const core::logger& log);

}  // namespace prequal::outbox
