// GET /applications/{application_id}/status[?wait=S]: one SELECT reads the row (no write: the read goes to
// the access trail, which writes in batches off the request path); with `wait`, a still PENDING application
// is read again when it is decided or at the deadline.
#include "applications_repository.hpp"
#include "long_poll.hpp"
#include "long_polls.hpp"
#include "responses.hpp"

#include <prequal/api/api_module.hpp>
#include <prequal/core/ids.hpp>
#include <prequal/pg/error.hpp>

#include <boost/asio/this_coro.hpp>
#include <boost/json/object.hpp>
#include <boost/json/parse.hpp>
#include <boost/json/serialize.hpp>

namespace prequal::api {

namespace json = boost::json;

namespace {

json::value nullable(const std::optional<std::string>& text) {
    return text ? json::value(*text) : json::value(nullptr);
}

}  // namespace

namespace detail {

http::response status_response(const application_status& a) {
    json::object body;
    body["application_id"] = a.id;
    body["status"] = a.status;
    body["cibil_score"] = a.cibil_score ? json::value(*a.cibil_score) : json::value(nullptr);
    body["pan_number_masked"] = nullable(a.pan_masked);
    body["decision_reason"] = nullable(a.decision_reason);
    body["max_approved_amount_inr"] = nullable(a.max_approved_amount);
    // The database wrote this text from a text[] (array_to_json): it parses.
    body["reason_codes"] = a.reason_codes ? json::parse(*a.reason_codes) : json::value(nullptr);
    body["ruleset_version"] = nullable(a.ruleset_version);
    body["personal_data"] = a.personal_data;
    body["consent_recorded"] = a.consent_recorded;
    body["version"] = a.version;
    body["decided_by"] = nullable(a.decided_by);
    body["created_at"] = a.created_at;
    body["updated_at"] = a.updated_at;
    return json_response(200, json::serialize(body));
}

}  // namespace detail

boost::asio::awaitable<http::response> api_module::status(http::request& req) {
    const std::string id{req.path_param("application_id")};
    const detail::wait_parameter wait = detail::parse_wait(req.target);
    if (!core::is_uuid(id) || !wait.valid) {
        std::vector<http::error_detail> details;
        if (!core::is_uuid(id)) details.push_back({"application_id", "must be a UUID"});
        if (!wait.valid) details.push_back({"wait", "must be one integer from 1 to 30 (seconds)"});
        const char* message = details.size() > 1 ? "request failed validation"
                              : wait.valid       ? "application id is not valid"
                                                 : "query parameter wait is not valid";
        co_return http::error_for(req, 422, "VALIDATION_ERROR", message, details);
    }
    // Registered before the first read, so a decision that commits between that read and the wait still
    // wakes this request. Null without `wait`, at --max-waiters, or while shutting down: answer at once.
    std::unique_ptr<detail::long_poll_waiter> waiter;
    if (wait.present) waiter = long_polls_->waiters.enlist(id, co_await boost::asio::this_coro::executor);
    const auto deadline = std::chrono::steady_clock::now() + wait.wait;
    for (;;) {
        std::optional<detail::application_status> found;
        try {
            detail::applications_repository applications{deps_.pool};
            found = co_await applications.read_status(id, detail::client_of(req));
        } catch (const pg::error& e) {
            if (!detail::is_unavailable(e)) throw;
            co_return detail::database_unavailable(req);
        }
        if (!found) co_return http::error_for(req, 404, "NOT_FOUND", "no application with this id");
        if (!waiter || found->status != "PENDING" || waiter->released() ||
            std::chrono::steady_clock::now() >= deadline) {
            // Once per answer, however many reads a long poll took: what was shown, to whom.
            if (deps_.access_trail)
                deps_.access_trail->record(detail::client_of(req), found->id,
                                           wait.present ? "status_wait" : "status", req.request_id);
            co_return detail::status_response(*found);
        }
        // No connection is held here (the read returned it to the pool): only a timer waits.
        co_await waiter->wait_until(deadline);
    }
}

}  // namespace prequal::api
