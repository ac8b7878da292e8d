// HMAC-SHA256 with a caller-given key of any length (e.g. a webhook signing secret), through Botan so that
// nothing outside prequal::crypto includes it. The PAN index (pan_index.hpp) adds its key-length rule on top.
#pragma once

#include <string>
#include <string_view>

namespace prequal::crypto {

/// Lowercase hex HMAC-SHA256(key, message) (64 chars), RFC 2104 / RFC 4231; the key's bytes exactly as
/// given (any length, empty included). Thread-safe.
std::string hmac_sha256(std::string_view key, std::string_view message);

}  // namespace prequal::crypto
