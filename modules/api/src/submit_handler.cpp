// POST /applications: admission → content type → JSON → validation → encryption → one transaction → 202.
#include "applications_repository.hpp"
#include "responses.hpp"
#include "submission_validation.hpp"

#include <prequal/api/api_module.hpp>
#include <prequal/api/application_request.hpp>
#include <prequal/bus/envelope.hpp>
#include <prequal/core/clock.hpp>
#include <prequal/core/ids.hpp>
#include <prequal/crypto/data_key.hpp>
#include <prequal/crypto/keys.hpp>
#include <prequal/events/topics.hpp>
#include <prequal/pg/error.hpp>

#include <boost/json/object.hpp>

namespace prequal::api {

namespace json = boost::json;

namespace {

std::string submitted_event(const std::string& message_id, const std::string& application_id,
                            const std::string& request_id, const crypto::sealed& pan,
                            const application_request& a) {
    const std::string occurred_at = core::now_utc_millis();
    const bus::outgoing_envelope envelope{message_id, events::application_submitted, occurred_at,
                                          application_id, request_id};
    json::object fields;
    fields["pan_number_encrypted"] = pan.ciphertext_b64;
    fields["pan_key_id"] = pan.key_id;
    fields["monthly_income_inr"] = a.monthly_income.to_string();
    fields["loan_amount_inr"] = a.loan_amount.to_string();
    fields["loan_type"] = a.loan_type.empty() ? json::value(nullptr) : json::value(a.loan_type);
    return bus::encode_envelope(envelope, fields);
}

http::response duplicate(const http::request& req) {
    return http::error_for(
        req, 409, "DUPLICATE_APPLICATION",
        "an application for this PAN is already in progress or was approved in the last 24 hours");
}

}  // namespace

boost::asio::awaitable<http::response> api_module::submit(http::request& req) {
    // Shed before any work: the backlog reading is already in memory.
    if (deps_.admission && !deps_.admission->admit()) co_return detail::shedding_load(req);
    auto checked =
        detail::validate_submission(req, deps_.draining && deps_.draining(), options_.require_consent);
    if (auto* rejected = std::get_if<http::response>(&checked)) co_return std::move(*rejected);
    const auto& app = std::get<application_request>(checked);
    const std::string* idem_key = req.header("Idempotency-Key");

    // Sealed before the database sees anything: the PAN and the name are stored (and published) only
    // encrypted, under a data key of this application's own that only the database keeps, wrapped under the
    // master key, so destroying that one row erases every copy (docs/pan-protection.md).
    detail::new_application row;
    row.id = core::new_uuid();
    row.message_id = core::new_uuid();
    const crypto::data_key key = crypto::data_key::generate();
    row.data_key = key.wrap(deps_.cipher, crypto::data_key_aad(row.id));
    row.pan = key.encrypt(app.pan_number, row.id);
    if (!app.applicant_name.empty()) row.name = key.encrypt(app.applicant_name, applicant_name_aad(row.id));
    row.pan_hmac = deps_.index.digest_hex(app.pan_number);
    row.pan_masked = mask_pan(app.pan_number);
    row.monthly_income = app.monthly_income.to_string();
    row.loan_amount = app.loan_amount.to_string();
    row.loan_type = app.loan_type;
    row.request_id = req.request_id;
    row.trace = req.trace;
    row.client = detail::client_of(req);
    row.topic = options_.submitted_topic;
    row.event_payload = submitted_event(row.message_id, row.id, req.request_id, row.pan, app);
    row.consent = app.consent;

    detail::applications_repository applications{deps_.pool};
    detail::store_outcome outcome;
    std::string request_hash;
    try {
        if (!idem_key) {
            outcome = co_await applications.store(row);
        } else {
            request_hash = deps_.index.digest_hex(canonical_form(app));
            outcome = co_await applications.store_with_key(row, *idem_key, request_hash);
        }
    } catch (const pg::error& e) {
        if (!detail::is_unavailable(e)) throw;
        deps_.log.with_trace(req.trace).warn("submission failed: database unavailable",
                                             {{"request_id", req.request_id}, {"error", e.what()}});
        co_return detail::database_unavailable(req);
    }
    if (std::holds_alternative<detail::duplicate_pan>(outcome)) {
        duplicates_.inc();
        co_return duplicate(req);
    }
    if (const auto* taken = std::get_if<detail::key_taken>(&outcome)) {
        if (!taken->record || taken->record->request_hash != request_hash)
            co_return http::error_for(req, 422, "IDEMPOTENCY_KEY_REUSED",
                                      "this Idempotency-Key was already used with a different request body");
        replays_.inc();
        co_return detail::accepted(taken->record->application_id);
    }
    accepted_.inc();
    if (deps_.on_commit) deps_.on_commit();
    deps_.log.with_trace(req.trace).debug("application accepted",
                                          {{"application_id", row.id}, {"request_id", req.request_id}});
    co_return detail::accepted(row.id);
}

}  // namespace prequal::api
