// `prequal erase ID` and `prequal rewrap` (contract section 8, docs/pan-protection.md): operator commands on
// the applicants' personal data.
#pragma once

#include "config.hpp"

#include <prequal/core/logger.hpp>

#include <iostream>

namespace prequal::app {

/// `prequal erase ID`: erases one decided application's personal data as DELETE .../personal-data does (any
/// client's; the audit row says `operator`). Prints "erased ID" (or "ID was already erased") and returns 0;
/// 1 with a message for an unknown or PENDING application or a failure; 2 for a missing or malformed ID.
int run_erase_command(const command_line& cl, const core::logger& log, std::ostream& out = std::cout,
                      std::ostream& err = std::cerr);

/// `prequal rewrap`: rewraps every data key under the first key of --encryption-keys (or of the data
/// directory's key file), in batches, safe beside serving replicas and other rewraps. Prints how many it
/// rewrapped. Returns 0; 1 when some keys could not be opened with the configured keys (their count is
/// printed) or the command failed; 2 for a usage error.
int run_rewrap_command(const command_line& cl, const core::logger& log, std::ostream& out = std::cout,
                       std::ostream& err = std::cerr);

}  // namespace prequal::app
