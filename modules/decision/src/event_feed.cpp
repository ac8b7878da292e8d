// Cursors, the feed's query string and its retention job.
#include <prequal/decision/event_feed.hpp>
#include <prequal/http/message.hpp>

#include <charconv>
#include <limits>
#include <optional>

namespace prequal::decision {

namespace {

constexpr std::string_view cursor_prefix = "c1_";
// Mixed into the number so that a cursor does not read as a count of the client's events.
constexpr std::uint64_t cursor_mask = 0x5a3c96e1d2b4f087ULL;
constexpr int cursor_digits = 16;

int hex_value(char c) {
    if (c >= '0' && c <= '9') return c - '0';
    if (c >= 'a' && c <= 'f') return c - 'a' + 10;
    if (c >= 'A' && c <= 'F') return c - 'A' + 10;
    return -1;
}

// Deletes at most $2 events older than $1 ms (the age is re-checked on the locked rows).
constexpr std::string_view delete_old_events =
    "DELETE FROM decision_events WHERE ctid IN (SELECT ctid FROM decision_events"
    " WHERE created_at < now() - $1::bigint * interval '1 millisecond' LIMIT $2::int)"
    " AND created_at < now() - $1::bigint * interval '1 millisecond'";

}  // namespace

std::string encode_cursor(std::int64_t seq) {
    const std::uint64_t v = static_cast<std::uint64_t>(seq) ^ cursor_mask;
    std::string out{cursor_prefix};
    for (int shift = (cursor_digits - 1) * 4; shift >= 0; shift -= 4)
        out += "0123456789abcdef"[(v >> static_cast<unsigned>(shift)) & 0xFU];
    return out;
}

std::optional<std::int64_t> decode_cursor(std::string_view cursor) {
    if (cursor.size() != cursor_prefix.size() + cursor_digits || cursor.substr(0, 3) != cursor_prefix)
        return std::nullopt;
    std::uint64_t v = 0;
    for (char c : cursor.substr(cursor_prefix.size())) {
        // Lower case only: one spelling per cursor.
        if (c >= 'A' && c <= 'F') return std::nullopt;
        const int h = hex_value(c);
        if (h < 0) return std::nullopt;
        v = (v << 4U) | static_cast<std::uint64_t>(h);
    }
    v ^= cursor_mask;
    if (v > static_cast<std::uint64_t>(std::numeric_limits<std::int64_t>::max())) return std::nullopt;
    return static_cast<std::int64_t>(v);
}

std::variant<feed_query, std::vector<http::error_detail>> parse_feed_query(std::string_view target) {
    feed_query q;
    std::vector<http::error_detail> details;
    bool seen_after = false;
    bool seen_limit = false;
    for (const auto& [name, value] : http::query_parameters(target)) {
        if (!name) continue;  // not one of ours (ours have plain names)
        if (*name == "after") {
            const auto seq = value ? decode_cursor(*value) : std::nullopt;
            if (seen_after)
                details.push_back({"after", "must be given at most once"});
            else if (!seq)
                details.push_back({"after", "must be a cursor returned as `next` by this endpoint"});
            else
                q.after = *seq;
            seen_after = true;
        } else if (*name == "limit") {
            int n = 0;
            const std::string text = value.value_or("");
            const auto [end, ec] = std::from_chars(text.data(), text.data() + text.size(), n);
            if (seen_limit)
                details.push_back({"limit", "must be given at most once"});
            else if (text.empty() || ec != std::errc{} || end != text.data() + text.size() || n < 1 ||
                     n > max_feed_limit)
                details.push_back(
                    {"limit", "must be an integer from 1 to " + std::to_string(max_feed_limit)});
            else
                q.limit = n;
            seen_limit = true;
        }
    }
    if (!details.empty()) return details;
    return q;
}

outbox::retention_job event_feed_retention(std::chrono::milliseconds age) {
    // Lock id: 0x7072657175616c00 ("prequal\0") + 9 (migration 009's table).
    return {"decision_events", "8102650217567972361", std::string{delete_old_events}, age};
}

}  // namespace prequal::decision
