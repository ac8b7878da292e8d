// `prequal webhook set|rotate-secret|show` (contract section 7) and what `apikey create --webhook-url` shares
// with it: the URL check (syntax, scheme, every resolved address) and the key ring that seals secrets.
#pragma once

#include "config.hpp"

#include <prequal/core/logger.hpp>
#include <prequal/crypto/pan_cipher.hpp>

#include <iostream>
#include <optional>
#include <string>

namespace prequal::app {

/// Runs `prequal webhook ...` (cl.args, cl.webhook, cl.json). set and rotate-secret print the new secret
/// alone on the last line of `out`. Returns 0 on success, 2 for a usage error, 1 when refused (a URL that
/// fails the destination rule, no webhook to rotate) or failed (database unreachable).
int run_webhook_command(const command_line& cl, const core::logger& log, std::ostream& out = std::cout,
                        std::ostream& err = std::cerr);

/// nullopt when `url` may receive webhooks (parse_url, then resolve_checked: every address public unless
/// `allow_private`), else the sentence saying why not. Blocks the calling thread (operator commands only).
std::optional<std::string> check_webhook_url(const std::string& url, bool allow_private);

/// The key ring that seals webhook secrets: --encryption-keys, else (no --database-url) the private
/// cluster's key file under --data-dir. Throws std::invalid_argument naming the missing option.
crypto::pan_cipher secret_cipher(const service_config& config);

/// The note that follows a printed secret (on stderr).
inline constexpr const char* secret_shown_once =
    "prequal: store the webhook signing secret now (last line of the output); it is not shown again";

}  // namespace prequal::app
