// Envelope encryption: each application's personal data is sealed under a random 256-bit data key of its
// own, and only that data key is sealed (wrapped) under the configured master keys. Destroying the wrapped
// data key makes every copy of the application's ciphertexts (rows, backups, bus messages) undecryptable,
// and rotating a master key means rewrapping 32-byte keys, not re-encrypting data.
#pragma once

#include <prequal/crypto/pan_cipher.hpp>

#include <memory>
#include <optional>
#include <string>
#include <string_view>

namespace prequal::crypto {

/// The key id stored beside a ciphertext sealed under its application's data key. '@' is outside the master
/// key id alphabet, so it never names a master key: any other key id marks a legacy ciphertext sealed
/// directly under a master key.
inline constexpr std::string_view data_key_id = "@data-key";

/// A data key as stored: sealed under master key `master_key_id`.
struct wrapped_key {
    std::string master_key_id;
    std::string wrapped_b64;
};

class data_key {
public:
    /// A fresh key from the system CSPRNG.
    static data_key generate();
    /// nullopt when the master key is unknown or authentication fails (wrong `aad`, tampering).
    static std::optional<data_key> unwrap(const pan_cipher& master, const wrapped_key& wrapped,
                                          std::string_view aad);

    ~data_key();
    data_key(data_key&&) noexcept;
    data_key& operator=(data_key&&) noexcept;

    /// Seals the key under the master ring's first key, authenticating `aad`.
    wrapped_key wrap(const pan_cipher& master, std::string_view aad) const;

    /// AES-256-GCM under this key; the result's key_id is data_key_id. Same format as pan_cipher.
    sealed encrypt(std::string_view plaintext, std::string_view aad) const;
    /// nullopt on bad base64, tampering or a wrong `aad`. Never throws for bad input.
    std::optional<std::string> decrypt(std::string_view ciphertext_b64, std::string_view aad) const;

private:
    struct impl;
    explicit data_key(std::unique_ptr<impl> i);
    std::unique_ptr<impl> impl_;
};

/// The authenticated data binding a wrapped data key to its application (a wrapped key copied to another
/// application fails to unwrap, and cannot be opened as a PAN or a name).
std::string data_key_aad(std::string_view application_id);

}  // namespace prequal::crypto
