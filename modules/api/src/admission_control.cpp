// Admission control: a flag flipped by backlog readings and read by POST /applications.
#include <prequal/api/admission_control.hpp>

#include <string>

namespace prequal::api {

admission_control::admission_control(admission_limits limits, core::logger log,
                                     core::metrics_registry& metrics)
    : limits_{limits},
      log_{std::move(log)},
      rejected_{metrics.get_counter("admission_rejected_total",
                                    "POST /applications refused with 503 by admission control")},
      shedding_gauge_{metrics.get_gauge(
          "admission_shedding",
          "1 while admission control refuses new applications (backlog over --max-pending or "
          "--max-pending-age-seconds), else 0")} {}

bool admission_control::over_limits(const applications_backlog& b) const {
    return (limits_.max_pending > 0 && b.pending > limits_.max_pending) ||
           (limits_.max_pending_age.count() > 0 &&
            b.oldest_pending_seconds > limits_.max_pending_age.count());
}

void admission_control::observe(const applications_backlog& backlog) {
    const bool over = over_limits(backlog);
    if (over == shedding()) return;
    shedding_.store(over, std::memory_order_relaxed);
    shedding_gauge_.set(over ? 1 : 0);
    const std::string pending = std::to_string(backlog.pending);
    const std::string oldest = std::to_string(backlog.oldest_pending_seconds);
    const std::string max_pending = std::to_string(limits_.max_pending);
    const std::string max_age = std::to_string(limits_.max_pending_age.count());
    if (over) {
        rejected_at_start_ = rejected_.value();
        log_.warn(
            "admission control: shedding new applications (503) until the backlog is back under the limits",
            {{"pending", pending},
             {"oldest_pending_seconds", oldest},
             {"max_pending", max_pending},
             {"max_pending_age_seconds", max_age}});
    } else {
        const std::string refused = std::to_string(rejected_.value() - rejected_at_start_);
        log_.info("admission control: accepting new applications again",
                  {{"pending", pending},
                   {"oldest_pending_seconds", oldest},
                   {"max_pending", max_pending},
                   {"max_pending_age_seconds", max_age},
                   {"refused", refused}});
    }
}

bool admission_control::admit() {
    if (!shedding()) return true;
    rejected_.inc();
    return false;
}

std::int64_t admission_control::count_cap(const admission_limits& limits, std::int64_t fallback) {
    return limits.max_pending > 0 ? limits.max_pending + 1 : fallback;
}

}  // namespace prequal::api
