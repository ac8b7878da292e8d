// DELETE /applications/{application_id}/personal-data (contract section 8): erase in one transaction, then
// answer with the status body, as GET .../status shows it.
#include "applications_repository.hpp"
#include "responses.hpp"

#include <prequal/api/api_module.hpp>
#include <prequal/api/personal_data.hpp>
#include <prequal/core/ids.hpp>
#include <prequal/pg/error.hpp>

namespace prequal::api {

boost::asio::awaitable<http::response> api_module::erase(http::request& req) {
    const std::string id{req.path_param("application_id")};
    if (!core::is_uuid(id))
        co_return http::error_for(req, 422, "VALIDATION_ERROR", "application id is not valid",
                                  {{"application_id", "must be a UUID"}});
    const std::string client = detail::client_of(req);
    erase_outcome outcome{};
    std::optional<detail::application_status> found;
    try {
        {
            auto conn = co_await deps_.pool.acquire();
            erase_request request{id, client, req.request_id};  // named: g++ 12 and braces in co_await
            outcome = co_await erase_personal_data(*conn, std::move(request));
        }
        if (outcome == erase_outcome::erased || outcome == erase_outcome::already_erased) {
            detail::applications_repository applications{deps_.pool};
            found = co_await applications.read_status(id, client);  // its own audit row says who erased it
        }
    } catch (const pg::error& e) {
        if (!detail::is_unavailable(e)) throw;
        co_return detail::database_unavailable(req);
    }
    if (outcome == erase_outcome::pending)
        co_return http::error_for(req, 409, "APPLICATION_PENDING",
                                  "personal data cannot be erased before the decision");
    if (!found) co_return http::error_for(req, 404, "NOT_FOUND", "no application with this id");
    if (outcome == erase_outcome::erased)
        deps_.log.with_trace(req.trace).info("personal data erased",
                                             {{"application_id", id}, {"request_id", req.request_id}});
    co_return detail::status_response(*found);
}

}  // namespace prequal::api
