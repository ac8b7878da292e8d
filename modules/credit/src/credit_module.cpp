// Credit module handler: decode → read and unwrap the data key → decrypt → score → record the report (one
// statement: inbox, report, event, audit) → wake the publisher.
#include "queries.hpp"

#include <prequal/bus/envelope.hpp>
#include <prequal/core/clock.hpp>
#include <prequal/core/ids.hpp>
#include <prequal/credit/credit_module.hpp>
#include <prequal/credit/score.hpp>
#include <prequal/crypto/data_key.hpp>
#include <prequal/events/topics.hpp>
#include <prequal/outbox/outage_guard.hpp>

#include <boost/json/object.hpp>

namespace prequal::credit {

namespace json = boost::json;

credit_module::credit_module(pg::pool& pool, const crypto::pan_cipher& cipher, core::logger log,
                             core::metrics_registry& metrics, std::function<void()> on_commit,
                             credit_options options)
    : pool_{pool},
      cipher_{cipher},
      log_{std::move(log)},
      on_commit_{std::move(on_commit)},
      options_{std::move(options)},
      reports_{metrics.get_counter("credit_reports_generated_total", "Credit reports written")},
      duplicates_{metrics.get_counter("consumer_duplicates_skipped_total", "Redelivered messages skipped",
                                      {{"group", options_.group}})} {}

void credit_module::subscribe(bus::message_bus& bus) {
    bus.subscribe(options_.input_topic, options_.group,
                  outbox::pause_on_outage([this](const bus::message& m) { return handle(m); }));
}

boost::asio::awaitable<void> credit_module::handle(const bus::message& msg) {
    // This work is a span of the message's trace: its log lines and its event carry it.
    const core::trace_context trace = bus::trace_of(msg);
    const core::logger log = log_.with_trace(trace);
    const bus::envelope in = bus::decode_envelope(msg.payload, events::application_submitted);
    const std::string key_id = bus::require_string(in.body, "pan_key_id");
    const std::string sealed = bus::require_string(in.body, "pan_number_encrypted");
    const core::money income =
        bus::require_money(in.body, "monthly_income_inr", core::money{}, bus::max_amount);
    const core::money loan =
        bus::require_money(in.body, "loan_amount_inr", core::money::from_paise(1), bus::max_amount);
    const std::string loan_type = bus::optional_string(in.body, "loan_type");

    // The report and its event, once the score is known.
    const auto record_args = [&](int score, const std::string& report_id) {
        const std::string occurred_at = core::now_utc_millis();
        const bus::outgoing_envelope envelope{report_id, events::credit_report_generated, occurred_at,
                                              in.application_id, in.request_id};
        json::object fields;
        fields["cibil_score"] = score;
        fields["monthly_income_inr"] = income.to_string();
        fields["loan_amount_inr"] = loan.to_string();
        fields["loan_type"] = loan_type.empty() ? json::value(nullptr) : json::value(loan_type);
        return pg::args(options_.group, in.message_id, in.application_id, score, report_id,
                        options_.output_topic, bus::encode_envelope(envelope, fields), in.request_id, key_id,
                        trace.traceparent(), trace.tracestate);
    };

    pg::result recorded;
    if (key_id != crypto::data_key_id) {
        // Legacy: sealed directly under a master key before migration 010 (docs/pan-protection.md).
        const auto pan = cipher_.decrypt(key_id, sealed, in.application_id);
        if (!pan)
            throw bus::poison_message("pan_number_encrypted failed authentication or its key is unknown");
        const int score = compute_score(*pan, income, loan_type, in.application_id);
        recorded = co_await pool_.execute(queries::record_report, record_args(score, core::new_uuid()));
    } else {
        // Sealed under the application's data key, which only the database holds (wrapped). The key is read
        // in a statement of its own, not in a transaction with the report: nothing can change between the
        // two that matters. Erasure is refused while the application is PENDING, and a redelivery that races
        // an erasure is stopped by the inbox in record_report like any duplicate. Without BEGIN/COMMIT, and
        // without holding a connection across the decryption, the data key costs one extra statement per
        // application (bench/RESULTS.md, envelope encryption).
        const auto key_row =
            (co_await pool_.execute(queries::data_key,
                                    pg::args(in.application_id, options_.group, in.message_id)))
                .one_as<queries::data_key_row>();
        // A redelivery whose data key has since been erased: nothing to decrypt, nothing to do. (Any other
        // redelivery goes the usual way: decrypted and audited, then skipped by the inbox.)
        if (key_row.processed && !key_row.wrapped_key) {
            duplicates_.inc();
            log.debug("duplicate message skipped", {{"message_id", in.message_id}});
            co_return;
        }
        std::optional<std::string> pan;
        if (key_row.master_key_id && key_row.wrapped_key) {
            const auto key = crypto::data_key::unwrap(
                cipher_, crypto::wrapped_key{*key_row.master_key_id, *key_row.wrapped_key},
                crypto::data_key_aad(in.application_id));
            if (key) pan = key->decrypt(sealed, in.application_id);
        }
        if (!pan)
            throw bus::poison_message(
                "pan_number_encrypted: no data key for the application, its master key is unknown, or "
                "authentication failed");
        const int score = compute_score(*pan, income, loan_type, in.application_id);
        recorded = co_await pool_.execute(queries::record_report, record_args(score, core::new_uuid()));
    }

    const auto outcome = recorded.one_as<queries::record_report_row>();
    if (outcome.recorded == 0) {
        duplicates_.inc();
        log.debug("duplicate message skipped", {{"message_id", in.message_id}});
        co_return;
    }
    if (outcome.enqueued > 0) {
        reports_.inc();
        log.debug("credit report recorded",
                  {{"application_id", in.application_id}, {"message_id", in.message_id}});
        if (on_commit_) on_commit_();
    }
}

}  // namespace prequal::credit
