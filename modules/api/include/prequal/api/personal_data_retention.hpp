// Retention of the applicants' personal data (contract section 8, docs/pan-protection.md "Retention"): jobs
// for the platform's retention (outbox::retention runs them batched, one replica at a time under each job's
// advisory lock) and the gauge of how much is due.
#pragma once

#include <prequal/core/metrics.hpp>
#include <prequal/outbox/retention.hpp>
#include <prequal/pg/pool.hpp>

#include <boost/asio/awaitable.hpp>

#include <chrono>
#include <cstdint>
#include <functional>

namespace prequal::api {

/// Erases the personal data of applications decided more than `age` ago, exactly as erase_personal_data does
/// (the same SQL), with an audit row whose why is `retention`. Already erased and PENDING applications are
/// never touched; an application another erasure holds is skipped and found erased next time.
outbox::retention_job personal_data_retention(std::chrono::milliseconds age);

/// Deletes pan_claims rows older than the duplicate rule's 24 h: they no longer block anything, and those of
/// erased applications (which erasure had to keep while they blocked) must not stay.
outbox::retention_job pan_claims_retention();

/// Registers the gauge personal_data_erasure_due and returns what refreshes it: how many applications
/// personal_data_retention(age) would erase now, counted up to `count_cap` (a bounded index walk). Meant to
/// run with the applications backlog (aggregate_owner::observe_backlog).
std::function<boost::asio::awaitable<void>(pg::pool&)> personal_data_due_observer(
    core::metrics_registry& metrics, std::chrono::milliseconds age, std::int64_t count_cap = 100000);

}  // namespace prequal::api
