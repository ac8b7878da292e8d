// The credential of a request: exactly one `Authorization: Bearer <token>` header, strictly formed.
#pragma once

#include <prequal/http/message.hpp>

#include <optional>
#include <string_view>

namespace prequal::access {

/// The token of the request's one well-formed Bearer credential (RFC 6750 b64token: letters, digits and
/// -._~+/ then optional '='; the scheme case-insensitive, one space, at most max_key_length characters);
/// nullopt for no Authorization header, several, another scheme, or any other byte (NUL, non-ASCII, ...).
/// The view points into `headers`.
std::optional<std::string_view> bearer_token(const http::header_list& headers);

}  // namespace prequal::access
