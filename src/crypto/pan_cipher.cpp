// AES-256-GCM through Botan's AEAD interface. A fresh AEAD object per call keeps every const member
// function safe to call from many threads at once; the cost (key schedule + GHASH set-up, a few µs) is
// noise next to a database round trip.
#include "key_rules.hpp"

#include <prequal/crypto/keys.hpp>
#include <prequal/crypto/pan_cipher.hpp>

#include <botan/aead.h>
#include <botan/exceptn.h>
#include <botan/mem_ops.h>
#include <botan/secmem.h>
#include <botan/system_rng.h>

#include <stdexcept>
#include <string>
#include <utility>

namespace prequal::crypto {
namespace {

constexpr const char* algorithm = "AES-256/GCM";
constexpr std::size_t nonce_size = 12;  // 96 bits: GCM's native nonce size
constexpr std::size_t tag_size = 16;

struct ring_key {
    std::string id;
    Botan::secure_vector<std::uint8_t> key;  // zeroed when the cipher is destroyed
};

std::unique_ptr<Botan::AEAD_Mode> keyed_mode(const ring_key& k, Botan::Cipher_Dir dir, std::string_view aad) {
    auto mode = Botan::AEAD_Mode::create_or_throw(algorithm, dir);
    mode->set_key(k.key);
    mode->set_associated_data(reinterpret_cast<const std::uint8_t*>(aad.data()), aad.size());
    return mode;
}

}  // namespace

struct pan_cipher::impl {
    std::vector<ring_key> keys;

    const ring_key* find(std::string_view id) const {
        for (const auto& k : keys) {
            if (k.id == id) return &k;
        }
        return nullptr;
    }
};

pan_cipher::pan_cipher(std::vector<encryption_key> keys) : impl_{std::make_unique<impl>()} {
    if (keys.empty()) throw std::invalid_argument("pan_cipher: the key ring is empty");
    impl_->keys.reserve(keys.size());
    for (std::size_t i = 0; i < keys.size(); ++i) {
        auto& k = keys[i];
        // A malformed id is not echoed: it may be a key pasted into the wrong place.
        if (!detail::is_valid_key_id(k.id)) {
            throw std::invalid_argument("pan_cipher: key " + std::to_string(i + 1) + ": id must be " +
                                        std::string{detail::key_id_rule});
        }
        if (k.key.size() != detail::aes_key_size) {
            throw std::invalid_argument("pan_cipher: key '" + k.id + "' must be 32 bytes, got " +
                                        std::to_string(k.key.size()));
        }
        if (impl_->find(k.id) != nullptr) {
            throw std::invalid_argument("pan_cipher: duplicate key id '" + k.id + "'");
        }
        impl_->keys.push_back({k.id, Botan::secure_vector<std::uint8_t>(k.key.begin(), k.key.end())});
        Botan::secure_scrub_memory(k.key.data(), k.key.size());  // our by-value copy; the ring holds it now
    }
}

pan_cipher::~pan_cipher() = default;
pan_cipher::pan_cipher(pan_cipher&&) noexcept = default;

sealed pan_cipher::encrypt(std::string_view plaintext, std::string_view aad) const {
    const ring_key& k = impl_->keys.front();
    auto mode = keyed_mode(k, Botan::ENCRYPTION, aad);

    Botan::secure_vector<std::uint8_t> out(nonce_size);
    Botan::system_rng().randomize(out.data(), nonce_size);
    mode->start(out.data(), nonce_size);

    Botan::secure_vector<std::uint8_t> body(plaintext.begin(), plaintext.end());
    mode->finish(body);  // appends the tag
    out.insert(out.end(), body.begin(), body.end());
    return sealed{k.id, base64_encode(out.data(), out.size())};
}

std::optional<std::string> pan_cipher::decrypt(std::string_view key_id, std::string_view ciphertext_b64,
                                               std::string_view aad) const {
    const ring_key* k = impl_->find(key_id);
    if (k == nullptr) return std::nullopt;

    std::vector<std::uint8_t> raw;
    try {
        raw = base64_decode(ciphertext_b64);
    } catch (const std::invalid_argument&) {
        return std::nullopt;
    }
    if (raw.size() < nonce_size + tag_size) return std::nullopt;

    auto mode = keyed_mode(*k, Botan::DECRYPTION, aad);
    mode->start(raw.data(), nonce_size);
    Botan::secure_vector<std::uint8_t> body(raw.begin() + nonce_size, raw.end());
    try {
        mode->finish(body);  // verifies and strips the tag
    } catch (const Botan::Invalid_Authentication_Tag&) {
        return std::nullopt;
    }
    return std::string(body.begin(), body.end());
}

const std::string& pan_cipher::active_key_id() const { return impl_->keys.front().id; }

}  // namespace prequal::crypto
