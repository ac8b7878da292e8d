// `prequal apikey create|list|revoke` (contract section 6): API keys in the deployment's database, which
// every serving replica reads.
#pragma once

#include "config.hpp"

#include <prequal/core/logger.hpp>

#include <iostream>

namespace prequal::app {

/// Runs `prequal apikey ...` (cl.args, cl.apikey, cl.json). create prints the key alone on the first line of
/// `out` (or a JSON object with --json); list never shows a secret. Returns 0 on success, 2 for a usage error
/// (checked before the database is touched), 1 when the command failed (no such key, database unreachable).
int run_apikey_command(const command_line& cl, const core::logger& log, std::ostream& out = std::cout,
                       std::ostream& err = std::cerr);

}  // namespace prequal::app
