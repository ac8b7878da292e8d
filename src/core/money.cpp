// Exact parsing and formatting of INR amounts held as integer paise. Only integer arithmetic: a JSON
// number such as 1.15 must never pass through a double, where it would become 1.149999….
#include <prequal/core/money.hpp>

#include <cassert>
#include <cstdint>
#include <limits>
#include <string>
#include <string_view>

namespace prequal::core {
namespace {

constexpr std::int64_t max_paise = 1'000'000'000'000'000;  // 10^13 rupees
constexpr int max_paise_digits = 16;                       // digits of max_paise
// An exponent beyond this is out of range or inexact for any input that fits in memory, so it saturates
// here instead of overflowing while it is read.
constexpr std::int64_t exponent_cap = 1'000'000'000'000;

constexpr bool is_digit(char c) { return c >= '0' && c <= '9'; }

}  // namespace

money_error money::parse(std::string_view text, money& out) {
    const std::size_t n = text.size();
    std::size_t i = 0;

    const bool negative = i < n && text[i] == '-';
    if (negative) ++i;

    const std::size_t int_begin = i;
    while (i < n && is_digit(text[i])) ++i;
    const std::string_view int_part = text.substr(int_begin, i - int_begin);
    if (int_part.empty()) return money_error::syntax;
    // JSON forbids leading zeros; strings follow the same grammar so one amount has one spelling rule.
    if (int_part.size() > 1 && int_part.front() == '0') return money_error::syntax;

    std::string_view frac_part;
    if (i < n && text[i] == '.') {
        const std::size_t frac_begin = ++i;
        while (i < n && is_digit(text[i])) ++i;
        frac_part = text.substr(frac_begin, i - frac_begin);
        if (frac_part.empty()) return money_error::syntax;
    }

    std::int64_t exponent = 0;
    if (i < n && (text[i] == 'e' || text[i] == 'E')) {
        ++i;
        const bool exponent_negative = i < n && text[i] == '-';
        if (i < n && (text[i] == '+' || text[i] == '-')) ++i;
        const std::size_t exp_begin = i;
        while (i < n && is_digit(text[i])) {
            if (exponent < exponent_cap) exponent = exponent * 10 + (text[i] - '0');
            ++i;
        }
        if (i == exp_begin) return money_error::syntax;
        if (exponent_negative) exponent = -exponent;
    }
    if (i != n) return money_error::syntax;

    // value = digits × 10^(exponent − |frac|); in paise, two more powers of ten. Work on the significant
    // digits only (leading and trailing zeros stripped) so that huge or long inputs never reach an integer.
    std::string digits;
    digits.reserve(int_part.size() + frac_part.size());
    digits.append(int_part).append(frac_part);
    const std::size_t first = digits.find_first_not_of('0');
    if (first == std::string::npos) {
        out = money{};  // "-0", "0.00e5": zero has no sign
        return money_error::none;
    }
    const std::size_t last = digits.find_last_not_of('0');
    const auto significant = static_cast<std::int64_t>(last - first + 1);
    const auto trailing_zeros = static_cast<std::int64_t>(digits.size() - 1 - last);
    const std::int64_t scale = exponent - static_cast<std::int64_t>(frac_part.size()) + trailing_zeros + 2;

    // Range first: an amount that is both huge and has a third decimal is reported as out of range.
    if (significant + scale > max_paise_digits) return money_error::out_of_range;
    if (scale < 0) return money_error::too_many_decimals;  // last significant digit is below one paisa

    std::int64_t value = 0;  // at most 16 digits: cannot overflow
    for (std::size_t k = first; k <= last; ++k) value = value * 10 + (digits[k] - '0');
    for (std::int64_t k = 0; k < scale; ++k) value *= 10;
    if (value > max_paise) return money_error::out_of_range;

    out = money{negative ? -value : value};
    return money_error::none;
}

std::string money::to_string() const {
    // Magnitude in unsigned arithmetic so that even INT64_MIN formats without overflow.
    const std::uint64_t magnitude =
        paise_ < 0 ? 0 - static_cast<std::uint64_t>(paise_) : static_cast<std::uint64_t>(paise_);
    const auto cents = static_cast<unsigned>(magnitude % 100);
    std::string s = paise_ < 0 ? "-" : "";
    s += std::to_string(magnitude / 100);
    s += '.';
    s += static_cast<char>('0' + cents / 10);
    s += static_cast<char>('0' + cents % 10);
    return s;
}

money money::divided_rounded(std::int64_t n) const {
    assert(n != 0);
    assert(!(paise_ == std::numeric_limits<std::int64_t>::min() && n == -1));
    std::int64_t quotient = paise_ / n;  // truncates toward zero
    const std::int64_t remainder = paise_ % n;
    const auto abs_u = [](std::int64_t v) {
        return v < 0 ? 0 - static_cast<std::uint64_t>(v) : static_cast<std::uint64_t>(v);
    };
    const std::uint64_t r = abs_u(remainder);
    const std::uint64_t d = abs_u(n);
    if (r >= d - r) quotient += ((paise_ < 0) != (n < 0)) ? -1 : 1;  // |r| ≥ |n|/2: away from zero
    return money{quotient};
}

}  // namespace prequal::core
