// CIBIL simulation rules.
#include <prequal/credit/score.hpp>

#include <algorithm>
#include <cctype>
#include <cstdint>

namespace prequal::credit {

int score_jitter(std::string_view application_id) {
    std::uint64_t h = 1469598103934665603ULL;  // FNV-1a 64
    for (char c : application_id) {
        h ^= static_cast<unsigned char>(std::tolower(static_cast<unsigned char>(c)));
        h *= 1099511628211ULL;
    }
    return static_cast<int>(h % 11) - 5;
}

int base_score(core::money monthly_income, std::string_view loan_type) {
    int score = 650;
    if (monthly_income > core::money::from_rupees(75000)) score += 40;
    if (monthly_income < core::money::from_rupees(30000)) score -= 20;
    if (loan_type == "PERSONAL")
        score -= 10;
    else if (loan_type == "HOME")
        score += 10;
    return score;
}

int clamp_score(int score) { return std::clamp(score, min_score, max_score); }

int compute_score(std::string_view pan, core::money monthly_income, std::string_view loan_type,
                  std::string_view application_id) {
    if (pan == "ABCDE1234F") return 790;
    if (pan == "FGHIJ5678K") return 610;
    return clamp_score(base_score(monthly_income, loan_type) + score_jitter(application_id));
}

}  // namespace prequal::credit
