// Webhook administration: sealed secrets and the statements of set, rotate, show and re-arm.
#include <prequal/crypto/keys.hpp>
#include <prequal/crypto/random.hpp>
#include <prequal/notify/webhook_admin.hpp>
#include <prequal/pg/row.hpp>

#include <algorithm>

namespace prequal::notify {

namespace asio = boost::asio;

namespace {

#define PREQUAL_NOTIFY_TS(col) "to_char(" col " AT TIME ZONE 'UTC', 'YYYY-MM-DD\"T\"HH24:MI:SS\"Z\"')"

// $1 client, $2 url, $3 key id, $4 ciphertext. An existing row keeps its current secret as the previous one
// for 24 h (so receivers that still verify with it keep working while they move to the new one).
constexpr pg::statement upsert_rotating{
    "",
    "INSERT INTO webhooks (client, url, secret_key_id, secret_ciphertext) VALUES ($1, $2, $3, $4) "
    "ON CONFLICT (client) DO UPDATE SET url = excluded.url, secret_key_id = excluded.secret_key_id, "
    "  secret_ciphertext = excluded.secret_ciphertext, previous_key_id = webhooks.secret_key_id, "
    "  previous_ciphertext = webhooks.secret_ciphertext, "
    "  previous_expires_at = now() + interval '24 hours', updated_at = now()"};

// $1 client, $2 key id, $3 ciphertext. No row: no webhook for the client.
constexpr pg::statement rotate{
    "",
    "UPDATE webhooks SET previous_key_id = secret_key_id, previous_ciphertext = secret_ciphertext, "
    "  previous_expires_at = now() + interval '24 hours', secret_key_id = $2, secret_ciphertext = $3, "
    "  updated_at = now() WHERE client = $1 RETURNING client"};

// $1 client, $2 url, $3 key id, $4 ciphertext (serve's configured webhook: exactly this, no previous).
constexpr pg::statement put{
    "",
    "INSERT INTO webhooks (client, url, secret_key_id, secret_ciphertext) VALUES ($1, $2, $3, $4) "
    "ON CONFLICT (client) DO UPDATE SET url = excluded.url, secret_key_id = excluded.secret_key_id, "
    "  secret_ciphertext = excluded.secret_ciphertext, previous_key_id = NULL, previous_ciphertext = NULL, "
    "  previous_expires_at = NULL, updated_at = now()"};

constexpr pg::statement read_sealed{
    "", "SELECT url, secret_key_id, secret_ciphertext FROM webhooks WHERE client = $1"};
struct sealed_row {
    std::string url, key_id, ciphertext;
    static constexpr auto columns =
        std::tuple{pg::col("url", &sealed_row::url), pg::col("secret_key_id", &sealed_row::key_id),
                   pg::col("secret_ciphertext", &sealed_row::ciphertext)};
};

constexpr pg::statement show{
    "",
    "SELECT client, url, " PREQUAL_NOTIFY_TS("created_at") " AS created_at, "
    PREQUAL_NOTIFY_TS("updated_at") " AS updated_at, CASE WHEN previous_expires_at > now() THEN "
    PREQUAL_NOTIFY_TS("previous_expires_at") " END AS previous_until, "
    "(SELECT count(*) FROM webhook_deliveries d WHERE d.client = $1 AND d.delivered_at IS NULL "
    "  AND d.dead_at IS NULL) AS undelivered, "
    "(SELECT count(*) FROM webhook_deliveries d WHERE d.client = $1 AND d.dead_at IS NOT NULL) AS dead "
    "FROM webhooks WHERE client = $1"};
struct show_row {
    std::string client, url, created_at, updated_at;
    std::optional<std::string> previous_until;
    std::int64_t undelivered = 0, dead = 0;
    static constexpr auto columns = std::tuple{pg::col("client", &show_row::client),
                                               pg::col("url", &show_row::url),
                                               pg::col("created_at", &show_row::created_at),
                                               pg::col("updated_at", &show_row::updated_at),
                                               pg::col("previous_until", &show_row::previous_until),
                                               pg::col("undelivered", &show_row::undelivered),
                                               pg::col("dead", &show_row::dead)};
};

// $1 event id. Live again with a fresh max age, announced to every dispatcher.
constexpr pg::statement rearm{
    "",
    "WITH r AS (UPDATE webhook_deliveries SET attempts = 0, due_at = now(), armed_at = now(), dead_at = "
    "NULL, "
    "  claimed_until = NULL, last_error = NULL WHERE event_id = $1::uuid AND delivered_at IS NULL "
    "  RETURNING id), n AS (SELECT pg_notify('prequal_webhooks', '') FROM r) "
    "SELECT r.id, (SELECT count(*) FROM n) AS notified FROM r"};
struct id_row {
    std::string id;
    static constexpr auto columns = std::tuple{pg::col("id", &id_row::id)};
};

#undef PREQUAL_NOTIFY_TS

std::string aad(std::string_view client) { return "prequal-webhook-secret:" + std::string{client}; }

}  // namespace

std::string new_secret() {
    const auto bytes = crypto::random_bytes(32);
    std::string b64 = crypto::base64_encode(bytes.data(), bytes.size());
    std::replace(b64.begin(), b64.end(), '+', '-');
    std::replace(b64.begin(), b64.end(), '/', '_');
    while (!b64.empty() && b64.back() == '=') b64.pop_back();
    return "whsec_" + b64;
}

crypto::sealed seal_secret(const crypto::pan_cipher& cipher, std::string_view client,
                           std::string_view secret) {
    return cipher.encrypt(secret, aad(client));
}

std::optional<std::string> open_secret(const crypto::pan_cipher& cipher, std::string_view client,
                                       std::string_view key_id, std::string_view ciphertext) {
    return cipher.decrypt(key_id, ciphertext, aad(client));
}

asio::awaitable<std::string> set_webhook(pg::connection& c, const crypto::pan_cipher& cipher,
                                         std::string client, std::string url) {
    std::string secret = new_secret();
    const auto s = seal_secret(cipher, client, secret);
    auto a = pg::args(client, url, s.key_id, s.ciphertext_b64);
    co_await c.execute(upsert_rotating, std::move(a));
    co_return secret;
}

asio::awaitable<std::optional<std::string>> rotate_secret(pg::connection& c, const crypto::pan_cipher& cipher,
                                                          std::string client) {
    std::string secret = new_secret();
    const auto s = seal_secret(cipher, client, secret);
    auto a = pg::args(client, s.key_id, s.ciphertext_b64);
    auto r = co_await c.execute(rotate, std::move(a));
    if (r.empty()) co_return std::nullopt;
    co_return secret;
}

asio::awaitable<void> put_webhook(pg::connection& c, const crypto::pan_cipher& cipher, std::string client,
                                  std::string url, std::string secret) {
    auto a = pg::args(client);
    auto current = (co_await c.execute(read_sealed, std::move(a))).maybe_one_as<sealed_row>();
    if (current && current->url == url) {
        const auto opened = open_secret(cipher, client, current->key_id, current->ciphertext);
        if (opened && crypto::constant_time_equal(*opened, secret)) co_return;
    }
    const auto s = seal_secret(cipher, client, secret);
    auto b = pg::args(client, url, s.key_id, s.ciphertext_b64);
    co_await c.execute(put, std::move(b));
}

asio::awaitable<std::optional<webhook_info>> show_webhook(pg::connection& c, std::string client) {
    auto a = pg::args(client);
    auto r = co_await c.execute(show, std::move(a));
    if (r.empty()) co_return std::nullopt;
    auto row = r.one_as<show_row>();
    co_return webhook_info{row.client,         row.url,         row.created_at, row.updated_at,
                           row.previous_until, row.undelivered, row.dead};
}

asio::awaitable<std::optional<std::string>> rearm_delivery(pg::connection& c, std::string event_id) {
    auto a = pg::args(event_id);
    auto r = co_await c.execute(rearm, std::move(a));
    auto row = r.maybe_one_as<id_row>();
    if (!row) co_return std::nullopt;
    co_return row->id;
}

outbox::retention_job delivery_retention(std::chrono::milliseconds age) {
    // Lock id: 0x7072657175616c00 ("prequal\0") + 4.
    return {"webhook_deliveries", "8102650217567972356",
            "DELETE FROM webhook_deliveries WHERE ctid IN (SELECT ctid FROM webhook_deliveries"
            " WHERE delivered_at < now() - $1::bigint * interval '1 millisecond' LIMIT $2::int)"
            " AND delivered_at < now() - $1::bigint * interval '1 millisecond'",
            age};
}

}  // namespace prequal::notify
