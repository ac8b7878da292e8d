// The event feed (GET /events, contract section 10): opaque cursors, the query string, and the retention
// job of the feed's table. docs/event-feed.md explains why the feed is gap-free.
#pragma once

#include <prequal/http/errors.hpp>
#include <prequal/outbox/retention.hpp>

#include <chrono>
#include <cstdint>
#include <string>
#include <string_view>
#include <variant>
#include <vector>

namespace prequal::decision {

inline constexpr int default_feed_limit = 100;
inline constexpr int max_feed_limit = 500;

/// The cursor after the client's event number `seq` (0: before the first event). Opaque to clients: its form
/// may change, so it says nothing but "after this point".
std::string encode_cursor(std::int64_t seq);
/// The event number a cursor stands for; nullopt for anything encode_cursor did not produce.
std::optional<std::int64_t> decode_cursor(std::string_view cursor);

struct feed_query {
    std::int64_t after = 0;  // return events numbered above this
    int limit = default_feed_limit;
};

/// `after` (a cursor; absent = from the oldest kept event) and `limit` (1–500, default 100) from the
/// request target's query string, percent-decoded; other parameters are ignored. The failing parameters
/// otherwise (422 VALIDATION_ERROR).
std::variant<feed_query, std::vector<http::error_detail>> parse_feed_query(std::string_view target);

/// Deletes feed events older than `age` in batches (the platform's retention runner: one advisory lock per
/// job, so replicas never run it twice at once; a batch per short transaction).
outbox::retention_job event_feed_retention(std::chrono::milliseconds age);

}  // namespace prequal::decision
