// The one place that builds error bodies per the contract (error_code, message, details, request_id,
// timestamp, path). Every error the service sends, from handlers or from the transport, goes through here.
#pragma once

#include <prequal/http/message.hpp>

#include <string>
#include <string_view>
#include <vector>

namespace prequal::http {

struct error_detail {
    std::string field;
    std::string issue;
};

/// A JSON error response; `request_id` is echoed into the body (the server sets the header).
response make_error(unsigned status, std::string_view error_code, std::string_view message,
                    std::string_view request_id, std::string_view path,
                    const std::vector<error_detail>& details = {});

}  // namespace prequal::http
