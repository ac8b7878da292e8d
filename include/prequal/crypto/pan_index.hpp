// Keyed look-up digest of a PAN: HMAC-SHA256 under a secret key (≥ 32 bytes). A bare SHA-256 could be
// brute-forced over the ~10^13 PAN space; without the key this cannot.
#pragma once

#include <cstdint>
#include <string>
#include <string_view>
#include <vector>

namespace prequal::crypto {

class pan_index {
public:
    /// Throws std::invalid_argument when the key is shorter than 32 bytes.
    explicit pan_index(std::vector<std::uint8_t> key);
    /// Lowercase hex HMAC-SHA256(key, data) (64 chars). Deterministic; usable for any secret-keyed digest.
    std::string digest_hex(std::string_view data) const;

private:
    std::vector<std::uint8_t> key_;
};

}  // namespace prequal::crypto
