// Parsing and validation of POST /applications bodies: a pure function from bytes to either a valid
// request or the list of every failing field (contract section 1). Numbers keep their exact text, so no
// binary floating point ever touches money.
#pragma once

#include <prequal/core/money.hpp>
#include <prequal/http/errors.hpp>

#include <optional>
#include <string>
#include <string_view>
#include <variant>
#include <vector>

namespace prequal::api {

inline constexpr std::string_view pan_pattern = "^[A-Z]{5}[0-9]{4}[A-Z]$";
inline constexpr std::size_t max_json_depth = 16;

struct application_request {
    std::string pan_number;
    std::string applicant_name;  // trimmed; empty when absent
    core::money monthly_income;
    core::money loan_amount;
    std::string loan_type;  // "PERSONAL" | "HOME" | "AUTO" | empty when absent
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
parse_outcome parse_application_request(std::string_view body);

/// True when `pan` matches ^[A-Z]{5}[0-9]{4}[A-Z]$.
bool is_valid_pan(std::string_view pan);

/// "XXXXXX234F": all but the last 4 characters replaced by X.
std::string mask_pan(std::string_view pan);

/// True for 1–255 printable ASCII characters (the Idempotency-Key header).
bool is_valid_idempotency_key(std::string_view key);

/// A canonical text of the request's meaning (independent of JSON formatting and key order), hashed with
/// a secret key to recognise "the same body" on an Idempotency-Key retry.
std::string canonical_form(const application_request& r);

}  // namespace prequal::api
