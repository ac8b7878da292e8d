// HMAC-SHA256 through Botan for callers that bring their own key (webhook signatures).
#include <prequal/crypto/hmac.hpp>

#include <botan/hex.h>
#include <botan/mac.h>

#include <cstdint>

namespace prequal::crypto {

std::string hmac_sha256(std::string_view key, std::string_view message) {
    // One MAC object per call: no shared mutable state, so concurrent callers need no lock.
    auto mac = Botan::MessageAuthenticationCode::create_or_throw("HMAC(SHA-256)");
    mac->set_key(reinterpret_cast<const std::uint8_t*>(key.data()), key.size());
    mac->update(reinterpret_cast<const std::uint8_t*>(message.data()), message.size());
    return Botan::hex_encode(mac->final(), false);
}

}  // namespace prequal::crypto
