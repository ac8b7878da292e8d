// The body of POST /applications/{id}/review (contract section 10), read strictly: every failing field is
// named, so an underwriter's tool can show all of them at once. Pure: no I/O.
#pragma once

#include <prequal/decision/decide.hpp>
#include <prequal/http/errors.hpp>

#include <cstdint>
#include <string>
#include <string_view>
#include <variant>
#include <vector>

namespace prequal::decision {

inline constexpr std::size_t max_review_reason = 500;  // characters (code points)
inline constexpr std::size_t max_reviewer = 100;

struct review_request {
    outcome result = outcome::rejected;  // pre_approved or rejected only
    std::string reason;                  // trimmed
    std::string reviewer;                // trimmed
    std::int64_t expected_version = 0;
};

/// The body is not JSON (400 MALFORMED_JSON).
struct review_malformed {
    std::string reason;
};
/// The body is JSON but fails validation (422 VALIDATION_ERROR): one entry per failing field.
struct review_invalid {
    std::vector<http::error_detail> details;
};

using review_parse = std::variant<review_request, review_malformed, review_invalid>;

/// `{"outcome": "PRE_APPROVED"|"REJECTED", "reason": 1–500 characters, "reviewer": 1–100 characters,
/// "expected_version": integer ≥ 1}`; text is trimmed, must be valid UTF-8 without control characters;
/// unknown fields and null are errors.
review_parse parse_review_request(std::string_view body);

}  // namespace prequal::decision
