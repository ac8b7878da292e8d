// Unkeyed digests of public content (e.g. a migration file's checksum). Anything derived from personal data
// or secrets needs a key: use pan_index instead.
#pragma once

#include <string>
#include <string_view>

namespace prequal::crypto {

/// Lowercase hex SHA-256 of `data` (64 chars); every byte counts, NULs included.
std::string sha256_hex(std::string_view data);

}  // namespace prequal::crypto
