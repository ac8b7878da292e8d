// The lending decision (contract section 2): a pure function in exact decimal arithmetic.
#pragma once

#include <prequal/core/money.hpp>

#include <optional>
#include <string>
#include <string_view>

namespace prequal::decision {

enum class outcome { pre_approved, rejected, manual_review };

inline constexpr int min_approval_score = 650;
inline constexpr int income_months = 48;

/// "PRE_APPROVED", "REJECTED", "MANUAL_REVIEW".
std::string_view to_string(outcome o);

struct decision {
    outcome status;
    std::string reason;                       // human-readable, e.g. "CIBIL 790 >= 650 and …"
    std::optional<core::money> max_approved;  // income × 48; none when REJECTED
};

/// score < 650 → REJECTED; else income > loan/48 (i.e. income × 48 > loan, exactly) → PRE_APPROVED;
/// else MANUAL_REVIEW.
decision decide(int cibil_score, core::money monthly_income, core::money loan_amount);

}  // namespace prequal::decision
