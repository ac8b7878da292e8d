// GET /applications/{application_id}/status: one statement reads the row and audits the masked PAN.
#include "applications_repository.hpp"
#include "responses.hpp"

#include <prequal/api/api_module.hpp>
#include <prequal/core/ids.hpp>
#include <prequal/pg/error.hpp>

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

boost::asio::awaitable<http::response> api_module::status(http::request& req) {
    const std::string id{req.path_param("application_id")};
    if (!core::is_uuid(id))
        co_return detail::error(req, 422, "VALIDATION_ERROR", "application id is not valid",
                                {{"application_id", "must be a UUID"}});
    std::optional<detail::application_status> found;
    try {
        detail::applications_repository applications{deps_.pool};
        found = co_await applications.read_status(id, detail::client_of(req), req.request_id);
    } catch (const pg::error& e) {
        if (!detail::is_unavailable(e)) throw;
        co_return detail::database_unavailable(req);
    }
    if (!found) co_return detail::error(req, 404, "NOT_FOUND", "no application with this id");

    const detail::application_status& a = *found;
    json::object body;
    body["application_id"] = a.id;
    body["status"] = a.status;
    body["cibil_score"] = a.cibil_score ? json::value(*a.cibil_score) : json::value(nullptr);
    body["pan_number_masked"] = a.pan_masked;
    body["decision_reason"] = nullable(a.decision_reason);
    body["max_approved_amount_inr"] = nullable(a.max_approved_amount);
    // The database wrote this text from a text[] (array_to_json): it parses.
    body["reason_codes"] = a.reason_codes ? json::parse(*a.reason_codes) : json::value(nullptr);
    body["ruleset_version"] = nullable(a.ruleset_version);
    body["version"] = a.version;
    body["decided_by"] = nullable(a.decided_by);
    body["created_at"] = a.created_at;
    body["updated_at"] = a.updated_at;
    co_return detail::json_response(200, json::serialize(body));
}

}  // namespace prequal::api
