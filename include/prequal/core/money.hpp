// Exact INR amounts as an integer count of paise. No binary floating point anywhere on the money path.
#pragma once

#include <compare>
#include <cstdint>
#include <string>
#include <string_view>

namespace prequal::core {

enum class money_error {
    none,
    syntax,             // not a decimal number
    too_many_decimals,  // not exactly representable with 2 decimals (e.g. 1.005)
    out_of_range,       // magnitude beyond what the service can represent (> 10^13 rupees)
};

class money {
public:
    constexpr money() = default;
    static constexpr money from_paise(std::int64_t paise) { return money{paise}; }
    static constexpr money from_rupees(std::int64_t rupees) { return money{rupees * 100}; }

    constexpr std::int64_t paise() const { return paise_; }

    /// Parses JSON-number syntax or a plain decimal string ("120000", "120000.5", "-3", "1.50e3").
    /// Trailing zeros beyond 2 decimals are fine ("1.500"); a non-zero third decimal is too_many_decimals.
    /// Leading '+', spaces, "NaN", hex, empty text and lone dots are syntax errors, and so are leading
    /// zeros ("01", "-00.5") for strings as well as numbers, as JSON requires. "-0" is zero. When an amount
    /// is both beyond 10^13 rupees and has a third decimal, out_of_range wins. Never overflows, whatever the
    /// exponent or length.
    static money_error parse(std::string_view text, money& out);

    /// "1234.50": always exactly 2 decimals, '-' prefix when negative.
    std::string to_string() const;

    /// this × n (exact; the caller keeps values small enough: 10^10 paise × 48 fits easily).
    constexpr money times(std::int64_t n) const { return money{paise_ * n}; }

    /// this / n rounded half away from zero to whole paise (used for display, e.g. loan/48).
    money divided_rounded(std::int64_t n) const;

    constexpr auto operator<=>(const money&) const = default;

private:
    constexpr explicit money(std::int64_t paise) : paise_{paise} {}
    std::int64_t paise_ = 0;
};

}  // namespace prequal::core
