// The common part of every message value (contract section 3) and strict decoding of it. A message that
// cannot be decoded is poison: retrying cannot help, so the bus dead-letters it at once.
#pragma once

#include <prequal/core/money.hpp>

#include <boost/json/object.hpp>

#include <stdexcept>
#include <string>
#include <string_view>

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

inline constexpr int message_version = 1;

struct envelope {
    std::string message_id;      // UUID
    std::string event_type;
    std::string occurred_at;
    std::string application_id;  // UUID
    std::string request_id;      // may be empty
    boost::json::object body;    // the whole decoded value, for the event's own fields
};

/// Decodes and validates the common fields; throws poison_message naming the problem.
envelope decode_envelope(std::string_view payload, std::string_view expected_event_type);

/// A required string field of `body`; throws poison_message when absent or not a string.
std::string require_string(const boost::json::object& body, std::string_view key);
/// A required integer field; throws poison_message when absent, not an integer or outside [lo, hi].
std::int64_t require_int(const boost::json::object& body, std::string_view key, std::int64_t lo, std::int64_t hi);
/// The contract's bound on amounts (section 1). Checked again on messages: a message is not trusted to have
/// come through the API, and income x 48 beyond it would not fit the database or parse back as money.
inline constexpr core::money max_amount = core::money::from_rupees(100'000'000);

/// A required money field (decimal string); throws poison_message when absent, not exact decimal text or
/// outside [lo, hi].
core::money require_money(const boost::json::object& body, std::string_view key, core::money lo, core::money hi);
/// An optional string field: empty when absent or null; throws poison_message for other types.
std::string optional_string(const boost::json::object& body, std::string_view key);

}  // namespace prequal::bus
