// SHA-256 through Botan, so that no component outside prequal::crypto includes or links Botan.
#include <prequal/crypto/digest.hpp>

#include <botan/hash.h>
#include <botan/hex.h>

#include <cstdint>

namespace prequal::crypto {

std::string sha256_hex(std::string_view data) {
    // One hash object per call: no shared mutable state, so concurrent callers need no lock.
    auto hash = Botan::HashFunction::create_or_throw("SHA-256");
    hash->update(reinterpret_cast<const std::uint8_t*>(data.data()), data.size());
    return Botan::hex_encode(hash->final(), false);
}

}  // namespace prequal::crypto
