// sha256_hex: FIPS 180-2 known answers, lowercase hex, and every byte of the input (NULs too) counts.
#include <prequal/crypto/digest.hpp>

#include <catch2/catch.hpp>

#include <string>
#include <string_view>

using prequal::crypto::sha256_hex;

TEST_CASE("unit: crypto sha256_hex matches the FIPS 180-2 known answers", "[unit][crypto]") {
    CHECK(sha256_hex("") == "e3b0c44298fc1c149afbf4c8996fb92427ae41e4649b934ca495991b7852b855");
    CHECK(sha256_hex("abc") == "ba7816bf8f01cfea414140de5dae2223b00361a396177a9cb410ff61f20015ad");
    CHECK(sha256_hex("abcdbcdecdefdefgefghfghighijhijkijkljklmklmnlmnomnopnopq") ==
          "248d6a61d20638b8e5c026930c3e6039a33ce45964ff2167f6ecedd419db06c1");
}

TEST_CASE("unit: crypto sha256_hex hashes the whole view, embedded NULs included", "[unit][crypto]") {
    using namespace std::string_view_literals;
    // Computed with: printf 'a\0b' | sha256sum
    CHECK(sha256_hex("a\0b"sv) == "59b271ae1bbcb1d31d41929817f4b16fb439eb4f31520b5ad1d5ce98920a7138");
    CHECK(sha256_hex("a\0b"sv) != sha256_hex("a"sv));
    const std::string text = "xabcx";
    CHECK(sha256_hex(std::string_view(text).substr(1, 3)) == sha256_hex("abc"));
}
