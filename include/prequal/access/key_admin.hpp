// `prequal apikey create|list|revoke` as database operations: create stores only the secret's digest and
// returns the key text once; revoke tells every serving replica at once (NOTIFY; their periodic refresh is
// the fallback).
#pragma once

#include <prequal/pg/connection.hpp>
#include <prequal/pg/row.hpp>

#include <boost/asio/awaitable.hpp>

#include <cstdint>
#include <optional>
#include <string>
#include <tuple>
#include <vector>

namespace prequal::access {

/// The NOTIFY channel on which key changes are announced (payload: the key id).
inline constexpr const char* keys_channel = "prequal_api_keys";

/// What `apikey create` asks for. Limits: nullopt = the serving process's defaults, 0 = unlimited.
struct key_settings {
    std::string client;
    std::vector<std::string> scopes;
    std::optional<std::int64_t> rate_limit;
    std::optional<std::int64_t> burst;
    std::optional<double> expires_in_days;
};

/// A key as `apikey list` shows it: never its secret. Times are UTC ISO-8601 text.
struct key_info {
    std::string id;
    std::string client;
    std::string scopes;  // comma-separated
    std::optional<std::int64_t> rate_limit;
    std::optional<std::int64_t> burst;
    std::string created_at;
    std::optional<std::string> expires_at;
    std::optional<std::string> last_used_at;
    std::optional<std::string> revoked_at;
    static constexpr auto columns = std::tuple{pg::col("id", &key_info::id),
                                               pg::col("client", &key_info::client),
                                               pg::col("scopes", &key_info::scopes),
                                               pg::col("rate_limit", &key_info::rate_limit),
                                               pg::col("burst", &key_info::burst),
                                               pg::col("created_at", &key_info::created_at),
                                               pg::col("expires_at", &key_info::expires_at),
                                               pg::col("last_used_at", &key_info::last_used_at),
                                               pg::col("revoked_at", &key_info::revoked_at)};
};

struct created_key {
    std::string key;  // pq_<id>_<secret>: shown once, stored nowhere
    key_info info;
};

/// Generates and stores a key. Throws pg::error when the database fails.
boost::asio::awaitable<created_key> create_key(pg::connection& c, key_settings settings);

/// Every key, oldest first.
boost::asio::awaitable<std::vector<key_info>> list_keys(pg::connection& c);

enum class revoke_outcome { revoked, already_revoked, not_found };

/// Revokes key `id` and notifies the serving replicas, in one transaction.
boost::asio::awaitable<revoke_outcome> revoke_key(pg::connection& c, std::string id);

}  // namespace prequal::access
