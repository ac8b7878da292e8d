// Private to prequal::crypto: key-shape rules shared by the cipher and the key parsers, so both reject
// the same things with the same words.
#pragma once

#include <prequal/crypto/pan_cipher.hpp>

#include <cstddef>
#include <cstdint>
#include <string_view>
#include <vector>

namespace prequal::crypto::detail {

inline constexpr std::size_t aes_key_size = 32;
inline constexpr std::size_t min_index_key_size = 32;
inline constexpr std::size_t max_key_id_size = 16;
inline constexpr std::string_view key_id_rule = "1-16 characters of [A-Za-z0-9_-]";

/// True when `id` is 1–16 characters of [A-Za-z0-9_-].
constexpr bool is_valid_key_id(std::string_view id) {
    if (id.empty() || id.size() > max_key_id_size) return false;
    for (const char c : id) {
        const bool ok = (c >= 'A' && c <= 'Z') || (c >= 'a' && c <= 'z') || (c >= '0' && c <= '9') ||
                        c == '_' || c == '-';
        if (!ok) return false;
    }
    return true;
}

/// Parses an "ID:BASE64[,...]" ring; error messages start with `label` (the flag or file it came from).
/// Throws std::invalid_argument.
std::vector<encryption_key> parse_key_ring(std::string_view spec, std::string_view label);
/// Parses a base64 index key of ≥ 32 bytes; throws std::invalid_argument starting with `label`.
std::vector<std::uint8_t> parse_index_key(std::string_view b64, std::string_view label);

}  // namespace prequal::crypto::detail
