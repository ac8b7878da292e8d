// Shared response builders of the API module.
#pragma once

#include "queries.hpp"

#include <prequal/access/request_client.hpp>
#include <prequal/http/replies.hpp>

#include <boost/json/object.hpp>
#include <boost/json/serialize.hpp>

#include <string>
#include <string_view>

namespace prequal::api::detail {

using access::client_of;
using http::json_response;

/// The 202 response (body and Location) for an accepted or replayed application.
inline http::response accepted(const std::string& application_id) {
    boost::json::object body;
    body["application_id"] = application_id;
    body["status"] = "PENDING";
    auto r = json_response(202, boost::json::serialize(body));
    r.set_header("Location", "/applications/" + application_id + "/status");
    return r;
}

/// The 200 status body of an application (GET .../status, DELETE .../personal-data).
http::response status_response(const queries::status_row& a);

/// 503 for a database that is unreachable (connection failures, pool exhaustion, timeouts).
http::response database_unavailable(const http::request& req);

/// 503 while admission control sheds load, with Retry-After (admission_control::retry_after).
http::response shedding_load(const http::request& req);

/// True when a database exception means "unavailable" (→ 503) rather than a bug (→ 500).
bool is_unavailable(const std::exception& e);

}  // namespace prequal::api::detail
