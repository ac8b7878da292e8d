// Replies every route builds the same way (the api and decision modules and the operational routes): a JSON
// body, a contract error for the request at hand, and the media-type check of JSON request bodies.
#pragma once

#include <prequal/http/errors.hpp>
#include <prequal/http/message.hpp>

#include <string>
#include <string_view>
#include <vector>

namespace prequal::http {

/// `status` with `body` as `application/json; charset=utf-8`.
response json_response(unsigned status, std::string body);

/// make_error() for `req`: its request id and path go into the body.
response error_for(const request& req, unsigned status, std::string_view error_code, std::string_view message,
                   const std::vector<error_detail>& details = {});

/// True when a Content-Type value (null: absent) names application/json, whatever its case, spacing and
/// parameters (`application/json; charset=utf-8`).
bool is_json_content_type(const std::string* value);

}  // namespace prequal::http
