// hmac_sha256: RFC 4231's known answers (short key, key longer than the block, data longer than the block),
// lowercase hex, and every byte of key and message counts.
#include <prequal/crypto/hmac.hpp>

#include <catch2/catch.hpp>

#include <string>
#include <string_view>

using prequal::crypto::hmac_sha256;

TEST_CASE("unit: crypto hmac_sha256 matches the RFC 4231 known answers", "[unit][crypto]") {
    // Test case 1: key = 0x0b * 20, data = "Hi There".
    CHECK(hmac_sha256(std::string(20, '\x0b'), "Hi There") ==
          "b0344c61d8db38535ca8afceaf0bf12b881dc200c9833da726e9376c2e32cff7");
    // Test case 2: key = "Jefe".
    CHECK(hmac_sha256("Jefe", "what do ya want for nothing?") ==
          "5bdcc146bf60754e6a042426089575c75a003f089d2739839dec58b964ec3843");
    // Test case 6: a 131-byte key (longer than SHA-256's 64-byte block, so it is hashed first).
    CHECK(hmac_sha256(std::string(131, '\xaa'), "Test Using Larger Than Block-Size Key - Hash Key First") ==
          "60e431591ee0b67f0d8a26aacbf5b77f8e0bc6213728c5140546040f0ee37f54");
}

TEST_CASE("unit: crypto hmac_sha256 keys and hashes every byte, NULs included", "[unit][crypto]") {
    using namespace std::string_view_literals;
    CHECK(hmac_sha256("k\0x"sv, "m") != hmac_sha256("k"sv, "m"));
    CHECK(hmac_sha256("k", "m\0x"sv) != hmac_sha256("k", "m"sv));
    CHECK(hmac_sha256("k", "m").size() == 64);
}
