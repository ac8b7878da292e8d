// Pure rules shared by the bus implementations: which partition a key maps to, how long to back off
// before a redelivery, what a dead letter looks like, and how a failure reason is shortened for it.
#pragma once

#include <prequal/bus/message_bus.hpp>
#include <prequal/core/backoff.hpp>

#include <boost/asio/awaitable.hpp>

#include <chrono>
#include <cstddef>
#include <cstdint>
#include <string>
#include <string_view>

namespace prequal::bus::detail {

/// 64-bit FNV-1a of `bytes`. Used instead of std::hash so the key → partition map is the same in every
/// build and process.
constexpr std::uint64_t fnv1a_64(std::string_view bytes) {
    std::uint64_t h = 14695981039346656037ULL;
    for (char c : bytes) {
        h ^= static_cast<unsigned char>(c);
        h *= 1099511628211ULL;
    }
    return h;
}

/// The partition (0 … partitions-1) of `key`; `partitions` must be > 0.
constexpr std::size_t partition_of(std::string_view key, std::size_t partitions) {
    return static_cast<std::size_t>(fnv1a_64(key) % partitions);
}

/// The redelivery backoff of `policy`: doubling from initial_backoff up to max_backoff, plus up to 10 % so
/// partitions that failed together (e.g. the database was down) retry apart.
constexpr core::backoff retry_backoff(const retry_policy& policy) {
    return {policy.initial_backoff, policy.max_backoff, core::jitter::up_to_tenth};
}

/// The backoff before the delivery that follows failed delivery number `failed_attempt` (1-based), without
/// jitter: initial_backoff × 2^(failed_attempt-1), capped at max_backoff.
constexpr std::chrono::milliseconds backoff_after(const retry_policy& policy, int failed_attempt) {
    return retry_backoff(policy).ceiling(failed_attempt - 1);
}

/// Total attempts allowed by `policy` (at least one).
constexpr int max_attempts_of(const retry_policy& policy) {
    return policy.max_attempts < 1 ? 1 : policy.max_attempts;
}

inline constexpr std::size_t max_dlq_reason_bytes = 500;

/// `reason` cut to at most `max_bytes` bytes without splitting a UTF-8 sequence.
inline std::string truncate_reason(std::string_view reason, std::size_t max_bytes = max_dlq_reason_bytes) {
    if (reason.size() <= max_bytes) return std::string(reason);
    std::size_t end = max_bytes;
    // Back off over continuation bytes (10xxxxxx) so the header stays valid UTF-8.
    while (end > 0 && (static_cast<unsigned char>(reason[end]) & 0xC0) == 0x80) --end;
    return std::string(reason.substr(0, end));
}

/// The dead letter of `m`: a copy bound for `<topic>_dlq`, first delivery, with the headers that say why
/// (dlq_reason, cut to max_dlq_reason_bytes), which group gave up (dlq_group) and after how many attempts
/// (dlq_attempts). A bus may add its own (Kafka: dlq_partition, dlq_offset).
message dead_letter_of(const message& m, std::string_view group, std::string_view reason, int attempts);

/// How one delivery ended, as both buses classify it.
enum class delivery_outcome {
    handled,  // acknowledge
    failed,   // retry with backoff, dead-letter after max attempts
    poison,   // dead-letter now (poison_message)
    outage,   // dependency_unavailable: retry after a capped backoff without spending an attempt
};

struct delivery_result {
    delivery_outcome outcome = delivery_outcome::handled;
    std::string reason;  // the exception text when not handled
};

/// Runs `h` on `m` and classifies the result; never throws.
boost::asio::awaitable<delivery_result> deliver_once(const handler& h, const message& m);

}  // namespace prequal::bus::detail
