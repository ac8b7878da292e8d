// Key material: parsing of --encryption-keys / --pan-index-key, generation (`prequal keygen`) and the
// embedded default's key file (created on first run with mode 0600).
#pragma once

#include <prequal/crypto/pan_cipher.hpp>

#include <cstdint>
#include <filesystem>
#include <string>
#include <string_view>
#include <vector>

namespace prequal::crypto {

struct key_material {
    std::vector<encryption_key> encryption_keys;
    std::vector<std::uint8_t> pan_index_key;
};

/// "ID:BASE64[,ID:BASE64...]" → keys. Throws std::invalid_argument with a message naming the bad entry by
/// position/id (never echoing key bytes).
std::vector<encryption_key> parse_encryption_keys(std::string_view spec);
/// BASE64 of ≥ 32 bytes. Throws std::invalid_argument.
std::vector<std::uint8_t> parse_pan_index_key(std::string_view b64);

/// Fresh random material: one key with id "k" + yyyymmdd and a 32-byte index key.
key_material generate_keys();
/// The command-line forms: "ID:BASE64" and "BASE64".
std::string format_encryption_key(const encryption_key& k);
std::string format_pan_index_key(const std::vector<std::uint8_t>& key);

/// Reads `file` (two lines: encryption-keys spec, pan-index-key), or creates it with fresh keys and mode
/// 0600 when absent. Throws std::runtime_error if it exists with group/other permissions or is malformed.
key_material load_or_create_key_file(const std::filesystem::path& file);

std::string base64_encode(const std::uint8_t* data, std::size_t n);
inline std::string base64_encode(std::string_view s) {
    return base64_encode(reinterpret_cast<const std::uint8_t*>(s.data()), s.size());
}
/// Throws std::invalid_argument on malformed input.
std::vector<std::uint8_t> base64_decode(std::string_view b64);

/// Constant-time equality of two byte strings (length may leak).
bool constant_time_equal(std::string_view a, std::string_view b);

}  // namespace prequal::crypto
