// Response helpers of the decision module's routes (the shared ones are the platform's: http/replies.hpp,
// access/request_client.hpp).
#pragma once

#include <prequal/access/request_client.hpp>
#include <prequal/http/replies.hpp>
#include <prequal/pg/error.hpp>

#include <string>
#include <string_view>
#include <vector>

namespace prequal::decision::detail {

using access::client_of;
using http::json_response;

/// 503 for a database that is unreachable (as the api module answers it).
inline http::response database_unavailable(const http::request& req) {
    auto r = http::error_for(req, 503, "SERVICE_UNAVAILABLE", "the database is unavailable; retry later");
    r.set_header("Retry-After", "1");
    return r;
}

inline http::response not_found(const http::request& req) {
    return http::error_for(req, 404, "NOT_FOUND", "no application with this id");
}

inline http::response invalid_id(const http::request& req) {
    return http::error_for(req, 422, "VALIDATION_ERROR", "application id is not valid",
                           {{"application_id", "must be a UUID"}});
}

}  // namespace prequal::decision::detail
