// Key material from the command line and from `prequal keygen`, plus the base64 and constant-time
// helpers the rest of the service uses so that it never includes Botan itself.
#include "key_rules.hpp"

#include <prequal/crypto/keys.hpp>

#include <botan/base64.h>
#include <botan/exceptn.h>
#include <botan/mem_ops.h>
#include <botan/system_rng.h>

#include <array>
#include <ctime>
#include <stdexcept>
#include <string>

namespace prequal::crypto {
namespace detail {
namespace {

std::string_view trim(std::string_view s) {
    const auto is_space = [](char c) { return c == ' ' || c == '\t' || c == '\r' || c == '\n'; };
    while (!s.empty() && is_space(s.front())) s.remove_prefix(1);
    while (!s.empty() && is_space(s.back())) s.remove_suffix(1);
    return s;
}

}  // namespace

std::vector<encryption_key> parse_key_ring(std::string_view spec, std::string_view label) {
    const std::string where{label};
    if (trim(spec).empty())
        throw std::invalid_argument(where + " is empty; expected ID:BASE64[,ID:BASE64...]");

    std::vector<encryption_key> ring;
    std::size_t position = 0;
    while (true) {
        ++position;
        const std::size_t comma = spec.find(',');
        const std::string_view entry = trim(spec.substr(0, comma));
        const std::string entry_name = where + " entry " + std::to_string(position);

        const std::size_t colon = entry.find(':');
        if (colon == std::string_view::npos) {
            throw std::invalid_argument(entry_name + ": expected ID:BASE64");
        }
        const std::string_view id = entry.substr(0, colon);
        if (!is_valid_key_id(id)) {
            // Not echoed: a malformed id may be key material typed in the wrong order.
            throw std::invalid_argument(entry_name + ": key id must be " + std::string{key_id_rule});
        }
        const std::string named = entry_name + " (id '" + std::string{id} + "')";
        std::vector<std::uint8_t> key;
        try {
            key = base64_decode(entry.substr(colon + 1));
        } catch (const std::invalid_argument&) {
            throw std::invalid_argument(named + ": key is not valid base64");
        }
        if (key.size() != aes_key_size) {
            throw std::invalid_argument(named + ": key must be 32 bytes after base64 decoding, got " +
                                        std::to_string(key.size()));
        }
        for (const auto& earlier : ring) {
            if (earlier.id == id) throw std::invalid_argument(named + ": duplicate key id");
        }
        ring.push_back({std::string{id}, std::move(key)});

        if (comma == std::string_view::npos) break;
        spec.remove_prefix(comma + 1);
    }
    return ring;
}

std::vector<std::uint8_t> parse_index_key(std::string_view b64, std::string_view label) {
    const std::string where{label};
    std::vector<std::uint8_t> key;
    try {
        key = base64_decode(trim(b64));
    } catch (const std::invalid_argument&) {
        throw std::invalid_argument(where + ": key is not valid base64");
    }
    if (key.size() < min_index_key_size) {
        throw std::invalid_argument(where + ": key must be at least 32 bytes after base64 decoding, got " +
                                    std::to_string(key.size()));
    }
    return key;
}

}  // namespace detail

std::vector<encryption_key> parse_encryption_keys(std::string_view spec) {
    return detail::parse_key_ring(spec, "--encryption-keys");
}

std::vector<std::uint8_t> parse_pan_index_key(std::string_view b64) {
    return detail::parse_index_key(b64, "--pan-index-key");
}

key_material generate_keys() {
    const std::time_t now = std::time(nullptr);
    std::tm utc{};
    gmtime_r(&now, &utc);
    std::array<char, 16> date{};
    std::strftime(date.data(), date.size(), "%Y%m%d", &utc);

    auto& rng = Botan::system_rng();
    key_material m;
    const auto aes = rng.random_vec(detail::aes_key_size);
    m.encryption_keys.push_back({std::string{"k"} + date.data(), {aes.begin(), aes.end()}});
    const auto index = rng.random_vec(detail::min_index_key_size);
    m.pan_index_key.assign(index.begin(), index.end());
    return m;
}

std::string format_encryption_key(const encryption_key& k) {
    return k.id + ":" + base64_encode(k.key.data(), k.key.size());
}

std::string format_pan_index_key(const std::vector<std::uint8_t>& key) {
    return base64_encode(key.data(), key.size());
}

std::string base64_encode(const std::uint8_t* data, std::size_t n) { return Botan::base64_encode(data, n); }

std::vector<std::uint8_t> base64_decode(std::string_view b64) {
    // Strict: standard alphabet, padded, no whitespace, canonical. Botan alone would accept missing
    // padding and non-zero spare bits, so one key could be written several ways.
    if (b64.size() % 4 != 0) throw std::invalid_argument("base64: length is not a multiple of 4");
    Botan::secure_vector<std::uint8_t> decoded;
    try {
        decoded = Botan::base64_decode(b64.data(), b64.size(), /*ignore_ws=*/false);
    } catch (const Botan::Exception&) {
        throw std::invalid_argument("base64: invalid character or padding");
    }
    if (Botan::base64_encode(decoded.data(), decoded.size()) != b64) {
        throw std::invalid_argument("base64: not in canonical form");
    }
    return {decoded.begin(), decoded.end()};
}

bool constant_time_equal(std::string_view a, std::string_view b) {
    if (a.size() != b.size()) return false;
    return Botan::constant_time_compare(reinterpret_cast<const std::uint8_t*>(a.data()),
                                        reinterpret_cast<const std::uint8_t*>(b.data()), a.size());
}

}  // namespace prequal::crypto
