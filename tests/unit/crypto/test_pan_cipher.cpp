// pan_cipher: round trips, fresh nonces, tamper detection, key rotation and key-ring validation.
#include <prequal/crypto/keys.hpp>
#include <prequal/crypto/pan_cipher.hpp>

#include <catch2/catch.hpp>

#include <atomic>
#include <string>
#include <thread>
#include <vector>

using prequal::crypto::base64_decode;
using prequal::crypto::base64_encode;
using prequal::crypto::encryption_key;
using prequal::crypto::pan_cipher;

namespace {

encryption_key make_key(std::string id, std::uint8_t fill) {
    return encryption_key{std::move(id), std::vector<std::uint8_t>(32, fill)};
}

std::string reencode(const std::vector<std::uint8_t>& raw) { return base64_encode(raw.data(), raw.size()); }

constexpr std::string_view pan = "ABCDE1234F";
constexpr std::string_view app = "3f1c0b9e-8a3e-4c55-9a43-2a8d2c1f9b70";

}  // namespace

TEST_CASE("unit: crypto cipher decrypts what it encrypted", "[unit][crypto]") {
    const pan_cipher cipher{{make_key("k1", 0x11)}};
    const auto s = cipher.encrypt(pan, app);
    CHECK(s.key_id == "k1");
    CHECK(cipher.active_key_id() == "k1");
    CHECK(s.ciphertext_b64.find(std::string{pan}) == std::string::npos);
    CHECK(base64_decode(s.ciphertext_b64).size() == 12 + pan.size() + 16);
    CHECK(cipher.decrypt(s.key_id, s.ciphertext_b64, app) == std::optional<std::string>{std::string{pan}});

    const auto empty = cipher.encrypt("", app);
    CHECK(cipher.decrypt(empty.key_id, empty.ciphertext_b64, app) == std::optional<std::string>{""});
}

TEST_CASE("unit: crypto cipher uses a fresh nonce for every encryption", "[unit][crypto]") {
    const pan_cipher cipher{{make_key("k1", 0x11)}};
    const auto a = cipher.encrypt(pan, app);
    const auto b = cipher.encrypt(pan, app);
    CHECK(a.ciphertext_b64 != b.ciphertext_b64);
    const auto na = base64_decode(a.ciphertext_b64);
    const auto nb = base64_decode(b.ciphertext_b64);
    CHECK(std::vector<std::uint8_t>(na.begin(), na.begin() + 12) !=
          std::vector<std::uint8_t>(nb.begin(), nb.begin() + 12));
    CHECK(cipher.decrypt("k1", a.ciphertext_b64, app) == cipher.decrypt("k1", b.ciphertext_b64, app));
}

TEST_CASE("unit: crypto cipher rejects every single flipped byte", "[unit][crypto]") {
    const pan_cipher cipher{{make_key("k1", 0x11)}};
    const auto s = cipher.encrypt(pan, app);
    const auto raw = base64_decode(s.ciphertext_b64);
    for (std::size_t i = 0; i < raw.size(); ++i) {
        for (const std::uint8_t mask : {0x01, 0x80, 0xff}) {
            auto tampered = raw;
            tampered[i] ^= mask;
            INFO("byte " << i << " mask " << int{mask});
            CHECK_FALSE(cipher.decrypt("k1", reencode(tampered), app).has_value());
        }
    }
}

TEST_CASE("unit: crypto cipher rejects wrong aad, key id, key, truncation and bad base64", "[unit][crypto]") {
    const pan_cipher cipher{{make_key("k1", 0x11), make_key("k0", 0x22)}};
    const auto s = cipher.encrypt(pan, app);
    const auto raw = base64_decode(s.ciphertext_b64);
    REQUIRE(cipher.decrypt("k1", s.ciphertext_b64, app).has_value());

    CHECK_FALSE(cipher.decrypt("k1", s.ciphertext_b64, "another-application").has_value());
    CHECK_FALSE(cipher.decrypt("k1", s.ciphertext_b64, "").has_value());
    CHECK_FALSE(cipher.decrypt("k9", s.ciphertext_b64, app).has_value());  // unknown id
    CHECK_FALSE(cipher.decrypt("", s.ciphertext_b64, app).has_value());
    CHECK_FALSE(cipher.decrypt("k0", s.ciphertext_b64, app).has_value());  // known id, other key

    for (std::size_t keep :
         {raw.size() - 1, std::size_t{28}, std::size_t{27}, std::size_t{12}, std::size_t{0}}) {
        INFO("kept " << keep << " bytes");
        const std::vector<std::uint8_t> cut(raw.begin(), raw.begin() + static_cast<std::ptrdiff_t>(keep));
        CHECK_FALSE(cipher.decrypt("k1", reencode(cut), app).has_value());
    }
    auto extended = raw;
    extended.push_back(0);
    CHECK_FALSE(cipher.decrypt("k1", reencode(extended), app).has_value());

    for (const std::string& bad : {std::string{"!!!!"}, std::string{"abc"}, s.ciphertext_b64 + " ",
                                   s.ciphertext_b64.substr(1), std::string{"\xff\xfe\xfd\xfc"}}) {
        CHECK_FALSE(cipher.decrypt("k1", bad, app).has_value());
    }
}

TEST_CASE("unit: crypto cipher rotation decrypts old keys and encrypts with the first", "[unit][crypto]") {
    const pan_cipher old_ring{{make_key("k1", 0x11)}};
    const auto before = old_ring.encrypt(pan, app);

    const pan_cipher new_ring{{make_key("k2", 0x33), make_key("k1", 0x11)}};
    CHECK(new_ring.active_key_id() == "k2");
    CHECK(new_ring.decrypt(before.key_id, before.ciphertext_b64, app) ==
          std::optional<std::string>{std::string{pan}});
    const auto after = new_ring.encrypt(pan, app);
    CHECK(after.key_id == "k2");
    CHECK(new_ring.decrypt(after.key_id, after.ciphertext_b64, app).has_value());
    CHECK_FALSE(old_ring.decrypt(after.key_id, after.ciphertext_b64, app).has_value());
}

TEST_CASE("unit: crypto cipher validates its key ring", "[unit][crypto]") {
    using Catch::Matchers::Contains;
    CHECK_THROWS_WITH(pan_cipher{{}}, Contains("empty"));
    CHECK_THROWS_WITH(pan_cipher({{"k1", std::vector<std::uint8_t>(16, 1)}}),
                      Contains("'k1'") && Contains("32 bytes, got 16"));
    CHECK_THROWS_WITH(pan_cipher({{"k1", std::vector<std::uint8_t>(33, 1)}}), Contains("got 33"));
    CHECK_THROWS_WITH(pan_cipher({make_key("k1", 1), make_key("k1", 2)}), Contains("duplicate key id 'k1'"));
    for (const std::string bad_id : {"", "k 1", "k:1", "k1,", "abcdefghijklmnopq", "k\xc3\xa9"}) {
        INFO("id '" << bad_id << "'");
        CHECK_THROWS_AS(pan_cipher({make_key(bad_id, 1)}), std::invalid_argument);
    }
    CHECK_NOTHROW(pan_cipher({make_key("abcdefghijklmnop", 1), make_key("A-Z_0-9", 2)}));
}

TEST_CASE("unit: crypto cipher is safe to share between threads", "[unit][crypto]") {
    const pan_cipher cipher{{make_key("k2", 0x33), make_key("k1", 0x11)}};
    std::atomic<int> failures{0};
    std::vector<std::thread> threads;
    for (int t = 0; t < 4; ++t) {
        threads.emplace_back([&, t] {
            for (int i = 0; i < 500; ++i) {
                const std::string plain = "PAN" + std::to_string(t) + "-" + std::to_string(i);
                const std::string aad = "app-" + std::to_string(i);
                const auto s = cipher.encrypt(plain, aad);
                if (cipher.decrypt(s.key_id, s.ciphertext_b64, aad) != std::optional<std::string>{plain}) {
                    ++failures;
                }
            }
        });
    }
    for (auto& th : threads) th.join();
    CHECK(failures == 0);
}

TEST_CASE("unit: crypto cipher can be moved", "[unit][crypto]") {
    pan_cipher a{{make_key("k1", 0x11)}};
    const auto s = a.encrypt(pan, app);
    const pan_cipher b{std::move(a)};
    CHECK(b.decrypt(s.key_id, s.ciphertext_b64, app) == std::optional<std::string>{std::string{pan}});
}
