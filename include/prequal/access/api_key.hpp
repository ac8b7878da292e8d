// API keys as clients present them: `pq_<id>_<secret>`. The id is how a key is looked up; the secret is
// 32 random bytes, URL-safe base64, of which only a SHA-256 digest is ever stored (docs/access.md).
#pragma once

#include <optional>
#include <string>
#include <string_view>

namespace prequal::access {

/// Length of a key id: 16 lowercase hex digits (64 random bits; ids are not secret, only unique).
inline constexpr std::size_t key_id_length = 16;
/// Longest credential looked at: anything longer is refused before any work is done on it.
inline constexpr std::size_t max_key_length = 256;

/// A key split into its parts. The views point into the text parsed.
struct presented_key {
    std::string_view id;
    std::string_view secret;
};

/// `pq_<16 hex>_<secret>` with a secret of 43 URL-safe base64 characters and nothing else; nullopt otherwise.
std::optional<presented_key> parse_api_key(std::string_view text);

/// True for a well-formed key id (16 lowercase hex digits).
bool is_key_id(std::string_view id);

/// A freshly generated key: `text` is shown to the operator once; `secret_sha256` is what is stored.
struct generated_key {
    std::string id;
    std::string text;           // pq_<id>_<secret>
    std::string secret_sha256;  // lowercase hex
};

/// A new key from the system's CSPRNG (through prequal::crypto).
generated_key generate_api_key();

/// Lowercase hex SHA-256 of a secret: what the database stores and what a presented secret is compared to.
std::string secret_digest(std::string_view secret);

}  // namespace prequal::access
