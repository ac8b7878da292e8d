// HMAC-SHA256 of a PAN under a secret key: equal PANs give equal digests (for the duplicate look-up),
// yet the digest cannot be reversed by enumerating PANs without the key.
#include "key_rules.hpp"

#include <prequal/crypto/pan_index.hpp>

#include <botan/hex.h>
#include <botan/mac.h>

#include <stdexcept>
#include <string>
#include <utility>

namespace prequal::crypto {

pan_index::pan_index(std::vector<std::uint8_t> key) : key_{std::move(key)} {
    if (key_.size() < detail::min_index_key_size) {
        throw std::invalid_argument("pan_index: key must be at least 32 bytes, got " +
                                    std::to_string(key_.size()));
    }
}

std::string pan_index::digest_hex(std::string_view data) const {
    // One MAC object per call: no shared mutable state, so concurrent callers need no lock.
    auto mac = Botan::MessageAuthenticationCode::create_or_throw("HMAC(SHA-256)");
    mac->set_key(key_);
    mac->update(reinterpret_cast<const std::uint8_t*>(data.data()), data.size());
    return Botan::hex_encode(mac->final(), false);
}

}  // namespace prequal::crypto
