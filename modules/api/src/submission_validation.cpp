// Pre-database checks of POST /applications.
#include "submission_validation.hpp"

#include "responses.hpp"

#include <algorithm>
#include <cctype>

namespace prequal::api::detail {

namespace {

bool is_json_content_type(const std::string* value) {
    if (!value) return false;
    std::string media = value->substr(0, value->find(';'));
    media.erase(std::remove_if(media.begin(), media.end(), [](unsigned char c) { return std::isspace(c); }),
                media.end());
    std::transform(media.begin(), media.end(), media.begin(),
                   [](unsigned char c) { return std::tolower(c); });
    return media == "application/json";
}

}  // namespace

submission_check validate_submission(const http::request& req, bool draining, bool require_consent) {
    if (!is_json_content_type(req.header("Content-Type")))
        return error(req, 415, "UNSUPPORTED_MEDIA_TYPE", "Content-Type must be application/json");
    if (draining)
        return error(req, 503, "SERVICE_UNAVAILABLE",
                     "the service is shutting down; retry on another instance");

    validation_options options;
    options.require_consent = require_consent;
    auto parsed = parse_application_request(req.body, options);
    if (auto* m = std::get_if<malformed_json>(&parsed)) return error(req, 400, "MALFORMED_JSON", m->reason);
    if (auto* bad = std::get_if<invalid_request>(&parsed))
        return error(req, 422, "VALIDATION_ERROR", "request body failed validation", bad->details);

    const std::string* idem_key = req.header("Idempotency-Key");
    if (idem_key && !is_valid_idempotency_key(*idem_key))
        return error(req, 422, "VALIDATION_ERROR", "request failed validation",
                     {{"Idempotency-Key", "must be 1-255 printable ASCII characters"}});
    return std::move(std::get<application_request>(parsed));
}

}  // namespace prequal::api::detail
