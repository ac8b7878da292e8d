// One-shot operator commands on a deployment's database: `prequal migrate`, `prequal dlq list|show|replay`
// and `prequal outbox status`. They talk to PostgreSQL only, never to the bus, so they work whichever bus
// the serving processes use.
#pragma once

#include "config.hpp"

#include <prequal/core/logger.hpp>

#include <iostream>

namespace prequal::app {

/// Runs `prequal dlq ...` or `prequal outbox ...` (cl.command, cl.args, cl.json). Results go to `out`
/// (aligned tables, or JSON with --json), problems to `err`. Returns 0 on success, 2 for a usage error
/// (unknown subcommand, missing or malformed ID), 1 when the command failed (e.g. no such ID, database
/// unreachable).
int run_ops_command(const command_line& cl, const core::logger& log, std::ostream& out = std::cout,
                    std::ostream& err = std::cerr);

/// `prequal migrate`: applies pending migrations (starting/stopping the private cluster when no URL).
/// Returns 0; throws std::exception with a clear message when the database or a migration fails.
int run_migrate(const service_config& config, core::logger log);

}  // namespace prequal::app
