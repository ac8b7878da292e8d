// The api module owns the applications aggregate: it tells the platform's outbox which applications are
// unfinished or stuck (outbox::aggregate_owner), keeps the applications backlog gauges, and supplies its own
// retention job (idempotency keys).
#pragma once

#include <prequal/core/metrics.hpp>
#include <prequal/outbox/aggregate_owner.hpp>
#include <prequal/outbox/retention.hpp>

#include <chrono>
#include <cstdint>
#include <functional>

namespace prequal::api {

/// One reading of the applications backlog (what the gauges show).
struct applications_backlog {
    std::int64_t pending = 0;                 // PENDING applications, counted up to the cap
    std::int64_t oldest_pending_seconds = 0;  // age of the oldest PENDING one (whole seconds), 0 when none
};

/// PENDING applications are unfinished. Registers applications_pending and
/// applications_oldest_pending_seconds; the count stops at `count_cap` so a refresh stays bounded.
/// `on_refresh` (may be empty) gets every reading, after the gauges are set (admission control uses it).
outbox::aggregate_owner applications_owner(core::metrics_registry& metrics, std::int64_t count_cap = 1000000,
                                           std::function<void(const applications_backlog&)> on_refresh = {});

/// How long an Idempotency-Key is remembered (the contract says at least 24 hours).
inline constexpr std::chrono::milliseconds idempotency_window{std::chrono::hours{24}};

/// Deletes idempotency keys older than `age`.
outbox::retention_job idempotency_key_retention(std::chrono::milliseconds age);

}  // namespace prequal::api
