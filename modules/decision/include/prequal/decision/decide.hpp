// The lending decision (contract sections 2 and 7): a pure function in exact decimal arithmetic, with the
// machine-readable reason codes of each outcome and the version naming these rules.
#pragma once

#include <prequal/core/money.hpp>

#include <optional>
#include <string>
#include <string_view>
#include <vector>

namespace prequal::decision {

enum class outcome { pre_approved, rejected, manual_review };

inline constexpr int min_approval_score = 650;
inline constexpr int income_months = 48;

/// Names the rules decide() applies; every decision carries it (contract section 7). Change it whenever the
/// rules change: tests/unit/decision/test_ruleset_version.cpp fingerprints a table of the rules' boundary
/// cases (outcome, reason codes, maximum amount) and fails until the new fingerprint is recorded below.
inline constexpr std::string_view ruleset_version = "2026-12-04.1";
/// SHA-256 of that table as decide() answers it under ruleset_version; record the new value with a new
/// version.
inline constexpr std::string_view ruleset_fingerprint =
    "8690cce8472851227b21f73d51d87b8cdc1d26cdfb89c1fad4f9222a07fc3a6f";

/// The reason codes of contract section 7.
inline constexpr std::string_view score_below_min = "SCORE_BELOW_650";
inline constexpr std::string_view score_at_least_min = "SCORE_AT_LEAST_650";
inline constexpr std::string_view income_above_loan_share = "INCOME_ABOVE_LOAN_OVER_48";
inline constexpr std::string_view income_not_above_loan_share = "INCOME_NOT_ABOVE_LOAN_OVER_48";

/// "PRE_APPROVED", "REJECTED", "MANUAL_REVIEW".
std::string_view to_string(outcome o);

struct decision {
    outcome status;
    std::string reason;                          // human-readable, e.g. "CIBIL 790 >= 650 and …"
    std::optional<core::money> max_approved;     // income × 48; none when REJECTED
    std::vector<std::string_view> reason_codes;  // in the contract's order, e.g. {SCORE_AT_LEAST_650, …}
};

/// score < 650 → REJECTED; else income > loan/48 (i.e. income × 48 > loan, exactly) → PRE_APPROVED;
/// else MANUAL_REVIEW.
decision decide(int cibil_score, core::money monthly_income, core::money loan_amount);

}  // namespace prequal::decision
