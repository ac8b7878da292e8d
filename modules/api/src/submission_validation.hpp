// What POST /applications decides before touching the database (content type, draining, body,
// Idempotency-Key), as a pure function: the handler and the HTTP fuzz target run the same code.
#pragma once

#include <prequal/api/application_request.hpp>
#include <prequal/http/message.hpp>

#include <variant>

namespace prequal::api::detail {

/// The error response to send, or the validated application.
using submission_check = std::variant<http::response, application_request>;

/// 415 for a non-JSON Content-Type, 503 while draining, 400 for malformed JSON, 422 for a body or an
/// Idempotency-Key that fails validation (with `require_consent`, also a body without `consent`); otherwise
/// the parsed application.
submission_check validate_submission(const http::request& req, bool draining, bool require_consent = false);

}  // namespace prequal::api::detail
