// Random bytes from the operating system's CSPRNG (Botan's system RNG), for secrets made outside
// prequal::crypto (e.g. API key secrets).
#pragma once

#include <cstddef>
#include <cstdint>
#include <vector>

namespace prequal::crypto {

/// `n` bytes from the system CSPRNG. Thread-safe. Throws std::exception if the OS refuses randomness.
std::vector<std::uint8_t> random_bytes(std::size_t n);

}  // namespace prequal::crypto
