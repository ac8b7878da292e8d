// The common part of every message value (contract section 3) and strict decoding of it. A message that
// cannot be decoded is poison: retrying cannot help, so the bus dead-letters it at once.
#pragma once

#include <prequal/core/money.hpp>

#include <boost/json/object.hpp>

#include <stdexcept>
#include <string>
#include <string_view>
#include <utility>
#include <vector>

namespace prequal::bus {

/// Thrown by a handler for a message that can never be processed (invalid JSON, missing field, unknown
/// message_version). Buses send it to the dead-letter topic without further attempts.
class poison_message : public std::runtime_error {
public:
    using std::runtime_error::runtime_error;
};

/// Thrown by a handler when something it depends on (the database) is unavailable. The message is
/// redelivered after a capped backoff without counting toward max_attempts: an outage pauses consumption
/// instead of dead-lettering good messages.
class dependency_unavailable : public std::runtime_error {
public:
    using std::runtime_error::runtime_error;
};

/// The message_version every message carries and decode_envelope accepts (in the value and, as text, in the
/// message_version header).
inline constexpr int message_version = 1;

struct envelope {
    std::string message_id;  // UUID
    std::string event_type;
    std::string occurred_at;
    std::string application_id;  // UUID
    std::string request_id;      // may be empty
    boost::json::object body;    // the whole decoded value, for the event's own fields
};

/// Decodes and validates the common fields; throws poison_message naming the problem.
envelope decode_envelope(std::string_view payload, std::string_view expected_event_type);

/// The common fields of an event to publish; message_version is added by encode_envelope.
struct outgoing_envelope {
    std::string_view message_id;  // UUID, unique per event
    std::string_view event_type;
    std::string_view occurred_at;     // core::now_utc_millis() when the event happened
    std::string_view application_id;  // UUID; also the message key
    std::string_view request_id;      // may be empty (written as "")
};

/// The message value of an event: message_id, message_version, event_type, occurred_at, application_id,
/// request_id, then the event's own `fields` in their order, as compact JSON. decode_envelope accepts it.
/// `fields` must not repeat a common field.
std::string encode_envelope(const outgoing_envelope& e, const boost::json::object& fields);

/// The bus headers of an event, in this order: message_id, event_type, message_version, request_id.
std::vector<std::pair<std::string, std::string>> headers_for(std::string_view message_id,
                                                             std::string_view event_type,
                                                             std::string_view request_id);

/// A required string field of `body`; throws poison_message when absent or not a string.
std::string require_string(const boost::json::object& body, std::string_view key);
/// A required integer field; throws poison_message when absent, not an integer or outside [lo, hi].
std::int64_t require_int(const boost::json::object& body, std::string_view key, std::int64_t lo,
                         std::int64_t hi);
/// The contract's bound on amounts (section 1). Checked again on messages: a message is not trusted to have
/// come through the API, and income x 48 beyond it would not fit the database or parse back as money.
inline constexpr core::money max_amount = core::money::from_rupees(100'000'000);

/// A required money field (decimal string); throws poison_message when absent, not exact decimal text or
/// outside [lo, hi].
core::money require_money(const boost::json::object& body, std::string_view key, core::money lo,
                          core::money hi);
/// An optional string field: empty when absent or null; throws poison_message for other types.
std::string optional_string(const boost::json::object& body, std::string_view key);

}  // namespace prequal::bus
