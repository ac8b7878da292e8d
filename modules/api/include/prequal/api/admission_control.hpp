// Admission control (contract section 6): while the pipeline is behind — too many applications PENDING, or
// the oldest one too old — POST /applications is refused with 503 instead of accepting work that cannot be
// decided soon. The decision reads the backlog figures the applications owner already refreshes every
// second (applications_owner's on_refresh), never the database: a refusal costs nothing.
#pragma once

#include <prequal/api/applications_owner.hpp>
#include <prequal/core/logger.hpp>
#include <prequal/core/metrics.hpp>

#include <atomic>
#include <chrono>
#include <cstdint>

namespace prequal::api {

/// The limits; 0 disables each (both off here: the service passes `serve --max-pending` and
/// `--max-pending-age-seconds`, whose defaults are in service_config).
struct admission_limits {
    std::int64_t max_pending = 0;             // shed while more applications than this are PENDING
    std::chrono::seconds max_pending_age{0};  // shed while the oldest PENDING one is older than this
};

class admission_control {
public:
    /// What a refused client is told to wait: a few backlog refreshes, long enough for a drain to show.
    static constexpr std::chrono::seconds retry_after{5};

    /// Registers admission_rejected_total and admission_shedding.
    admission_control(admission_limits limits, core::logger log, core::metrics_registry& metrics);

    /// Each fresh backlog reading. Starts or stops shedding, logging once per transition with the figures.
    void observe(const applications_backlog& backlog);

    /// False while shedding; then counts the refusal. Called once per POST /applications.
    bool admit();

    bool shedding() const { return shedding_.load(std::memory_order_relaxed); }

    /// The count cap the backlog reading needs to tell "more than max_pending" (max_pending + 1), so the
    /// count costs at most that however large the backlog; `fallback` when max_pending is off.
    static std::int64_t count_cap(const admission_limits& limits, std::int64_t fallback);

private:
    bool over_limits(const applications_backlog& b) const;

    admission_limits limits_;
    core::logger log_;
    core::counter& rejected_;
    core::gauge& shedding_gauge_;
    std::atomic<bool> shedding_{false};
    std::uint64_t rejected_at_start_ = 0;  // rejected_ when the current shedding began
};

}  // namespace prequal::api
