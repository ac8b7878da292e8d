// SQL of the access component (table api_keys, migration 005), with the row structs results decode into.
// Names double as prepared-statement names.
#pragma once

#include <prequal/pg/row.hpp>
#include <prequal/pg/statement.hpp>

#include <cstdint>
#include <optional>
#include <string>
#include <tuple>

namespace prequal::access::queries {

// Keys every replica keeps in memory: live ones, and revoked or expired ones for a while (so that a client
// still presenting one is refused from memory, not with a database look-up).
#define PREQUAL_ACCESS_KEY_COLUMNS                                                                      \
    "SELECT id, client, secret_sha256, array_to_string(scopes, ',') AS scopes, rate_limit, burst, "     \
    "(extract(epoch FROM expires_at) * 1000)::bigint AS expires_ms, revoked_at IS NOT NULL AS revoked " \
    "FROM api_keys "

inline constexpr pg::statement load_keys{
    "access_load_keys", PREQUAL_ACCESS_KEY_COLUMNS
    "WHERE (revoked_at IS NULL OR revoked_at > now() - interval '30 days') "
    "AND (expires_at IS NULL OR expires_at > now() - interval '30 days')"};

// $1 id: one key the cache does not hold (a key created since the last refresh, or an unknown id).
inline constexpr pg::statement load_key{"access_load_key", PREQUAL_ACCESS_KEY_COLUMNS "WHERE id = $1"};

#undef PREQUAL_ACCESS_KEY_COLUMNS

struct key_row {
    std::string id;
    std::string client;
    std::string secret_sha256;
    std::string scopes;  // comma-separated
    std::optional<std::int64_t> rate_limit;
    std::optional<std::int64_t> burst;
    std::optional<std::int64_t> expires_ms;  // Unix time in milliseconds
    bool revoked = false;
    static constexpr auto columns = std::tuple{pg::col("id", &key_row::id),
                                               pg::col("client", &key_row::client),
                                               pg::col("secret_sha256", &key_row::secret_sha256),
                                               pg::col("scopes", &key_row::scopes),
                                               pg::col("rate_limit", &key_row::rate_limit),
                                               pg::col("burst", &key_row::burst),
                                               pg::col("expires_ms", &key_row::expires_ms),
                                               pg::col("revoked", &key_row::revoked)};
};

// $1 ids (text[] literal), $2 last use of each (bigint[] literal, Unix ms): one statement per flush.
inline constexpr pg::statement record_last_used{
    "access_record_last_used",
    "UPDATE api_keys k SET last_used_at = GREATEST(k.last_used_at, to_timestamp(u.ms / 1000.0)) "
    "FROM unnest($1::text[], $2::bigint[]) AS u(id, ms) WHERE k.id = u.id"};

#define PREQUAL_ACCESS_UTC(col) "to_char(" col " AT TIME ZONE 'UTC', 'YYYY-MM-DD\"T\"HH24:MI:SS.MS\"Z\"')"
#define PREQUAL_ACCESS_INFO_COLUMNS \
    "id, client, array_to_string(scopes, ',') AS scopes, rate_limit, burst, " PREQUAL_ACCESS_UTC(      \
        "created_at") " AS created_at, " PREQUAL_ACCESS_UTC("expires_at") " AS expires_at, "           \
        PREQUAL_ACCESS_UTC("last_used_at") " AS last_used_at, " PREQUAL_ACCESS_UTC("revoked_at") " AS revoked_at"

// $1 id, $2 client, $3 secret digest, $4 scopes "a,b", $5 rate limit, $6 burst, $7 days until expiry (NULL:
// never).
inline constexpr pg::statement insert_key{
    "",
    "INSERT INTO api_keys (id, client, secret_sha256, scopes, rate_limit, burst, expires_at) "
    "VALUES ($1, $2, $3, string_to_array($4, ','), $5::int, $6::int, "
    "now() + $7::double precision * interval '1 day') RETURNING " PREQUAL_ACCESS_INFO_COLUMNS};

inline constexpr pg::statement list_keys{
    "", "SELECT " PREQUAL_ACCESS_INFO_COLUMNS " FROM api_keys ORDER BY created_at, id"};

#undef PREQUAL_ACCESS_INFO_COLUMNS
#undef PREQUAL_ACCESS_UTC

// $1 id. No row: no such key, or revoked already.
inline constexpr pg::statement revoke_key{
    "", "UPDATE api_keys SET revoked_at = now() WHERE id = $1 AND revoked_at IS NULL RETURNING id"};
// $1 id → one row when the key exists.
inline constexpr pg::statement key_exists{"", "SELECT id FROM api_keys WHERE id = $1"};
// Tells every serving replica to reload its keys now ($1: the key id, informational).
inline constexpr pg::statement notify_keys_changed{"", "SELECT pg_notify('prequal_api_keys', $1)"};

struct id_row {
    std::string id;
    static constexpr auto columns = std::tuple{pg::col("id", &id_row::id)};
};

}  // namespace prequal::access::queries
