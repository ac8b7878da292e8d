// Credit module handler: decode → decrypt → score → one-statement transaction → wake the publisher.
#include "queries.hpp"

#include <prequal/bus/envelope.hpp>
#include <prequal/core/clock.hpp>
#include <prequal/core/ids.hpp>
#include <prequal/credit/credit_module.hpp>
#include <prequal/credit/score.hpp>
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
    const bus::envelope in = bus::decode_envelope(msg.payload, events::application_submitted);
    const std::string key_id = bus::require_string(in.body, "pan_key_id");
    const std::string sealed = bus::require_string(in.body, "pan_number_encrypted");
    const core::money income =
        bus::require_money(in.body, "monthly_income_inr", core::money{}, bus::max_amount);
    const core::money loan =
        bus::require_money(in.body, "loan_amount_inr", core::money::from_paise(1), bus::max_amount);
    const std::string loan_type = bus::optional_string(in.body, "loan_type");

    const auto pan = cipher_.decrypt(key_id, sealed, in.application_id);
    if (!pan) throw bus::poison_message("pan_number_encrypted failed authentication or its key is unknown");
    const int score = compute_score(*pan, income, loan_type, in.application_id);

    const std::string report_id = core::new_uuid();
    const std::string occurred_at = core::now_utc_millis();
    const bus::outgoing_envelope envelope{report_id, events::credit_report_generated, occurred_at,
                                          in.application_id, in.request_id};
    json::object fields;
    fields["cibil_score"] = score;
    fields["monthly_income_inr"] = income.to_string();
    fields["loan_amount_inr"] = loan.to_string();
    fields["loan_type"] = loan_type.empty() ? json::value(nullptr) : json::value(loan_type);
    const std::string payload = bus::encode_envelope(envelope, fields);

    auto r = co_await pool_.execute(
        queries::record_report, pg::args(options_.group, in.message_id, in.application_id, score, report_id,
                                         options_.output_topic, payload, in.request_id, key_id));
    const auto outcome = r.one_as<queries::record_report_row>();
    if (outcome.recorded == 0) {
        duplicates_.inc();
        log_.debug("duplicate message skipped", {{"message_id", in.message_id}});
        co_return;
    }
    if (outcome.enqueued > 0) {
        reports_.inc();
        if (on_commit_) on_commit_();
    }
}

}  // namespace prequal::credit
