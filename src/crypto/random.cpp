// crypto::random_bytes through Botan's system RNG (getrandom / /dev/urandom), so callers never see Botan.
#include <prequal/crypto/random.hpp>

#include <botan/system_rng.h>

namespace prequal::crypto {

std::vector<std::uint8_t> random_bytes(std::size_t n) {
    std::vector<std::uint8_t> out(n);
    Botan::system_rng().randomize(out.data(), out.size());
    return out;
}

}  // namespace prequal::crypto
