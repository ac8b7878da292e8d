// GET /applications/{application_id}/status: one statement reads the row and audits the masked PAN.
#include "queries.hpp"
#include "responses.hpp"

#include <prequal/api/api_module.hpp>
#include <prequal/core/ids.hpp>
#include <prequal/pg/error.hpp>

#include <boost/json/object.hpp>
#include <boost/json/serialize.hpp>

namespace prequal::api {

namespace json = boost::json;

boost::asio::awaitable<http::response> api_module::status(http::request& req) {
    const std::string id{req.path_param("application_id")};
    if (!core::is_uuid(id))
        co_return detail::error(req, 422, "VALIDATION_ERROR", "application id is not valid",
                                {{"application_id", "must be a UUID"}});
    pg::result r;
    try {
        r = co_await deps_.pool.execute(queries::status, pg::args(id, req.request_id));
    } catch (const pg::error& e) {
        if (!detail::is_unavailable(e)) throw;
        co_return detail::database_unavailable(req);
    }
    if (r.empty()) co_return detail::error(req, 404, "NOT_FOUND", "no application with this id");

    auto nullable = [&](int column) { return r.is_null(0, column) ? json::value(nullptr) : json::value(r.get(0, column)); };
    json::object body;
    body["application_id"] = r.get(0, 0);
    body["status"] = r.get(0, 1);
    body["cibil_score"] = r.is_null(0, 2) ? json::value(nullptr) : json::value(r.get_int(0, 2));
    body["pan_number_masked"] = r.get(0, 3);
    body["decision_reason"] = nullable(4);
    body["max_approved_amount_inr"] = nullable(5);
    body["created_at"] = r.get(0, 6);
    body["updated_at"] = r.get(0, 7);
    co_return detail::json_response(200, json::serialize(body));
}

}  // namespace prequal::api
