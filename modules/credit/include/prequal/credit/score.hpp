// The CIBIL simulation (contract section 2): a pure function, no I/O.
#pragma once

#include <prequal/core/money.hpp>

#include <string_view>

namespace prequal::credit {

inline constexpr int min_score = 300;
inline constexpr int max_score = 900;

/// −5..+5, a deterministic function of the application id (FNV-1a of its lowercase text).
int score_jitter(std::string_view application_id);

/// The two reference PANs score 790 and 610 exactly; otherwise 650, +40 when income > 75000, −20 when
/// income < 30000, −10 PERSONAL, +10 HOME, 0 AUTO/none, plus the jitter, clamped to 300..900.
/// `loan_type` is "PERSONAL", "HOME", "AUTO" or empty.
int compute_score(std::string_view pan, core::money monthly_income, std::string_view loan_type,
                  std::string_view application_id);

/// The same rule before jitter and clamping (exposed so tests can check clamping independently).
int base_score(core::money monthly_income, std::string_view loan_type);
int clamp_score(int score);

}  // namespace prequal::credit
