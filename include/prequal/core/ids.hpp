// Random identifiers: UUID v4 from the kernel's CSPRNG, and their validation.
#pragma once

#include <cstddef>
#include <string>
#include <string_view>

namespace prequal::core {

/// Fills `out` with `n` bytes from getrandom(2). Throws std::system_error if the kernel refuses.
void random_fill(void* out, std::size_t n);

/// A fresh lowercase canonical UUID v4 ("3f1c0b9e-8a3e-4c55-9a43-2a8d2c1f9b70").
std::string new_uuid();

/// True for canonical 8-4-4-4-12 hex UUIDs (either case).
bool is_uuid(std::string_view text);

}  // namespace prequal::core
