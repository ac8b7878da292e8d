// Parsing and validation of POST /applications bodies: a pure function from bytes to either a valid
// request or the list of every failing field (contract section 1). Numbers keep their exact text, so no
// binary floating point ever touches money.
#pragma once

#include <prequal/core/money.hpp>
#include <prequal/http/errors.hpp>

#include <chrono>
#include <cstdint>
#include <optional>
#include <string>
#include <string_view>
#include <variant>
#include <vector>

namespace prequal::api {

inline constexpr std::string_view pan_pattern = "^[A-Z]{5}[0-9]{4}[A-Z]$";
inline constexpr std::size_t max_json_depth = 16;

inline constexpr std::size_t max_consent_text = 64;     // purpose, text_version
inline constexpr std::size_t max_consent_channel = 32;  // channel
/// How far in the future a consent's given_at may be (clock skew between the client and us).
inline constexpr std::chrono::minutes consent_future_tolerance{5};

/// The applicant's consent as the client recorded it (contract section 8). Not personal data: stored in
/// clear and kept after erasure (docs/pan-protection.md, "Consent").
struct consent_record {
    std::string purpose;       // 1-64 characters, no control characters
    std::string text_version;  // 1-64 characters, no control characters
    std::string channel;       // 1-32 characters, no control characters; empty when absent
    // given_at: the instant, microseconds since 1970-01-01T00:00:00Z (its spelling and time zone are not
    // kept: PostgreSQL's timestamptz keeps only the instant too).
    std::int64_t given_at_micros = 0;
};

struct application_request {
    std::string pan_number;
    std::string applicant_name;  // trimmed; empty when absent
    core::money monthly_income;
    core::money loan_amount;
    std::string loan_type;                  // "PERSONAL" | "HOME" | "AUTO" | empty when absent
    std::optional<consent_record> consent;  // nullopt when absent
};

/// What validation depends on besides the body.
struct validation_options {
    bool require_consent = false;  // serve --require-consent: a body without `consent` is invalid
    std::chrono::system_clock::time_point now = std::chrono::system_clock::now();  // for given_at
};

/// The body is not JSON at all (400 MALFORMED_JSON); `reason` is safe to show.
struct malformed_json {
    std::string reason;
};

/// Valid JSON that fails validation (422 VALIDATION_ERROR), one detail per failing field.
struct invalid_request {
    std::vector<http::error_detail> details;
};

using parse_outcome = std::variant<application_request, malformed_json, invalid_request>;

/// Parses and validates a request body.
parse_outcome parse_application_request(std::string_view body, const validation_options& options = {});

/// Reads an RFC 3339 date-time (section 5.6: full-date "T" full-time, 'T' and 'Z' in either case, any
/// fraction, cut to microseconds; a leap second only at 23:59:60 UTC) as microseconds since
/// 1970-01-01T00:00:00Z; nullopt when `text` is not one, or its instant is outside 0001-01-01..9999-12-31
/// UTC.
std::optional<std::int64_t> parse_rfc3339(std::string_view text);

/// True when `pan` matches ^[A-Z]{5}[0-9]{4}[A-Z]$.
bool is_valid_pan(std::string_view pan);

/// "XXXXXX234F": all but the last 4 characters replaced by X.
std::string mask_pan(std::string_view pan);

/// True for 1–255 printable ASCII characters (the Idempotency-Key header).
bool is_valid_idempotency_key(std::string_view key);

/// A canonical text of the request's meaning (independent of JSON formatting and key order), hashed with
/// a secret key to recognise "the same body" on an Idempotency-Key retry. The consent is part of it (the
/// instant of given_at, not its spelling); a request without one keeps the text it had before consent
/// existed, so a retry across the upgrade still matches.
std::string canonical_form(const application_request& r);

}  // namespace prequal::api
