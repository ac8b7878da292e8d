// AES-256-GCM encryption of PANs with a key ring: the first key encrypts, every key decrypts, and each
// ciphertext records its key id so keys can rotate. A random 96-bit nonce per encryption.
#pragma once

#include <cstdint>
#include <memory>
#include <optional>
#include <string>
#include <string_view>
#include <vector>

namespace prequal::crypto {

struct encryption_key {
    std::string id;                 // 1–16 chars of [A-Za-z0-9_-]
    std::vector<std::uint8_t> key;  // exactly 32 bytes
};

struct sealed {
    std::string key_id;
    std::string ciphertext_b64;  // base64(nonce(12) || ciphertext || tag(16))
};

class pan_cipher {
public:
    /// Throws std::invalid_argument (naming the key id, never the key) when the ring is empty, a key is not
    /// 32 bytes, an id is malformed or repeated.
    explicit pan_cipher(std::vector<encryption_key> keys);
    ~pan_cipher();
    pan_cipher(pan_cipher&&) noexcept;

    /// Encrypts with the first key; `aad` (e.g. the application id) is authenticated, not encrypted.
    sealed encrypt(std::string_view plaintext, std::string_view aad) const;

    /// nullopt when the key id is unknown, the base64 is bad, or authentication fails (tampering,
    /// wrong aad). Never throws for bad input.
    std::optional<std::string> decrypt(std::string_view key_id, std::string_view ciphertext_b64,
                                       std::string_view aad) const;

    const std::string& active_key_id() const;

private:
    struct impl;
    std::unique_ptr<impl> impl_;
};

}  // namespace prequal::crypto
