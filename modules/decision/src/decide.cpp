// Lending rules. The comparison is done as income × 48 > loan so no division rounding can flip it; loan/48
// is computed (rounded half-up to paise) only for the human-readable reason.
#include <prequal/decision/decide.hpp>

#include <fmt/format.h>

namespace prequal::decision {

std::string_view to_string(outcome o) {
    switch (o) {
        case outcome::pre_approved:
            return "PRE_APPROVED";
        case outcome::rejected:
            return "REJECTED";
        case outcome::manual_review:
            return "MANUAL_REVIEW";
    }
    return "MANUAL_REVIEW";
}

decision decide(int score, core::money income, core::money loan) {
    if (score < min_approval_score)
        return {outcome::rejected,
                fmt::format("CIBIL {} < {}", score, min_approval_score),
                std::nullopt,
                {score_below_min}};
    const std::string per_month = loan.divided_rounded(income_months).to_string();
    const core::money max_amount = income.times(income_months);
    if (income.times(income_months) > loan)
        return {outcome::pre_approved,
                fmt::format("CIBIL {} >= {} and monthly income {} > loan/{} ({})", score, min_approval_score,
                            income.to_string(), income_months, per_month),
                max_amount,
                {score_at_least_min, income_above_loan_share}};
    return {outcome::manual_review,
            fmt::format("CIBIL {} >= {} but monthly income {} <= loan/{} ({})", score, min_approval_score,
                        income.to_string(), income_months, per_month),
            max_amount,
            {score_at_least_min, income_not_above_loan_share}};
}

}  // namespace prequal::decision
