// The client a request acts for, as every route that owns data reads it.
#pragma once

#include <prequal/access/auth_mode.hpp>
#include <prequal/http/message.hpp>

#include <string>

namespace prequal::access {

/// Set by the access guard; `anonymous` when no guard ran (--auth=none).
inline std::string client_of(const http::request& req) {
    return req.client.empty() ? std::string{anonymous_client} : req.client;
}

}  // namespace prequal::access
