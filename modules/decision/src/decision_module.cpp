// Decision handler: record the message, then a version-checked UPDATE (with its audit row, history row,
// decision event, feed row and NOTIFY) retried on conflict, then commit and wake the publisher.
#include "decided_event.hpp"
#include "queries.hpp"

#include <prequal/bus/envelope.hpp>
#include <prequal/core/ids.hpp>
#include <prequal/decision/decide.hpp>
#include <prequal/decision/decision_module.hpp>
#include <prequal/events/notifications.hpp>
#include <prequal/events/topics.hpp>
#include <prequal/outbox/inbox.hpp>
#include <prequal/outbox/outage_guard.hpp>

namespace prequal::decision {

namespace {

/// The reason codes as the UPDATE takes them: comma-separated (no code contains a comma).
std::string joined(const std::vector<std::string_view>& codes) {
    std::string out;
    for (auto c : codes) {
        if (!out.empty()) out += ',';
        out += c;
    }
    return out;
}

}  // namespace

decision_module::decision_module(pg::pool& pool, core::logger log, core::metrics_registry& metrics,
                                 std::function<void()> on_commit, decision_options options)
    : pool_{pool},
      log_{std::move(log)},
      on_commit_{std::move(on_commit)},
      options_{std::move(options)},
      metrics_{metrics},
      decided_{metrics.get_counter("decisions_recorded_total", "Final decisions recorded")},
      conflicts_{metrics.get_counter("decision_version_conflicts_total",
                                     "Version-checked updates that found a newer version and retried")},
      duplicates_{metrics.get_counter("consumer_duplicates_skipped_total", "Redelivered messages skipped",
                                      {{"group", options_.group}})} {}

void decision_module::subscribe(bus::message_bus& bus) {
    bus.subscribe(options_.input_topic, options_.group,
                  outbox::pause_on_outage([this](const bus::message& m) { return handle(m); }));
}

boost::asio::awaitable<void> decision_module::handle(const bus::message& msg) {
    // This work is a span of the message's trace: its log lines and its event carry it.
    const core::trace_context trace = bus::trace_of(msg);
    const core::logger log = log_.with_trace(trace);
    const bus::envelope in = bus::decode_envelope(msg.payload, events::credit_report_generated);
    const int score = static_cast<int>(bus::require_int(in.body, "cibil_score", 300, 900));
    const core::money income =
        bus::require_money(in.body, "monthly_income_inr", core::money{}, bus::max_amount);
    const core::money loan =
        bus::require_money(in.body, "loan_amount_inr", core::money::from_paise(1), bus::max_amount);
    const decision d = decide(score, income, loan);
    const std::string status{to_string(d.status)};
    const std::string codes = joined(d.reason_codes);
    const std::string event_id = core::new_uuid();

    auto conn = co_await pool_.acquire();
    pg::steps opening{{pg::begin, {}},
                      {outbox::record_processed, pg::args(options_.group, in.message_id)},
                      {queries::read_version, pg::args(in.application_id)}};
    auto first = co_await conn->pipeline(std::move(opening));
    if (first[1].empty()) {
        co_await conn->execute(pg::rollback);
        duplicates_.inc();
        co_return;
    }
    auto current = first[2].maybe_one_as<queries::version_row>();
    for (int attempt = 0;; ++attempt) {
        if (!current) {
            co_await conn->execute(pg::rollback);
            throw bus::poison_message("credit report for an unknown application");
        }
        if (current->status != "PENDING") {
            // Already decided (e.g. by an earlier copy of this report under another message id): the
            // decision stays as it is; record this message as processed.
            co_await conn->execute(pg::commit);
            co_return;
        }
        if (before_update) co_await before_update(in.application_id);
        const std::string event =
            detail::decided_event({event_id, in.application_id, in.request_id, current->client, status, score,
                                   d.reason_codes, ruleset_version, d.max_approved, "rules"});
        auto updated = co_await conn->execute(
            queries::apply_decision,
            pg::args(in.application_id, current->version, status, score, d.reason, d.max_approved,
                     in.request_id, codes, ruleset_version, event_id, options_.output_topic, event,
                     events::application_decided_channel, trace.traceparent(), trace.tracestate));
        if (!updated.empty()) break;
        conflicts_.inc();
        if (attempt >= options_.max_conflict_retries) {
            co_await conn->execute(pg::rollback);
            throw bus::poison_message("version conflict persisted after " +
                                      std::to_string(options_.max_conflict_retries) + " retries");
        }
        log.warn("version conflict; re-reading", {{"application_id", in.application_id}});
        auto reread = co_await conn->execute(queries::read_version, pg::args(in.application_id));
        current = reread.maybe_one_as<queries::version_row>();
    }
    if (before_commit) co_await before_commit(in.application_id);
    co_await conn->execute(pg::commit);
    decided_.inc();
    log.debug("application decided", {{"application_id", in.application_id}, {"status", status}});
    // The same decisions by outcome, for dashboards (decisions_recorded_total keeps its single series).
    metrics_
        .get_counter("decisions_total", "Final decisions recorded, by status and by whom",
                     {{"status", std::string(status)}, {"decided_by", "rules"}})
        .inc();
    if (on_commit_) on_commit_();
}

}  // namespace prequal::decision
