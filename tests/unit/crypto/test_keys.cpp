// Key parsing (--encryption-keys, --pan-index-key), generation, formatting, base64, constant-time equality.
#include <prequal/crypto/keys.hpp>
#include <prequal/crypto/pan_index.hpp>

#include <catch2/catch.hpp>

#include <ctime>
#include <string>
#include <vector>

namespace crypto = prequal::crypto;
using Catch::Matchers::Contains;
using Catch::Matchers::Equals;

namespace {

std::string b64_of(std::size_t n, std::uint8_t fill) {
    const std::vector<std::uint8_t> bytes(n, fill);
    return crypto::base64_encode(bytes.data(), bytes.size());
}

std::string utc_date() {
    const std::time_t now = std::time(nullptr);
    std::tm utc{};
    gmtime_r(&now, &utc);
    char buf[16];
    std::strftime(buf, sizeof buf, "%Y%m%d", &utc);
    return buf;
}

}  // namespace

TEST_CASE("unit: crypto parse_encryption_keys reads a ring in order", "[unit][crypto]") {
    const auto ring = crypto::parse_encryption_keys("k1:" + b64_of(32, 1) + ",k0:" + b64_of(32, 2));
    REQUIRE(ring.size() == 2);
    CHECK(ring[0].id == "k1");
    CHECK(ring[0].key == std::vector<std::uint8_t>(32, 1));
    CHECK(ring[1].id == "k0");
    CHECK(ring[1].key == std::vector<std::uint8_t>(32, 2));
    CHECK(crypto::parse_encryption_keys("only:" + b64_of(32, 3)).size() == 1);
}

TEST_CASE("unit: crypto parse_encryption_keys names the bad entry and never echoes key bytes",
          "[unit][crypto]") {
    const std::string good = "k1:" + b64_of(32, 1);
    CHECK_THROWS_WITH(
        crypto::parse_encryption_keys(good + ",k0:" + b64_of(16, 2)),
        Equals("--encryption-keys entry 2 (id 'k0'): key must be 32 bytes after base64 decoding, "
               "got 16"));
    CHECK_THROWS_WITH(crypto::parse_encryption_keys(""), Contains("--encryption-keys is empty"));
    CHECK_THROWS_WITH(crypto::parse_encryption_keys(good + ","), Contains("entry 2: expected ID:BASE64"));
    CHECK_THROWS_WITH(crypto::parse_encryption_keys("k1" + b64_of(32, 1)),
                      Contains("entry 1: expected ID:BASE64"));
    CHECK_THROWS_WITH(crypto::parse_encryption_keys("k1:not*base64"),
                      Equals("--encryption-keys entry 1 (id 'k1'): key is not valid base64"));
    CHECK_THROWS_WITH(crypto::parse_encryption_keys(good + ",k1:" + b64_of(32, 2)),
                      Equals("--encryption-keys entry 2 (id 'k1'): duplicate key id"));
    CHECK_THROWS_WITH(crypto::parse_encryption_keys(":" + b64_of(32, 1)),
                      Contains("entry 1: key id must be 1-16 characters"));

    // ID and key swapped: the "id" is key material and must not appear in the message.
    const std::string secret = b64_of(32, 0x5a);
    try {
        crypto::parse_encryption_keys(secret + ":k1");
        FAIL("expected an exception");
    } catch (const std::invalid_argument& e) {
        const std::string msg = e.what();
        CHECK(msg.find(secret.substr(0, 12)) == std::string::npos);
        CHECK_THAT(msg, Contains("entry 1"));
    }
    try {
        crypto::parse_encryption_keys("k1:" + secret.substr(0, 40));
        FAIL("expected an exception");
    } catch (const std::invalid_argument& e) {
        CHECK(std::string{e.what()}.find(secret.substr(0, 12)) == std::string::npos);
    }
}

TEST_CASE("unit: crypto parse_pan_index_key requires at least 32 bytes", "[unit][crypto]") {
    CHECK(crypto::parse_pan_index_key(b64_of(32, 7)) == std::vector<std::uint8_t>(32, 7));
    CHECK(crypto::parse_pan_index_key(b64_of(48, 7)).size() == 48);
    CHECK_THROWS_WITH(crypto::parse_pan_index_key(b64_of(31, 7)),
                      Equals("--pan-index-key: key must be at least 32 bytes after base64 decoding, got 31"));
    CHECK_THROWS_WITH(crypto::parse_pan_index_key("%%%%"),
                      Equals("--pan-index-key: key is not valid base64"));
    CHECK_THROWS_AS(crypto::parse_pan_index_key(""), std::invalid_argument);
}

TEST_CASE("unit: crypto generate_keys gives fresh usable keys with a dated id", "[unit][crypto]") {
    const std::string before = utc_date();
    const auto a = crypto::generate_keys();
    const std::string after = utc_date();
    const auto b = crypto::generate_keys();

    REQUIRE(a.encryption_keys.size() == 1);
    const auto& k = a.encryption_keys.front();
    CHECK((k.id == "k" + before || k.id == "k" + after));
    CHECK(k.key.size() == 32);
    CHECK(a.pan_index_key.size() == 32);
    CHECK(k.key != b.encryption_keys.front().key);
    CHECK(a.pan_index_key != b.pan_index_key);
    CHECK(k.key != a.pan_index_key);

    // The printed forms parse back to the same bytes and are accepted by the consumers.
    const auto ring = crypto::parse_encryption_keys(crypto::format_encryption_key(k));
    REQUIRE(ring.size() == 1);
    CHECK(ring[0].id == k.id);
    CHECK(ring[0].key == k.key);
    CHECK(crypto::parse_pan_index_key(crypto::format_pan_index_key(a.pan_index_key)) == a.pan_index_key);
    CHECK_NOTHROW(crypto::pan_cipher{ring});
    CHECK_NOTHROW(crypto::pan_index{a.pan_index_key});
}

TEST_CASE("unit: crypto base64 round-trips and rejects malformed text", "[unit][crypto]") {
    CHECK(crypto::base64_encode("") == "");
    CHECK(crypto::base64_encode("f") == "Zg==");
    CHECK(crypto::base64_encode("fo") == "Zm8=");
    CHECK(crypto::base64_encode("foobar") == "Zm9vYmFy");
    CHECK(crypto::base64_decode("Zm9vYmE=") == std::vector<std::uint8_t>{'f', 'o', 'o', 'b', 'a'});
    CHECK(crypto::base64_decode("").empty());

    for (std::size_t n = 0; n < 70; ++n) {
        std::vector<std::uint8_t> bytes(n);
        for (std::size_t i = 0; i < n; ++i) bytes[i] = static_cast<std::uint8_t>(i * 37 + n * 11);
        CHECK(crypto::base64_decode(crypto::base64_encode(bytes.data(), bytes.size())) == bytes);
    }

    for (const char* bad : {"Zg=", "Zg", "Z===", "Zh==", "Zm9v YmFy", "Zm9vYmFy\n", "!!!!",
                            "Zg==Zg==", "====", "Zm9-YmFy", "Zm9_YmFy", "=Zm9"}) {
        INFO("input '" << bad << "'");
        CHECK_THROWS_AS(crypto::base64_decode(bad), std::invalid_argument);
    }
}

TEST_CASE("unit: crypto constant_time_equal compares bytes and lengths", "[unit][crypto]") {
    CHECK(crypto::constant_time_equal("", ""));
    CHECK(crypto::constant_time_equal("secret-token", "secret-token"));
    CHECK_FALSE(crypto::constant_time_equal("secret-token", "secret-tokeN"));
    CHECK_FALSE(crypto::constant_time_equal("Secret-token", "secret-token"));
    CHECK_FALSE(crypto::constant_time_equal("secret", "secret-token"));
    CHECK_FALSE(crypto::constant_time_equal("", "x"));
    CHECK(crypto::constant_time_equal(std::string_view{"a\0b", 3}, std::string_view{"a\0b", 3}));
    CHECK_FALSE(crypto::constant_time_equal(std::string_view{"a\0b", 3}, std::string_view{"a\0c", 3}));
}
