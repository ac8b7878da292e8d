// When a failed webhook delivery is tried again (contract section 7): 1 s doubling per attempt, capped at
// 10 min, plus up to a tenth of random jitter (never shorter than the nominal delay, so the gaps between
// attempts only grow). Pure: the caller owns the random engine. The max age is applied in SQL, from the
// database's clock (queries.hpp mark_failed).
#pragma once

#include <prequal/core/backoff.hpp>

#include <algorithm>
#include <chrono>
#include <cstdint>

namespace prequal::notify {

inline constexpr core::backoff webhook_backoff{std::chrono::seconds{1}, std::chrono::minutes{10},
                                               core::jitter::up_to_tenth};

/// The wait before the next attempt after `failed_attempts` (≥ 1) failures: 1 s after the first.
template <class Rng>
std::chrono::milliseconds retry_delay(std::int64_t failed_attempts, Rng& rng) {
    const int step = static_cast<int>(std::clamp<std::int64_t>(failed_attempts - 1, 0, 64));
    return webhook_backoff.delay<std::chrono::milliseconds>(step, rng);
}

}  // namespace prequal::notify
