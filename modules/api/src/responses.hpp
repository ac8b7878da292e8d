// Shared response builders of the API module.
#pragma once

#include <prequal/http/errors.hpp>
#include <prequal/http/message.hpp>

#include <string>
#include <string_view>

namespace prequal::api::detail {

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

/// 503 for a database that is unreachable (connection failures, pool exhaustion, timeouts).
http::response database_unavailable(const http::request& req);

/// True when a database exception means "unavailable" (→ 503) rather than a bug (→ 500).
bool is_unavailable(const std::exception& e);

}  // namespace prequal::api::detail
