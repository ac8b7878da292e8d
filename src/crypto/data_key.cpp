// data_key: a one-key pan_cipher (the AES-256-GCM format stays one) plus the raw key, kept in Botan's
// zeroing memory, for wrapping.
#include <prequal/crypto/data_key.hpp>
#include <prequal/crypto/random.hpp>

#include <botan/mem_ops.h>
#include <botan/secmem.h>

#include <utility>
#include <vector>

namespace prequal::crypto {
namespace {

constexpr std::size_t key_size = 32;
constexpr const char* ring_id = "dk";  // internal to the one-key ring; never stored

}  // namespace

struct data_key::impl {
    Botan::secure_vector<std::uint8_t> raw;
    pan_cipher cipher;

    explicit impl(const std::uint8_t* bytes, std::size_t n)
        : raw(bytes, bytes + n),
          cipher{{encryption_key{ring_id, std::vector<std::uint8_t>(bytes, bytes + n)}}} {}
};

data_key::data_key(std::unique_ptr<impl> i) : impl_{std::move(i)} {}
data_key::~data_key() = default;
data_key::data_key(data_key&&) noexcept = default;
data_key& data_key::operator=(data_key&&) noexcept = default;

data_key data_key::generate() {
    std::vector<std::uint8_t> bytes = random_bytes(key_size);
    data_key k{std::make_unique<impl>(bytes.data(), bytes.size())};
    Botan::secure_scrub_memory(bytes.data(), bytes.size());
    return k;
}

std::optional<data_key> data_key::unwrap(const pan_cipher& master, const wrapped_key& wrapped,
                                         std::string_view aad) {
    auto bytes = master.decrypt(wrapped.master_key_id, wrapped.wrapped_b64, aad);
    if (!bytes || bytes->size() != key_size) return std::nullopt;
    data_key k{std::make_unique<impl>(reinterpret_cast<const std::uint8_t*>(bytes->data()), bytes->size())};
    Botan::secure_scrub_memory(bytes->data(), bytes->size());
    return k;
}

wrapped_key data_key::wrap(const pan_cipher& master, std::string_view aad) const {
    const std::string_view bytes{reinterpret_cast<const char*>(impl_->raw.data()), impl_->raw.size()};
    sealed s = master.encrypt(bytes, aad);
    return wrapped_key{std::move(s.key_id), std::move(s.ciphertext_b64)};
}

sealed data_key::encrypt(std::string_view plaintext, std::string_view aad) const {
    return sealed{std::string{data_key_id}, impl_->cipher.encrypt(plaintext, aad).ciphertext_b64};
}

std::optional<std::string> data_key::decrypt(std::string_view ciphertext_b64, std::string_view aad) const {
    return impl_->cipher.decrypt(ring_id, ciphertext_b64, aad);
}

std::string data_key_aad(std::string_view application_id) {
    return "data_key:" + std::string{application_id};
}

}  // namespace prequal::crypto
