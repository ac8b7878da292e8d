// Parsing and generating `pq_<id>_<secret>` keys. The format is fixed-length, so parsing is a few
// character-class checks and never allocates.
#include <prequal/access/api_key.hpp>
#include <prequal/crypto/digest.hpp>
#include <prequal/crypto/keys.hpp>
#include <prequal/crypto/random.hpp>

#include <algorithm>

namespace prequal::access {

namespace {

constexpr std::string_view prefix = "pq_";
constexpr std::size_t secret_bytes = 32;
constexpr std::size_t secret_length = 43;  // 32 bytes in unpadded base64

bool is_url_safe_b64(char c) {
    return (c >= 'A' && c <= 'Z') || (c >= 'a' && c <= 'z') || (c >= '0' && c <= '9') || c == '-' || c == '_';
}

// Standard padded base64 → URL-safe alphabet without padding (RFC 4648 section 5).
std::string url_safe(std::string b64) {
    for (auto& c : b64) c = c == '+' ? '-' : c == '/' ? '_' : c;
    while (!b64.empty() && b64.back() == '=') b64.pop_back();
    return b64;
}

std::string hex(const std::vector<std::uint8_t>& bytes) {
    static constexpr char digits[] = "0123456789abcdef";
    std::string out;
    out.reserve(bytes.size() * 2);
    for (auto b : bytes) {
        out.push_back(digits[b >> 4]);
        out.push_back(digits[b & 0xF]);
    }
    return out;
}

}  // namespace

bool is_key_id(std::string_view id) {
    return id.size() == key_id_length && std::all_of(id.begin(), id.end(), [](char c) {
               return (c >= '0' && c <= '9') || (c >= 'a' && c <= 'f');
           });
}

std::optional<presented_key> parse_api_key(std::string_view text) {
    if (text.size() != prefix.size() + key_id_length + 1 + secret_length || !text.starts_with(prefix))
        return std::nullopt;
    text.remove_prefix(prefix.size());
    const std::string_view id = text.substr(0, key_id_length);
    if (!is_key_id(id) || text[key_id_length] != '_') return std::nullopt;
    const std::string_view secret = text.substr(key_id_length + 1);
    if (!std::all_of(secret.begin(), secret.end(), is_url_safe_b64)) return std::nullopt;
    return presented_key{id, secret};
}

generated_key generate_api_key() {
    generated_key k;
    k.id = hex(crypto::random_bytes(key_id_length / 2));
    const auto secret_raw = crypto::random_bytes(secret_bytes);
    const std::string secret = url_safe(crypto::base64_encode(secret_raw.data(), secret_raw.size()));
    k.text = std::string{prefix} + k.id + "_" + secret;
    k.secret_sha256 = secret_digest(secret);
    return k;
}

std::string secret_digest(std::string_view secret) { return crypto::sha256_hex(secret); }

}  // namespace prequal::access
