// The platform's one exponential backoff: a delay that doubles per step up to a cap, plus random jitter so
// that clients which failed together (e.g. every partition when the database went down) retry apart.
// Pure: the caller owns the random engine, so tests can seed it.
#pragma once

#include <algorithm>
#include <chrono>
#include <random>
#include <type_traits>

namespace prequal::core {

/// How the random part of a backoff is drawn.
enum class jitter {
    none,         // exactly the ceiling
    up_to_tenth,  // ceiling + U[0, ceiling/10]: never shorter than the configured delay (bus redelivery)
    equal,        // ceiling - ceiling/2 + U[0, ceiling/2]: half to all of it (circuit-breaker cool-down)
};

struct backoff {
    std::chrono::milliseconds initial{100};
    std::chrono::milliseconds cap{5000};  // wins over `initial` when smaller
    jitter spread = jitter::up_to_tenth;

    /// initial × 2^step (step 0 → initial), never above `cap`, without jitter. Defined for every step: the
    /// doubling stops at the cap, so huge steps neither overflow nor loop long; a negative step counts as 0
    /// and a non-positive `initial` as no delay.
    constexpr std::chrono::milliseconds ceiling(int step) const noexcept {
        if (initial.count() <= 0) return std::chrono::milliseconds{0};
        if (initial >= cap) return cap;
        auto d = initial;
        for (int i = 0; i < step && d < cap; ++i) d = d > cap / 2 ? cap : d * 2;
        return std::min(d, cap);
    }

    /// The jittered delay of `step`, in the caller's unit (the buses wait in microseconds, so a 10 % jitter
    /// of a 1 ms delay is not lost to rounding).
    template <class Duration, class Rng>
    Duration delay(int step, Rng& rng) const {
        return with_jitter(Duration{ceiling(step)}, spread, rng);
    }

    /// `base` with `kind` of jitter applied (see jitter).
    template <class Rep, class Period, class Rng>
    static std::chrono::duration<Rep, Period> with_jitter(std::chrono::duration<Rep, Period> base,
                                                          jitter kind, Rng& rng) {
        static_assert(std::is_integral_v<Rep>, "jitter draws whole ticks");
        using duration = std::chrono::duration<Rep, Period>;
        const Rep b = std::max<Rep>(base.count(), 0);
        switch (kind) {
            case jitter::none:
                return duration{b};
            case jitter::up_to_tenth:
                return duration{b + std::uniform_int_distribution<Rep>(0, b / 10)(rng)};
            case jitter::equal:
                return duration{b - b / 2 + std::uniform_int_distribution<Rep>(0, b / 2)(rng)};
        }
        return duration{b};
    }
};

}  // namespace prequal::core
