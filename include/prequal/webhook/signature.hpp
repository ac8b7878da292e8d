// The Prequal-Signature header of contract section 7, as Stripe signs webhooks: the timestamp is signed
// with the body so a captured request cannot be replayed later with another time.
#pragma once

#include <cstdint>
#include <string>
#include <string_view>
#include <vector>

namespace prequal::webhook {

/// "t=<unix>,v1=<hex hmac-sha256(secret, "<t>.<body>")>[,v1=...]": one v1 per secret, in the given order
/// (two during a secret rotation). The key is each secret's bytes exactly as given.
std::string signature_header(std::int64_t unix_seconds, std::string_view body,
                             const std::vector<std::string>& secrets);

}  // namespace prequal::webhook
