// The api module's database access: every statement it runs sits behind one named function here, so
// the handlers read request → validation → repository → response and never see SQL, parameters or columns
// (queries.hpp holds the statements and their row structs).
#pragma once

#include "queries.hpp"

#include <prequal/api/application_request.hpp>
#include <prequal/core/trace_context.hpp>
#include <prequal/crypto/data_key.hpp>
#include <prequal/crypto/pan_cipher.hpp>
#include <prequal/pg/pool.hpp>

#include <boost/asio/awaitable.hpp>

#include <cstdint>
#include <functional>
#include <optional>
#include <string>
#include <string_view>
#include <variant>

namespace prequal::api::detail {

/// A validated, sealed submission as it is stored, with the outbox event that announces it.
struct new_application {
    std::string id;
    std::string pan_hmac;          // keyed digest: the duplicate rule's claim key
    crypto::wrapped_key data_key;  // the application's data key, sealed under the first master key
    crypto::sealed pan;            // under the data key, like the name
    std::string pan_masked;
    std::optional<crypto::sealed> name;  // nullopt when the request carried no name
    std::string monthly_income;          // exact decimal text
    std::string loan_amount;
    std::string loan_type;  // empty when absent (stored as NULL)
    std::string request_id;
    std::string message_id;  // the outbox event's
    std::string topic;
    std::string event_payload;
    std::string client;                     // the owning client (contract section 6, Isolation)
    std::optional<consent_record> consent;  // stored in `consents` with the application; nullopt: none
    core::trace_context trace;              // the request's: the event carries it
};

/// What an Idempotency-Key holds: the digest of the request that claimed it and the application it made.
using idempotency_record = queries::idempotency_key_row;

/// The application, its audit rows and its outbox event are committed.
struct stored {};
/// The PAN's claim is held (in progress, or approved within 24 hours): nothing was stored.
struct duplicate_pan {};
/// The Idempotency-Key was already claimed: nothing was stored. `record` is the key's (nullopt if the key
/// vanished between the claim and the read, e.g. removed by retention).
struct key_taken {
    std::optional<idempotency_record> record;
};
using store_outcome = std::variant<stored, duplicate_pan, key_taken>;

/// GET .../status: the stored application as the response shows it (timestamps as UTC ISO-8601 text).
using application_status = queries::status_row;

/// Seals one name in clear: (application id, name) → sealed name.
using name_sealer = std::function<crypto::sealed(std::string_view application_id, std::string_view name)>;

/// Cheap to construct (a pool reference); not thread-safe, like the pool. Every function throws pg::error
/// when the database fails (pg::error::is_unavailable() tells an outage from a bug; bad_row a result that
/// does not fit its row struct).
class applications_repository {
public:
    explicit applications_repository(pg::pool& pool) : pool_{pool} {}

    /// Stores `a` in one statement and one transaction: the PAN's claim (only if free, expired or held by a
    /// REJECTED application), the application, its wrapped data key, its consent (if any), its audit rows and
    /// its outbox event.
    /// Returns stored or duplicate_pan.
    boost::asio::awaitable<store_outcome> store(const new_application& a);

    /// As store(), but first claims `key` of client `a.client` for `request_hash` in the same transaction,
    /// so a retry after a crash finds the key and a concurrent retry with the same key waits for this one's
    /// outcome. Returns key_taken (with the key's record) when the client had already claimed the key.
    boost::asio::awaitable<store_outcome> store_with_key(const new_application& a, std::string key,
                                                         std::string request_hash);

    /// The application `id` (a UUID) of `client`; nullopt when there is no such application or another
    /// client owns it (one SELECT either way: the two cases are indistinguishable). Writes nothing: the
    /// caller records the read in the access trail.
    boost::asio::awaitable<std::optional<application_status>> read_status(std::string id, std::string client);

    /// Seals one batch of the names stored in clear before migration 003: locks up to `batch` such rows
    /// (FOR UPDATE SKIP LOCKED, so replicas share the work), replaces each name by `seal(id, name)` and
    /// commits, in two round trips. Returns how many rows it sealed; 0 when none is left.
    boost::asio::awaitable<int> seal_clear_names(int batch, const name_sealer& seal);

private:
    pg::pool& pool_;
};

}  // namespace prequal::api::detail
