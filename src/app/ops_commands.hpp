// One-shot operator commands on a deployment's database: `prequal migrate`, `prequal dlq list|show|replay`
// and `prequal outbox status`. They talk to PostgreSQL only, never to the bus, so they work whichever bus
// the serving processes use.
#pragma once

#include "config.hpp"

#include <prequal/core/logger.hpp>
#include <prequal/pg/connection.hpp>

#include <boost/asio/awaitable.hpp>

#include <functional>
#include <iostream>
#include <string>
#include <string_view>
#include <vector>

namespace prequal::app {

/// Runs `prequal dlq ...` or `prequal outbox ...` (cl.command, cl.args, cl.json). Results go to `out`
/// (aligned tables, or JSON with --json), problems to `err`. Returns 0 on success, 2 for a usage error
/// (unknown subcommand, missing or malformed ID), 1 when the command failed (e.g. no such ID, database
/// unreachable).
int run_ops_command(const command_line& cl, const core::logger& log, std::ostream& out = std::cout,
                    std::ostream& err = std::cerr);

/// Runs `work` on one connection to the configured database: the --database-url, or the private cluster under
/// --data-dir (borrowed when a `serve` runs on it, else started and stopped again). A failure is reported on
/// `err` as "prequal: <command> failed: ..." and returns 1; otherwise returns what `work` returned.
int run_on_database(const service_config& config, const core::logger& log, std::string_view command,
                    std::ostream& err,
                    const std::function<boost::asio::awaitable<int>(pg::connection&)>& work);

/// Writes `rows` under `head` as left-aligned columns two spaces apart.
void print_table(std::ostream& out, const std::vector<std::string>& head,
                 const std::vector<std::vector<std::string>>& rows);

/// `prequal migrate`: applies pending migrations (starting/stopping the private cluster when no URL).
/// Returns 0; throws std::exception with a clear message when the database or a migration fails.
int run_migrate(const service_config& config, core::logger log);

}  // namespace prequal::app
