// Pre-database checks of POST /applications.
#include "submission_validation.hpp"

#include "responses.hpp"

namespace prequal::api::detail {

submission_check validate_submission(const http::request& req, bool draining, bool require_consent) {
    if (!http::is_json_content_type(req.header("Content-Type")))
        return http::error_for(req, 415, "UNSUPPORTED_MEDIA_TYPE", "Content-Type must be application/json");
    if (draining)
        return http::error_for(req, 503, "SERVICE_UNAVAILABLE",
                               "the service is shutting down; retry on another instance");

    validation_options options;
    options.require_consent = require_consent;
    auto parsed = parse_application_request(req.body, options);
    if (auto* m = std::get_if<malformed_json>(&parsed))
        return http::error_for(req, 400, "MALFORMED_JSON", m->reason);
    if (auto* bad = std::get_if<invalid_request>(&parsed))
        return http::error_for(req, 422, "VALIDATION_ERROR", "request body failed validation", bad->details);

    const std::string* idem_key = req.header("Idempotency-Key");
    if (idem_key && !is_valid_idempotency_key(*idem_key))
        return http::error_for(req, 422, "VALIDATION_ERROR", "request failed validation",
                               {{"Idempotency-Key", "must be 1-255 printable ASCII characters"}});
    return std::move(std::get<application_request>(parsed));
}

}  // namespace prequal::api::detail
