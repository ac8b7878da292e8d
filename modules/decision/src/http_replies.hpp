// Response helpers of the decision module's routes (the api module has its own: modules share only the
// platform).
#pragma once

#include <prequal/access/auth_mode.hpp>
#include <prequal/http/errors.hpp>
#include <prequal/http/message.hpp>
#include <prequal/pg/error.hpp>

#include <string>
#include <string_view>
#include <vector>

namespace prequal::decision::detail {

inline http::response error(const http::request& req, unsigned status, std::string_view code,
                            std::string_view message, const std::vector<http::error_detail>& details = {}) {
    return http::make_error(status, code, message, req.request_id, req.path, details);
}

inline http::response json_response(unsigned status, std::string body) {
    http::response r;
    r.status = status;
    r.body = std::move(body);
    r.set_header("Content-Type", "application/json; charset=utf-8");
    return r;
}

/// The client a request acts for: set by the access guard; `anonymous` when no guard ran (--auth=none).
inline std::string client_of(const http::request& req) {
    return req.client.empty() ? std::string{access::anonymous_client} : req.client;
}

/// 503 for a database that is unreachable (as the api module answers it).
inline http::response database_unavailable(const http::request& req) {
    auto r = error(req, 503, "SERVICE_UNAVAILABLE", "the database is unavailable; retry later");
    r.set_header("Retry-After", "1");
    return r;
}

inline http::response not_found(const http::request& req) {
    return error(req, 404, "NOT_FOUND", "no application with this id");
}

inline http::response invalid_id(const http::request& req) {
    return error(req, 422, "VALIDATION_ERROR", "application id is not valid",
                 {{"application_id", "must be a UUID"}});
}

}  // namespace prequal::decision::detail
