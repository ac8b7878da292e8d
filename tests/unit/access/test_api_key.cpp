// API key format: generation (random, URL-safe, 256-bit secret, only a digest kept) and strict parsing.
#include <prequal/access/api_key.hpp>
#include <prequal/crypto/digest.hpp>

#include <catch2/catch.hpp>

#include <set>

using namespace prequal::access;

TEST_CASE("unit: access: api key: a generated key parses back to its id and secret digest", "[unit][pure]") {
    const auto k = generate_api_key();
    CHECK(is_key_id(k.id));
    REQUIRE(k.text.starts_with("pq_" + k.id + "_"));
    const auto p = parse_api_key(k.text);
    REQUIRE(p);
    CHECK(p->id == k.id);
    CHECK(p->secret.size() == 43);  // 32 bytes, unpadded base64: 256 bits
    CHECK(secret_digest(p->secret) == k.secret_sha256);
    CHECK(k.secret_sha256 == prequal::crypto::sha256_hex(p->secret));
    CHECK(k.secret_sha256.find(p->secret) == std::string::npos);
}

TEST_CASE("unit: access: api key: ids and secrets are random", "[unit][pure]") {
    std::set<std::string> ids, texts;
    for (int i = 0; i < 200; ++i) {
        const auto k = generate_api_key();
        ids.insert(k.id);
        texts.insert(k.text);
        const auto secret = parse_api_key(k.text)->secret;
        CHECK(secret.find_first_not_of("ABCDEFGHIJKLMNOPQRSTUVWXYZabcdefghijklmnopqrstuvwxyz0123456789-_") ==
              std::string_view::npos);
    }
    CHECK(ids.size() == 200);
    CHECK(texts.size() == 200);
}

TEST_CASE("unit: access: api key: anything but the exact format is refused", "[unit][pure]") {
    const auto k = generate_api_key();
    const std::string secret{parse_api_key(k.text)->secret};
    CHECK_FALSE(parse_api_key(""));
    CHECK_FALSE(parse_api_key("pq_"));
    CHECK_FALSE(parse_api_key("garbage"));
    CHECK_FALSE(parse_api_key(k.text + "x"));
    CHECK_FALSE(parse_api_key(k.text.substr(0, k.text.size() - 1)));
    CHECK_FALSE(parse_api_key("PQ_" + k.text.substr(3)));
    CHECK_FALSE(parse_api_key("pq_" + std::string(16, 'A') + "_" + secret));  // id must be lowercase hex
    CHECK_FALSE(parse_api_key("pq_" + std::string(16, 'g') + "_" + secret));
    CHECK_FALSE(parse_api_key("pq_" + k.id + "-" + secret));
    std::string with_nul = k.text;
    with_nul[with_nul.size() - 5] = '\0';
    CHECK_FALSE(parse_api_key(with_nul));
    std::string with_plus = k.text;
    with_plus.back() = '+';
    CHECK_FALSE(parse_api_key(with_plus));
    CHECK(parse_api_key("pq_0123456789abcdef_" + secret));
}
