// Administration of webhooks (contract section 7): `prequal webhook set|rotate-secret|show`, `apikey create
// --webhook-url`, serve's --webhook-url for the anonymous client, and `dlq replay` of a dead delivery. The
// signing secrets are credentials: sealed with the service's key ring like the PAN, returned once, never
// logged.
#pragma once

#include <prequal/crypto/pan_cipher.hpp>
#include <prequal/outbox/retention.hpp>
#include <prequal/pg/connection.hpp>

#include <boost/asio/awaitable.hpp>

#include <chrono>
#include <optional>
#include <string>
#include <string_view>

namespace prequal::notify {

/// The dead_letters topic of deliveries that exhausted their max age (`prequal dlq list` shows them).
inline constexpr std::string_view dead_letter_topic = "webhooks";
/// How long the previous secret keeps signing after a rotation.
inline constexpr std::chrono::hours rotation_overlap{24};

/// A fresh signing secret: "whsec_" + 32 random bytes, base64url without padding.
std::string new_secret();

/// `secret` sealed for `client` (the client name is the associated data, so a row copied to another client
/// does not open).
crypto::sealed seal_secret(const crypto::pan_cipher& cipher, std::string_view client,
                           std::string_view secret);
/// The secret, or nullopt when it does not open (unknown key id, tampering).
std::optional<std::string> open_secret(const crypto::pan_cipher& cipher, std::string_view client,
                                       std::string_view key_id, std::string_view ciphertext);

/// A webhook as `prequal webhook show` prints it: never a secret.
struct webhook_info {
    std::string client;
    std::string url;
    std::string created_at;
    std::string updated_at;
    std::optional<std::string> previous_secret_until;  // set while a rotated-out secret still signs
    std::int64_t undelivered = 0;                      // live deliveries queued for it
    std::int64_t dead = 0;                             // deliveries that died (max age)
};

/// Sets `client`'s webhook to `url` (already checked by the caller) with a new secret, which it returns. An
/// existing webhook's current secret keeps signing for rotation_overlap. Throws pg::error.
boost::asio::awaitable<std::string> set_webhook(pg::connection& c, const crypto::pan_cipher& cipher,
                                                std::string client, std::string url);

/// A new secret for `client`'s webhook (the current one keeps signing for rotation_overlap); nullopt when
/// the client has no webhook. Throws pg::error.
boost::asio::awaitable<std::optional<std::string>> rotate_secret(pg::connection& c,
                                                                 const crypto::pan_cipher& cipher,
                                                                 std::string client);

/// Sets `client`'s webhook to exactly `url` and `secret` (serve --webhook-url/--webhook-secret): no previous
/// secret. Unchanged values leave the row as it is. Throws pg::error.
boost::asio::awaitable<void> put_webhook(pg::connection& c, const crypto::pan_cipher& cipher,
                                         std::string client, std::string url, std::string secret);

/// `client`'s webhook, or nullopt. Throws pg::error.
boost::asio::awaitable<std::optional<webhook_info>> show_webhook(pg::connection& c, std::string client);

/// Re-arms the dead delivery of event `event_id` (a dead letter of dead_letter_topic carries it as its
/// message id): attempts 0, due now, a fresh max age; NOTIFYs the dispatchers. Returns the delivery's id, or
/// nullopt when there is no such delivery (or it was delivered meanwhile). Runs in the caller's transaction.
boost::asio::awaitable<std::optional<std::string>> rearm_delivery(pg::connection& c, std::string event_id);

/// Retention of delivered deliveries older than `age` (for outbox::retention).
outbox::retention_job delivery_retention(std::chrono::milliseconds age);

}  // namespace prequal::notify
