// Shared response builders of the API module.
#pragma once

#include "queries.hpp"

#include <prequal/access/auth_mode.hpp>
#include <prequal/http/errors.hpp>
#include <prequal/http/message.hpp>

#include <boost/json/object.hpp>
#include <boost/json/serialize.hpp>

#include <string>
#include <string_view>

namespace prequal::api::detail {

inline http::response error(const http::request& req, unsigned status, std::string_view code,
                            std::string_view message, const std::vector<http::error_detail>& details = {}) {
    return http::make_error(status, code, message, req.request_id, req.path, details);
}

/// The client a request acts for: set by the access guard; `anonymous` when no guard ran.
inline std::string client_of(const http::request& req) {
    return req.client.empty() ? std::string{access::anonymous_client} : req.client;
}

inline http::response json_response(unsigned status, std::string body) {
    http::response r;
    r.status = status;
    r.body = std::move(body);
    r.set_header("Content-Type", "application/json; charset=utf-8");
    return r;
}

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
