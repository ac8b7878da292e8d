// Operations on the applicants' personal data (docs/pan-protection.md, contract section 8): erasing one
// application's (HTTP DELETE and `prequal erase`), and rewrapping the per-application data keys under the
// current master key (`prequal rewrap`).
#pragma once

#include <prequal/crypto/pan_cipher.hpp>
#include <prequal/pg/connection.hpp>

#include <boost/asio/awaitable.hpp>

#include <cstdint>
#include <optional>
#include <string>

namespace prequal::api {

struct rewrap_result {
    std::int64_t rewrapped = 0;   // now wrapped under the ring's first key
    std::int64_t unreadable = 0;  // left as they were: their master key is not in the ring (or tampered)
};

enum class erase_outcome {
    erased,          // erased now (data key destroyed, ciphertexts cleared, audit row written)
    already_erased,  // nothing left to erase (idempotent)
    pending,         // not decided yet: nothing was changed
    not_found,       // unknown id, or (when a client is given) another client's application
};

/// Who asked for an erasure, as its audit row records it.
struct erase_request {
    std::string application_id;         // a UUID
    std::optional<std::string> client;  // the requesting API client; nullopt for an operator (any owner)
    std::string request_id;             // empty for an operator
};

/// Erases the application's personal data in one statement (one transaction): deletes its wrapped data key
/// (so every copy of its ciphertexts, anywhere, is undecryptable), clears its ciphertexts, masked PAN and
/// keyed digest, drops its pan_claims row if that no longer blocks (REJECTED, or claimed over 24 h ago), and
/// writes a PERSONAL_DATA_ERASED audit row (why: `request` with the client, or `operator`). The decision
/// stays. Throws pg::error when the database fails.
boost::asio::awaitable<erase_outcome> erase_personal_data(pg::connection& conn, erase_request request);

/// Rewraps every data key not wrapped under `master`'s first key: `batch` keys per transaction, locked with
/// FOR UPDATE SKIP LOCKED so several runs (or replicas) share the work without waiting for each other.
/// Stops when none is left but the ones it cannot open (counted once). Throws pg::error when the database
/// fails (the batches committed so far stay done).
boost::asio::awaitable<rewrap_result> rewrap_data_keys(pg::connection& conn, const crypto::pan_cipher& master,
                                                       int batch = 200);

}  // namespace prequal::api
