// RFC 3339 date-times (the consent's given_at): read strictly by the grammar of section 5.6, so what the
// service accepts is what an OpenAPI `format: date-time` validator accepts, and turned into an instant.
#include <prequal/api/application_request.hpp>

#include <cstdint>

namespace prequal::api {

namespace {

bool is_digit(char c) { return c >= '0' && c <= '9'; }

// `n` digits at `pos` as a number; false when any is not a digit.
bool digits(std::string_view s, std::size_t pos, std::size_t n, int& out) {
    if (pos + n > s.size()) return false;
    out = 0;
    for (std::size_t i = pos; i < pos + n; ++i) {
        if (!is_digit(s[i])) return false;
        out = out * 10 + (s[i] - '0');
    }
    return true;
}

bool is_leap(int y) { return (y % 4 == 0 && y % 100 != 0) || y % 400 == 0; }

int days_in_month(int y, int m) {
    static constexpr int days[] = {31, 28, 31, 30, 31, 30, 31, 31, 30, 31, 30, 31};
    return m == 2 && is_leap(y) ? 29 : days[m - 1];
}

// Days from 1970-01-01 to y-m-d in the proleptic Gregorian calendar (Howard Hinnant's days_from_civil).
std::int64_t days_from_civil(int y, int m, int d) {
    y -= m <= 2 ? 1 : 0;
    const std::int64_t era = (y >= 0 ? y : y - 399) / 400;
    const auto yoe = static_cast<std::int64_t>(y - era * 400);
    const std::int64_t doy = (153 * (m + (m > 2 ? -3 : 9)) + 2) / 5 + d - 1;
    const std::int64_t doe = yoe * 365 + yoe / 4 - yoe / 100 + doy;
    return era * 146097 + doe - 719468;
}

}  // namespace

std::optional<std::int64_t> parse_rfc3339(std::string_view s) {
    // YYYY-MM-DDTHH:MM:SS[.f+](Z|+HH:MM|-HH:MM)
    int year = 0, month = 0, day = 0, hour = 0, minute = 0, second = 0;
    if (s.size() < 20 || !digits(s, 0, 4, year) || s[4] != '-' || !digits(s, 5, 2, month) || s[7] != '-' ||
        !digits(s, 8, 2, day) || (s[10] != 'T' && s[10] != 't') || !digits(s, 11, 2, hour) || s[13] != ':' ||
        !digits(s, 14, 2, minute) || s[16] != ':' || !digits(s, 17, 2, second))
        return std::nullopt;
    if (year < 1 || month < 1 || month > 12 || day < 1 || day > days_in_month(year, month) || hour > 23 ||
        minute > 59 || second > 60)
        return std::nullopt;
    std::size_t pos = 19;
    std::int64_t fraction = 0;  // in microseconds, what timestamptz keeps: further digits are cut
    if (s[pos] == '.') {
        std::size_t end = pos + 1;
        while (end < s.size() && is_digit(s[end])) ++end;
        if (end == pos + 1) return std::nullopt;
        for (std::size_t i = pos + 1; i < pos + 7; ++i) fraction = fraction * 10 + (i < end ? s[i] - '0' : 0);
        pos = end;
    }
    if (pos >= s.size()) return std::nullopt;
    int offset_minutes = 0;
    if (s[pos] == 'Z' || s[pos] == 'z') {
        if (pos + 1 != s.size()) return std::nullopt;
    } else if (s[pos] == '+' || s[pos] == '-') {
        int oh = 0, om = 0;
        if (pos + 6 != s.size() || !digits(s, pos + 1, 2, oh) || s[pos + 3] != ':' ||
            !digits(s, pos + 4, 2, om) || oh > 23 || om > 59)
            return std::nullopt;
        offset_minutes = (s[pos] == '+' ? 1 : -1) * (oh * 60 + om);
    } else {
        return std::nullopt;
    }
    // A leap second exists only as the last second of a UTC day (23:59:60Z).
    const int utc_minute_of_day = ((hour * 60 + minute - offset_minutes) % 1440 + 1440) % 1440;
    if (second == 60 && utc_minute_of_day != 1439) return std::nullopt;

    const std::int64_t local_seconds = days_from_civil(year, month, day) * 86400 + std::int64_t{hour} * 3600 +
                                       std::int64_t{minute} * 60 + second;
    const std::int64_t micros = (local_seconds - std::int64_t{offset_minutes} * 60) * 1'000'000 + fraction;
    // An offset can move the instant out of the years 0001-9999, which PostgreSQL would store as 1 BC or show
    // with five digits.
    constexpr std::int64_t first = -62'135'596'800'000'000;       // 0001-01-01T00:00:00Z
    constexpr std::int64_t after_last = 253'402'300'800'000'000;  // 10000-01-01T00:00:00Z
    if (micros < first || micros >= after_last) return std::nullopt;
    return micros;
}

}  // namespace prequal::api
