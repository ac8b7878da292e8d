// signature_header: "t=<unix>,v1=<hex>[,v1=<hex>]" as Stripe's Stripe-Signature, so receivers can reuse what
// they know: split on ',', take t, recompute HMAC-SHA256(secret, t + "." + raw body), compare with any v1.
#include <prequal/crypto/hmac.hpp>
#include <prequal/webhook/signature.hpp>

namespace prequal::webhook {

std::string signature_header(std::int64_t unix_seconds, std::string_view body,
                             const std::vector<std::string>& secrets) {
    const auto t = std::to_string(unix_seconds);
    std::string signed_payload;
    signed_payload.reserve(t.size() + 1 + body.size());
    signed_payload.append(t).append(".").append(body);
    std::string out = "t=" + t;
    for (const auto& secret : secrets) out.append(",v1=").append(crypto::hmac_sha256(secret, signed_payload));
    return out;
}

}  // namespace prequal::webhook
