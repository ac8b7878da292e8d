// POST /applications: content type → JSON → validation → encryption → one transaction → 202.
#include "queries.hpp"
#include "responses.hpp"
#include "submission.hpp"

#include <prequal/api/api_module.hpp>
#include <prequal/api/application_request.hpp>
#include <prequal/bus/envelope.hpp>
#include <prequal/core/clock.hpp>
#include <prequal/core/ids.hpp>
#include <prequal/crypto/keys.hpp>
#include <prequal/events/topics.hpp>
#include <prequal/pg/error.hpp>

#include <boost/json/object.hpp>

namespace prequal::api {

namespace json = boost::json;
using detail::error;

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

}  // namespace

boost::asio::awaitable<http::response> api_module::submit(http::request& req) {
    auto checked = detail::validate_submission(req, deps_.draining && deps_.draining());
    if (auto* rejected = std::get_if<http::response>(&checked)) co_return std::move(*rejected);
    const auto& app = std::get<application_request>(checked);
    const std::string* idem_key = req.header("Idempotency-Key");

    const std::string application_id = core::new_uuid();
    const std::string message_id = core::new_uuid();
    const crypto::sealed pan = deps_.cipher.encrypt(app.pan_number, application_id);
    std::optional<crypto::sealed> name;
    if (!app.applicant_name.empty())
        name = deps_.cipher.encrypt(app.applicant_name, applicant_name_aad(application_id));
    const std::string pan_hmac = deps_.index.digest_hex(app.pan_number);
    const std::string masked = mask_pan(app.pan_number);
    const std::string income = app.monthly_income.to_string();
    const std::string loan = app.loan_amount.to_string();
    const std::string payload = submitted_event(message_id, application_id, req.request_id, pan, app);
    const pg::params submit_params{application_id,
                                   pan_hmac,
                                   pan.ciphertext_b64,
                                   pan.key_id,
                                   masked,
                                   name ? pg::param{name->ciphertext_b64} : pg::param{},
                                   income,
                                   loan,
                                   app.loan_type.empty() ? pg::param{} : pg::param{app.loan_type},
                                   req.request_id,
                                   message_id,
                                   options_.submitted_topic,
                                   payload,
                                   name ? pg::param{name->key_id} : pg::param{}};
    try {
        auto conn = co_await deps_.pool.acquire();
        if (!idem_key) {
            auto r = co_await conn->execute(queries::submit, submit_params);
            if (r.empty()) {
                duplicates_.inc();
                co_return error(req, 409, "DUPLICATE_APPLICATION",
                                "an application for this PAN is already in progress or was approved in the last 24 hours");
            }
        } else {
            // The key is claimed first, in the same transaction as the application, so a retry after a crash
            // finds it and a concurrent retry waits for this one's outcome.
            const std::string request_hash = deps_.index.digest_hex(canonical_form(app));
            pg::steps claim{{pg::begin, {}},
                            {queries::claim_idempotency_key, pg::args(*idem_key, request_hash, application_id)}};
            auto claimed = co_await conn->pipeline(std::move(claim));
            if (claimed[1].empty()) {
                co_await conn->execute(pg::rollback);
                auto found = co_await conn->execute(queries::find_idempotency_key, pg::args(*idem_key));
                if (found.empty() || found.get(0, 0) != request_hash)
                    co_return error(req, 422, "IDEMPOTENCY_KEY_REUSED",
                                    "this Idempotency-Key was already used with a different request body");
                replays_.inc();
                co_return detail::accepted(std::string{found.get(0, 1)});
            }
            auto r = co_await conn->execute(queries::submit, submit_params);
            if (r.empty()) {
                co_await conn->execute(pg::rollback);
                duplicates_.inc();
                co_return error(req, 409, "DUPLICATE_APPLICATION",
                                "an application for this PAN is already in progress or was approved in the last 24 hours");
            }
            co_await conn->execute(pg::commit);
        }
    } catch (const pg::error& e) {
        if (!detail::is_unavailable(e)) throw;
        deps_.log.warn("submission failed: database unavailable",
                       {{"request_id", req.request_id}, {"error", e.what()}});
        co_return detail::database_unavailable(req);
    }
    accepted_.inc();
    if (deps_.on_commit) deps_.on_commit();
    deps_.log.debug("application accepted", {{"application_id", application_id}, {"request_id", req.request_id}});
    co_return detail::accepted(application_id);
}

}  // namespace prequal::api
