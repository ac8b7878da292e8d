// pan_index: HMAC-SHA256 known answers, determinism and dependence on the key.
#include <prequal/crypto/pan_index.hpp>

#include <catch2/catch.hpp>

#include <numeric>
#include <string>
#include <vector>

using prequal::crypto::pan_index;

namespace {

std::vector<std::uint8_t> counting_key() {
    std::vector<std::uint8_t> k(32);
    std::iota(k.begin(), k.end(), std::uint8_t{0});  // 00 01 … 1f
    return k;
}

}  // namespace

TEST_CASE("unit: crypto pan_index matches HMAC-SHA256 known answers", "[unit][crypto]") {
    // RFC 4231 test case 6 (131-byte key, longer than the block: hashed first).
    const pan_index rfc{std::vector<std::uint8_t>(131, 0xaa)};
    CHECK(rfc.digest_hex("Test Using Larger Than Block-Size Key - Hash Key First") ==
          "60e431591ee0b67f0d8a26aacbf5b77f8e0bc6213728c5140546040f0ee37f54");

    // Computed with: echo -n ABCDE1234F | openssl dgst -sha256 -mac HMAC -macopt hexkey:000102…1f
    const pan_index idx{counting_key()};
    CHECK(idx.digest_hex("ABCDE1234F") == "99205625151989d634ab563459e46398ef12b61a8cd522424f0932819f427b68");
}

TEST_CASE("unit: crypto pan_index is deterministic, lowercase hex and depends on key and input",
          "[unit][crypto]") {
    const pan_index a{counting_key()};
    const pan_index a_again{counting_key()};
    auto other_key = counting_key();
    other_key.back() ^= 1;
    const pan_index b{other_key};

    const auto d = a.digest_hex("ABCDE1234F");
    CHECK(d.size() == 64);
    CHECK(d.find_first_not_of("0123456789abcdef") == std::string::npos);
    CHECK(a.digest_hex("ABCDE1234F") == d);
    CHECK(a_again.digest_hex("ABCDE1234F") == d);
    CHECK(b.digest_hex("ABCDE1234F") != d);
    CHECK(a.digest_hex("ABCDE1234G") != d);
    CHECK(a.digest_hex("") != d);
}

TEST_CASE("unit: crypto pan_index refuses keys shorter than 32 bytes", "[unit][crypto]") {
    CHECK_THROWS_AS(pan_index{std::vector<std::uint8_t>(31, 1)}, std::invalid_argument);
    CHECK_THROWS_AS(pan_index{std::vector<std::uint8_t>{}}, std::invalid_argument);
    CHECK_NOTHROW(pan_index{std::vector<std::uint8_t>(32, 1)});
    CHECK_NOTHROW(pan_index{std::vector<std::uint8_t>(64, 1)});
}
