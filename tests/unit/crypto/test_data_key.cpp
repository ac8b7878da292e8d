// data_key: envelope encryption — sealing under a data key, wrapping under the master ring, rotation by
// rewrapping, and that nothing opens without the wrapped key.
#include <prequal/crypto/data_key.hpp>
#include <prequal/crypto/pan_cipher.hpp>

#include <catch2/catch.hpp>

#include <string>
#include <vector>

using prequal::crypto::data_key;
using prequal::crypto::data_key_aad;
using prequal::crypto::data_key_id;
using prequal::crypto::encryption_key;
using prequal::crypto::pan_cipher;
using prequal::crypto::wrapped_key;

namespace {

encryption_key make_key(std::string id, std::uint8_t fill) {
    return encryption_key{std::move(id), std::vector<std::uint8_t>(32, fill)};
}

constexpr std::string_view pan = "ABCDE1234F";
constexpr std::string_view app = "3f1c0b9e-8a3e-4c55-9a43-2a8d2c1f9b70";
constexpr std::string_view other_app = "0a7e4d1c-1b2c-4d3e-8f90-123456789abc";

}  // namespace

TEST_CASE("unit: crypto data key seals and opens under its own key only", "[unit][crypto]") {
    const data_key k = data_key::generate();
    const auto s = k.encrypt(pan, app);
    CHECK(s.key_id == data_key_id);
    CHECK(k.decrypt(s.ciphertext_b64, app) == std::string{pan});
    CHECK_FALSE(k.decrypt(s.ciphertext_b64, other_app).has_value());
    CHECK_FALSE(k.decrypt("not base64!", app).has_value());

    const data_key other = data_key::generate();
    CHECK_FALSE(other.decrypt(s.ciphertext_b64, app).has_value());

    // No master key opens a data-key ciphertext, whatever id it is tried under.
    const pan_cipher master{{make_key("k1", 1)}};
    CHECK_FALSE(master.decrypt("k1", s.ciphertext_b64, app).has_value());
    CHECK_FALSE(master.decrypt(data_key_id, s.ciphertext_b64, app).has_value());
}

TEST_CASE("unit: crypto data key wraps under the first master key and unwraps with its aad",
          "[unit][crypto]") {
    const pan_cipher master{{make_key("k2", 2), make_key("k1", 1)}};
    const data_key k = data_key::generate();
    const auto sealed_pan = k.encrypt(pan, app);
    const wrapped_key w = k.wrap(master, data_key_aad(app));
    CHECK(w.master_key_id == "k2");

    auto opened = data_key::unwrap(master, w, data_key_aad(app));
    REQUIRE(opened.has_value());
    CHECK(opened->decrypt(sealed_pan.ciphertext_b64, app) == std::string{pan});

    // Bound to its application, and not openable as a PAN of that application.
    CHECK_FALSE(data_key::unwrap(master, w, data_key_aad(other_app)).has_value());
    CHECK_FALSE(data_key::unwrap(master, w, app).has_value());
    CHECK_FALSE(master.decrypt(w.master_key_id, w.wrapped_b64, app).has_value());
    // Unknown master key or tampering: nothing.
    CHECK_FALSE(data_key::unwrap(master, wrapped_key{"k9", w.wrapped_b64}, data_key_aad(app)).has_value());
    std::string tampered = w.wrapped_b64;
    tampered[5] = tampered[5] == 'A' ? 'B' : 'A';
    CHECK_FALSE(data_key::unwrap(master, wrapped_key{"k2", tampered}, data_key_aad(app)).has_value());
}

TEST_CASE("unit: crypto rewrapping under a new master key survives dropping the old one", "[unit][crypto]") {
    const pan_cipher old_ring{{make_key("k1", 1)}};
    const data_key k = data_key::generate();
    const auto sealed_pan = k.encrypt(pan, app);
    const wrapped_key w1 = k.wrap(old_ring, data_key_aad(app));

    const pan_cipher rotating{{make_key("k2", 2), make_key("k1", 1)}};
    auto opened = data_key::unwrap(rotating, w1, data_key_aad(app));
    REQUIRE(opened.has_value());
    const wrapped_key w2 = opened->wrap(rotating, data_key_aad(app));
    CHECK(w2.master_key_id == "k2");

    const pan_cipher new_ring{{make_key("k2", 2)}};
    CHECK_FALSE(data_key::unwrap(new_ring, w1, data_key_aad(app)).has_value());
    auto reopened = data_key::unwrap(new_ring, w2, data_key_aad(app));
    REQUIRE(reopened.has_value());
    CHECK(reopened->decrypt(sealed_pan.ciphertext_b64, app) == std::string{pan});
}
