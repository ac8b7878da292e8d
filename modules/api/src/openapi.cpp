// The OpenAPI 3 description of the HTTP contract, served at /openapi.json.
#include <prequal/api/openapi.hpp>

namespace prequal::api {

const std::string& openapi_document() {
    static const std::string doc = R"JSON({
  "openapi": "3.0.3",
  "servers": [{"url": "/", "description": "This prequal server (every path is relative to where the document was fetched)"}],
  "security": [{"bearerAuth": []}],
  "info": {"title": "prequal", "version": "1.0.0", "license": {"name": "Proprietary", "url": "https://prequal.invalid/licence"},
           "description": "Loan prequalification: submit an application, read its decision, review a MANUAL_REVIEW, follow the decisions feed."},
  "paths": {
    "/applications": {
      "post": {
        "operationId": "submitApplication",
        "summary": "Submit a loan application for prequalification",
        "description": "Needs an API key with the scope applications:write when authentication is on.",
        "security": [{"bearerAuth": ["applications:write"]}],
        "parameters": [{"$ref": "#/components/parameters/Traceparent"}, {"$ref": "#/components/parameters/Tracestate"},
                       {"name": "Idempotency-Key", "in": "header", "required": false,
                        "schema": {"type": "string", "minLength": 1, "maxLength": 255}}],
        "requestBody": {"required": true, "content": {"application/json": {"schema": {"$ref": "#/components/schemas/ApplicationRequest"}}}},
        "responses": {
          "202": {"description": "Accepted; the decision follows asynchronously",
                  "headers": {"traceparent": {"$ref": "#/components/headers/Traceparent"}, "Location": {"schema": {"type": "string"}},
                              "RateLimit-Limit": {"$ref": "#/components/headers/RateLimit-Limit"},
                              "RateLimit-Remaining": {"$ref": "#/components/headers/RateLimit-Remaining"},
                              "RateLimit-Reset": {"$ref": "#/components/headers/RateLimit-Reset"}},
                  "content": {"application/json": {"schema": {"$ref": "#/components/schemas/Accepted"}}}},
          "400": {"$ref": "#/components/responses/Error"},
          "401": {"$ref": "#/components/responses/Unauthorized"},
          "403": {"$ref": "#/components/responses/Forbidden"},
          "409": {"$ref": "#/components/responses/Error"},
          "413": {"$ref": "#/components/responses/Error"},
          "415": {"$ref": "#/components/responses/Error"},
          "422": {"$ref": "#/components/responses/Error"},
          "429": {"$ref": "#/components/responses/RateLimited"},
          "503": {"$ref": "#/components/responses/Unavailable"}
        }
      }
    },
    "/applications/{application_id}/status": {
      "get": {
        "operationId": "getApplicationStatus",
        "summary": "Read an application's status and decision",
        "description": "Needs an API key with the scope applications:read when authentication is on. Another client's application is 404, exactly like an unknown id. With wait=S (a long poll) the answer comes as soon as the application is final, or after S seconds with its current state.",
        "security": [{"bearerAuth": ["applications:read"]}],
        "parameters": [{"$ref": "#/components/parameters/Traceparent"}, {"$ref": "#/components/parameters/Tracestate"},
                       {"name": "application_id", "in": "path", "required": true, "schema": {"type": "string", "format": "uuid"}},
                       {"name": "wait", "in": "query", "required": false,
                        "description": "Long poll: wait up to this many seconds for a final decision (any other value is 422 VALIDATION_ERROR naming wait).",
                        "schema": {"type": "integer", "minimum": 1, "maximum": 30}}],
        "responses": {
          "200": {"description": "The application",
                  "headers": {"traceparent": {"$ref": "#/components/headers/Traceparent"}, "RateLimit-Limit": {"$ref": "#/components/headers/RateLimit-Limit"},
                              "RateLimit-Remaining": {"$ref": "#/components/headers/RateLimit-Remaining"},
                              "RateLimit-Reset": {"$ref": "#/components/headers/RateLimit-Reset"}},
                  "content": {"application/json": {"schema": {"$ref": "#/components/schemas/Status"}}}},
          "401": {"$ref": "#/components/responses/Unauthorized"},
          "403": {"$ref": "#/components/responses/Forbidden"},
          "404": {"$ref": "#/components/responses/Error"},
          "422": {"$ref": "#/components/responses/Error"},
          "429": {"$ref": "#/components/responses/RateLimited"},
          "503": {"$ref": "#/components/responses/Error"}
        }
      }
    },
    "/applications/{application_id}/personal-data": {
      "delete": {
        "operationId": "eraseApplicationPersonalData",
        "summary": "Erase the applicant's personal data",
        "description": "Needs an API key with the scope personal-data:erase when authentication is on. Cryptographic erasure: the application's own data key is destroyed, so no copy of its PAN or name (table, backup, retained message) can be decrypted any more; the masked PAN becomes null, the decision stays. Repeating it is 200 again; before the decision it is 409 APPLICATION_PENDING. Another client's application is 404, exactly like an unknown id.",
        "security": [{"bearerAuth": ["personal-data:erase"]}],
        "parameters": [{"$ref": "#/components/parameters/Traceparent"}, {"$ref": "#/components/parameters/Tracestate"},
                       {"name": "application_id", "in": "path", "required": true, "schema": {"type": "string", "format": "uuid"}}],
        "responses": {
          "200": {"description": "Erased (now or before): the status body, personal_data ERASED",
                  "headers": {"traceparent": {"$ref": "#/components/headers/Traceparent"}, "RateLimit-Limit": {"$ref": "#/components/headers/RateLimit-Limit"},
                              "RateLimit-Remaining": {"$ref": "#/components/headers/RateLimit-Remaining"},
                              "RateLimit-Reset": {"$ref": "#/components/headers/RateLimit-Reset"}},
                  "content": {"application/json": {"schema": {"$ref": "#/components/schemas/Status"}}}},
          "401": {"$ref": "#/components/responses/Unauthorized"},
          "403": {"$ref": "#/components/responses/Forbidden"},
          "404": {"$ref": "#/components/responses/Error"},
          "409": {"$ref": "#/components/responses/Error"},
          "422": {"$ref": "#/components/responses/Error"},
          "429": {"$ref": "#/components/responses/RateLimited"},
          "503": {"$ref": "#/components/responses/Error"}
        }
      }
    },
    "/applications/{application_id}/review": {
      "post": {
        "operationId": "reviewApplication",
        "summary": "Resolve a MANUAL_REVIEW decision (underwriting review)",
        "description": "Needs an API key with the scope applications:review when authentication is on. Records a second decision: the status becomes the outcome, reason_codes [REVIEWED_APPROVED] or [REVIEWED_REJECTED], max_approved_amount_inr monthly income x 48 when approved, null when rejected; the machine decision stays in the history; an application_decided event with decided_by review is published. expected_version must equal the status body's version: 409 VERSION_CONFLICT when it does not (a concurrent review won), 409 NOT_REVIEWABLE when the application is not in MANUAL_REVIEW. Another client's application is 404.",
        "security": [{"bearerAuth": ["applications:review"]}],
        "parameters": [{"$ref": "#/components/parameters/Traceparent"}, {"$ref": "#/components/parameters/Tracestate"},
                       {"name": "application_id", "in": "path", "required": true, "schema": {"type": "string", "format": "uuid"}}],
        "requestBody": {"required": true, "content": {"application/json": {"schema": {"$ref": "#/components/schemas/ReviewRequest"}}}},
        "responses": {
          "200": {"description": "The review is recorded",
                  "headers": {"traceparent": {"$ref": "#/components/headers/Traceparent"}, "RateLimit-Limit": {"$ref": "#/components/headers/RateLimit-Limit"},
                              "RateLimit-Remaining": {"$ref": "#/components/headers/RateLimit-Remaining"},
                              "RateLimit-Reset": {"$ref": "#/components/headers/RateLimit-Reset"}},
                  "content": {"application/json": {"schema": {"$ref": "#/components/schemas/ReviewResult"}}}},
          "400": {"$ref": "#/components/responses/Error"},
          "401": {"$ref": "#/components/responses/Unauthorized"},
          "403": {"$ref": "#/components/responses/Forbidden"},
          "404": {"$ref": "#/components/responses/Error"},
          "409": {"$ref": "#/components/responses/Error"},
          "413": {"$ref": "#/components/responses/Error"},
          "415": {"$ref": "#/components/responses/Error"},
          "422": {"$ref": "#/components/responses/Error"},
          "429": {"$ref": "#/components/responses/RateLimited"},
          "503": {"$ref": "#/components/responses/Error"}
        }
      }
    },
    "/applications/{application_id}/decisions": {
      "get": {
        "operationId": "listDecisions",
        "summary": "The application's decisions in order (the machine's, then any review)",
        "description": "Needs an API key with the scope applications:read when authentication is on. Empty while PENDING. Another client's application is 404, exactly like an unknown id.",
        "security": [{"bearerAuth": ["applications:read"]}],
        "parameters": [{"$ref": "#/components/parameters/Traceparent"}, {"$ref": "#/components/parameters/Tracestate"},
                       {"name": "application_id", "in": "path", "required": true, "schema": {"type": "string", "format": "uuid"}}],
        "responses": {
          "200": {"description": "The decision history",
                  "headers": {"traceparent": {"$ref": "#/components/headers/Traceparent"}, "RateLimit-Limit": {"$ref": "#/components/headers/RateLimit-Limit"},
                              "RateLimit-Remaining": {"$ref": "#/components/headers/RateLimit-Remaining"},
                              "RateLimit-Reset": {"$ref": "#/components/headers/RateLimit-Reset"}},
                  "content": {"application/json": {"schema": {"$ref": "#/components/schemas/DecisionHistory"}}}},
          "401": {"$ref": "#/components/responses/Unauthorized"},
          "403": {"$ref": "#/components/responses/Forbidden"},
          "404": {"$ref": "#/components/responses/Error"},
          "422": {"$ref": "#/components/responses/Error"},
          "429": {"$ref": "#/components/responses/RateLimited"},
          "503": {"$ref": "#/components/responses/Error"}
        }
      }
    },
    "/events": {
      "get": {
        "operationId": "listEvents",
        "summary": "The client's application_decided events in commit order, from a cursor",
        "description": "Needs an API key with the scope applications:read when authentication is on. Each event as webhooks deliver it (with event_id). Page with after = the previous page's next: no event is skipped or repeated; a cursor from the last page returns an empty list until new decisions arrive. Events are kept at least --event-retention-days (30).",
        "security": [{"bearerAuth": ["applications:read"]}],
        "parameters": [{"$ref": "#/components/parameters/Traceparent"}, {"$ref": "#/components/parameters/Tracestate"},
          {"name": "after", "in": "query", "required": false, "description": "An opaque cursor (a previous page's next); absent: from the oldest kept event", "schema": {"type": "string", "pattern": "^c1_[0-9a-f]{16}$"}},
          {"name": "limit", "in": "query", "required": false, "schema": {"type": "integer", "minimum": 1, "maximum": 500, "default": 100}}
        ],
        "responses": {
          "200": {"description": "A page of events",
                  "headers": {"traceparent": {"$ref": "#/components/headers/Traceparent"}, "RateLimit-Limit": {"$ref": "#/components/headers/RateLimit-Limit"},
                              "RateLimit-Remaining": {"$ref": "#/components/headers/RateLimit-Remaining"},
                              "RateLimit-Reset": {"$ref": "#/components/headers/RateLimit-Reset"}},
                  "content": {"application/json": {"schema": {"$ref": "#/components/schemas/EventPage"}}}},
          "401": {"$ref": "#/components/responses/Unauthorized"},
          "403": {"$ref": "#/components/responses/Forbidden"},
          "422": {"$ref": "#/components/responses/Error"},
          "429": {"$ref": "#/components/responses/RateLimited"},
          "503": {"$ref": "#/components/responses/Error"}
        }
      }
    },
    "/health": {"get": {"operationId": "getHealth", "summary": "Liveness", "security": [],
                        "responses": {"200": {"description": "The process runs",
                                              "content": {"application/json": {"schema": {"$ref": "#/components/schemas/Health"}}}},
                                      "405": {"$ref": "#/components/responses/Error"}}}},
    "/ready": {"get": {"operationId": "getReadiness", "summary": "Readiness (database, bus, not draining)", "security": [],
                       "responses": {"200": {"description": "Ready", "content": {"application/json": {"schema": {"$ref": "#/components/schemas/Readiness"}}}},
                                     "405": {"$ref": "#/components/responses/Error"},
                                     "503": {"description": "Not ready", "content": {"application/json": {"schema": {"$ref": "#/components/schemas/Readiness"}}}}}}},
    "/metrics": {"get": {"operationId": "getMetrics", "summary": "Prometheus metrics", "security": [],
                         "responses": {"200": {"description": "Text exposition format 0.0.4",
                                               "content": {"text/plain": {"schema": {"type": "string"}}}},
                                       "405": {"$ref": "#/components/responses/Error"}}}},
    "/openapi.json": {"get": {"operationId": "getOpenApiDocument", "summary": "This document", "security": [],
                              "responses": {"200": {"description": "OpenAPI 3 document", "content": {"application/json": {"schema": {"type": "object"}}}},
                                            "405": {"$ref": "#/components/responses/Error"}}}},
    "/docs": {"get": {"operationId": "getDocsPage", "summary": "This document as a browsable page (served by prequal, no CDN)", "security": [],
                      "responses": {"200": {"description": "An HTML page", "content": {"text/html": {"schema": {"type": "string"}}}},
                                    "404": {"$ref": "#/components/responses/Error"}}}}
  },
  "components": {
    "schemas": {
      "Health": {"type": "object", "additionalProperties": false, "required": ["status"],
                 "properties": {"status": {"type": "string", "enum": ["ok"]}}},
      "Readiness": {"type": "object", "additionalProperties": false, "required": ["status", "checks"],
                    "properties": {"status": {"type": "string", "enum": ["ready", "not_ready"]},
                                   "checks": {"type": "object", "additionalProperties": false, "required": ["database", "bus", "draining"],
                                              "properties": {"database": {"type": "string", "enum": ["ok", "unreachable"]},
                                                             "bus": {"type": "string", "enum": ["ok", "unreachable"]},
                                                             "draining": {"type": "boolean"}}}}},
      "ApplicationRequest": {
        "type": "object", "additionalProperties": false,
        "description": "Every field is checked and every failing one is named in the 422's details (a consent member as consent.<member>). A key may appear only once (a duplicate key is a 422: JSON Schema cannot say it).",
        "required": ["pan_number", "monthly_income_inr", "loan_amount_inr"],
        "properties": {
          "pan_number": {"type": "string", "pattern": "^[A-Z]{5}[0-9]{4}[A-Z]$", "example": "ABCDE1234F"},
          "applicant_name": {"type": "string", "nullable": true,
                             "description": "1-255 characters after trimming surrounding whitespace; no control characters (C0, DEL, C1)",
                             "pattern": "^[ \\t\\n\\r\\f\\v]*[^\\u0000-\\u0020\\u007f-\\u009f](?:[^\\u0000-\\u001f\\u007f-\\u009f]{0,253}[^\\u0000-\\u0020\\u007f-\\u009f])?[ \\t\\n\\r\\f\\v]*$",
                             "example": "Asha Verma"},
          "monthly_income_inr": {"description": "0 <= x <= 100000000 with at most 2 decimal places: a JSON number or a decimal string (exact: prefer the string; a binary number such as 75000.01 is read from its decimal text, never rounded)",
                                 "oneOf": [{"type": "number", "minimum": 0, "maximum": 100000000},
                                           {"type": "string", "pattern": "^(?:(?:0|[1-9][0-9]{0,7})(?:\\.[0-9]{1,2})?|100000000(?:\\.0{1,2})?)$",
                                            "description": "the canonical decimal form; the service also reads the other spellings of a JSON number inside the string (1.2e5, trailing zeros)"}],
                                 "example": "120000.00"},
          "loan_amount_inr": {"description": "0 < x <= 100000000 with at most 2 decimal places: a JSON number or a decimal string",
                              "oneOf": [{"type": "number", "minimum": 0, "exclusiveMinimum": true, "maximum": 100000000},
                                        {"type": "string", "pattern": "^(?!0(?:\\.0{1,2})?$)(?:(?:0|[1-9][0-9]{0,7})(?:\\.[0-9]{1,2})?|100000000(?:\\.0{1,2})?)$"}],
                              "example": "500000.00"},
          "loan_type": {"type": "string", "nullable": true, "enum": ["PERSONAL", "HOME", "AUTO", null]},
          "consent": {"$ref": "#/components/schemas/Consent"}
        }
      },
      "Consent": {
        "type": "object", "additionalProperties": false,
        "description": "The applicant's consent to this processing, as the client recorded it (contract section 8). Optional, unless the server runs with --require-consent (then a request without it is 422 naming consent); null is not accepted, leave it out instead. Stored in clear with the application and kept after erasure: it must not contain personal data. Failing members are named consent.<member> in the 422's details.",
        "required": ["purpose", "given_at", "text_version"],
        "properties": {
          "purpose": {"type": "string", "minLength": 1, "maxLength": 64, "pattern": "^[^\\u0000-\\u001f\\u007f-\\u009f]*$",
                      "description": "What the applicant agreed to: 1-64 characters (kept as sent, not trimmed), no control characters (C0, DEL, C1)", "example": "credit-prequalification"},
          "given_at": {"type": "string", "format": "date-time",
                       "description": "When it was given: an RFC 3339 date-time with a time zone, not more than 5 minutes in the future (clock skew)", "example": "2026-12-04T10:00:00Z"},
          "text_version": {"type": "string", "minLength": 1, "maxLength": 64, "pattern": "^[^\\u0000-\\u001f\\u007f-\\u009f]*$",
                           "description": "Which version of the consent text was shown: 1-64 characters, no control characters", "example": "v3"},
          "channel": {"type": "string", "minLength": 1, "maxLength": 32, "pattern": "^[^\\u0000-\\u001f\\u007f-\\u009f]*$",
                      "description": "Where it was given: 1-32 characters, no control characters", "example": "web"}
        }
      },
      "Accepted": {"type": "object", "required": ["application_id", "status"],
                   "properties": {"application_id": {"type": "string", "format": "uuid"}, "status": {"type": "string", "enum": ["PENDING"]}}},
      "Status": {
        "type": "object",
        "required": ["application_id", "status", "cibil_score", "pan_number_masked", "decision_reason", "max_approved_amount_inr", "reason_codes", "ruleset_version", "personal_data", "consent_recorded", "version", "decided_by", "created_at", "updated_at"],
        "properties": {
          "application_id": {"type": "string", "format": "uuid"},
          "status": {"type": "string", "enum": ["PENDING", "PRE_APPROVED", "REJECTED", "MANUAL_REVIEW"]},
          "cibil_score": {"type": "integer", "nullable": true, "minimum": 300, "maximum": 900},
          "pan_number_masked": {"type": "string", "nullable": true, "description": "null once the personal data is erased", "example": "XXXXXX234F"},
          "personal_data": {"type": "string", "enum": ["PRESENT", "ERASED"]},
          "consent_recorded": {"type": "boolean", "description": "The application was submitted with a consent object (stays true after erasure)"},
          "decision_reason": {"type": "string", "nullable": true},
          "max_approved_amount_inr": {"type": "string", "nullable": true, "example": "5760000.00"},
          "reason_codes": {"type": "array", "nullable": true, "description": "Why, machine-readable, in order; null while PENDING",
                           "items": {"$ref": "#/components/schemas/ReasonCode"},
                           "example": ["SCORE_AT_LEAST_650", "INCOME_ABOVE_LOAN_OVER_48"]},
          "ruleset_version": {"type": "string", "nullable": true, "description": "The rules that decided; null while PENDING and after a review", "example": "2026-12-04.1"},
          "version": {"type": "integer", "minimum": 1, "description": "Grows with every change; a review's expected_version"},
          "decided_by": {"type": "string", "nullable": true, "enum": ["rules", "review", null], "description": "Who made the current decision; null while PENDING"},
          "created_at": {"type": "string", "format": "date-time"},
          "updated_at": {"type": "string", "format": "date-time"}
        }
      },
      "ReasonCode": {"type": "string", "enum": ["SCORE_BELOW_650", "SCORE_AT_LEAST_650", "INCOME_ABOVE_LOAN_OVER_48", "INCOME_NOT_ABOVE_LOAN_OVER_48", "REVIEWED_APPROVED", "REVIEWED_REJECTED"]},
      "ReviewRequest": {
        "type": "object", "additionalProperties": false,
        "required": ["outcome", "reason", "reviewer", "expected_version"],
        "properties": {
          "outcome": {"type": "string", "enum": ["PRE_APPROVED", "REJECTED"]},
          "reason": {"type": "string", "minLength": 1, "maxLength": 500, "description": "1-500 characters after trimming; no control characters"},
          "reviewer": {"type": "string", "minLength": 1, "maxLength": 100, "description": "1-100 characters after trimming; no control characters"},
          "expected_version": {"type": "integer", "minimum": 1, "maximum": 2147483647, "description": "The status body's version"}
        }
      },
      "ReviewResult": {
        "type": "object",
        "required": ["application_id", "status", "version", "decided_by", "reason_codes", "decision_reason", "reviewer", "max_approved_amount_inr"],
        "properties": {
          "application_id": {"type": "string", "format": "uuid"},
          "status": {"type": "string", "enum": ["PRE_APPROVED", "REJECTED"]},
          "version": {"type": "integer", "minimum": 1},
          "decided_by": {"type": "string", "enum": ["review"]},
          "reason_codes": {"type": "array", "items": {"$ref": "#/components/schemas/ReasonCode"}},
          "decision_reason": {"type": "string"},
          "reviewer": {"type": "string"},
          "max_approved_amount_inr": {"type": "string", "nullable": true, "example": "3840000.00"}
        }
      },
      "Decision": {
        "type": "object",
        "required": ["version", "status", "decided_by", "reason_codes", "decision_reason", "decided_at"],
        "properties": {
          "version": {"type": "integer", "minimum": 1, "description": "The application's version this decision produced"},
          "status": {"type": "string", "enum": ["PRE_APPROVED", "REJECTED", "MANUAL_REVIEW"]},
          "decided_by": {"type": "string", "enum": ["rules", "review"]},
          "reason_codes": {"type": "array", "items": {"$ref": "#/components/schemas/ReasonCode"}},
          "decision_reason": {"type": "string"},
          "ruleset_version": {"type": "string", "description": "Rules decisions only"},
          "reviewer": {"type": "string", "description": "Reviews only"},
          "decided_at": {"type": "string", "format": "date-time"}
        }
      },
      "DecisionHistory": {"type": "object", "required": ["application_id", "decisions"],
                          "properties": {"application_id": {"type": "string", "format": "uuid"},
                                         "decisions": {"type": "array", "items": {"$ref": "#/components/schemas/Decision"}}}},
      "DecisionEvent": {
        "type": "object",
        "required": ["event_id", "message_id", "message_version", "event_type", "occurred_at", "application_id", "client", "status", "cibil_score", "reason_codes", "ruleset_version", "max_approved_amount_inr", "decided_by"],
        "properties": {
          "event_id": {"type": "string", "format": "uuid", "description": "= message_id; receivers dedupe by it"},
          "message_id": {"type": "string", "format": "uuid"},
          "message_version": {"type": "integer", "enum": [1]},
          "event_type": {"type": "string", "enum": ["application_decided"]},
          "occurred_at": {"type": "string", "format": "date-time"},
          "application_id": {"type": "string", "format": "uuid"},
          "request_id": {"type": "string"},
          "client": {"type": "string"},
          "status": {"type": "string", "enum": ["PRE_APPROVED", "REJECTED", "MANUAL_REVIEW"]},
          "cibil_score": {"type": "integer", "nullable": true, "minimum": 300, "maximum": 900},
          "reason_codes": {"type": "array", "items": {"$ref": "#/components/schemas/ReasonCode"}},
          "ruleset_version": {"type": "string", "nullable": true},
          "max_approved_amount_inr": {"type": "string", "nullable": true},
          "decided_by": {"type": "string", "enum": ["rules", "review"]}
        }
      },
      "EventPage": {"type": "object", "required": ["events", "next"],
                    "properties": {"events": {"type": "array", "items": {"$ref": "#/components/schemas/DecisionEvent"}},
                                   "next": {"type": "string", "description": "The cursor to pass as after for the next page"}}},
      "Error": {
        "type": "object", "required": ["error_code", "message", "details", "request_id", "timestamp", "path"],
        "properties": {
          "error_code": {"type": "string", "enum": ["MALFORMED_JSON", "UNAUTHORIZED", "FORBIDDEN", "NOT_FOUND", "METHOD_NOT_ALLOWED",
            "DUPLICATE_APPLICATION", "VERSION_CONFLICT", "NOT_REVIEWABLE", "PAYLOAD_TOO_LARGE", "UNSUPPORTED_MEDIA_TYPE", "VALIDATION_ERROR",
            "IDEMPOTENCY_KEY_REUSED", "RATE_LIMITED", "INTERNAL_ERROR", "SERVICE_UNAVAILABLE"]},
          "message": {"type": "string"},
          "details": {"type": "array", "items": {"type": "object", "properties": {"field": {"type": "string"}, "issue": {"type": "string"}}}},
          "request_id": {"type": "string"},
          "timestamp": {"type": "string", "format": "date-time"},
          "path": {"type": "string"}
        }
      }
    },
    "securitySchemes": {
      "bearerAuth": {"type": "http", "scheme": "bearer", "bearerFormat": "pq_<key id>_<secret>",
                     "description": "An API key from `prequal apikey create`, as `Authorization: Bearer <key>`. Scopes: applications:write, applications:read, applications:review, personal-data:erase. Not required when the server runs with --auth=none (the default on a loopback address)."}
    },
    "parameters": {
      "Traceparent": {"name": "traceparent", "in": "header", "required": false,
                      "description": "W3C Trace Context: the caller's trace, which prequal continues (its logs, events and webhooks carry the trace id). A missing or malformed value starts a new trace; it is never an error (docs/tracing.md).",
                      "schema": {"type": "string"}, "example": "00-4bf92f3577b34da6a3ce929d0e0e4736-00f067aa0ba902b7-01"},
      "Tracestate": {"name": "tracestate", "in": "header", "required": false,
                     "description": "W3C Trace Context vendor state, carried along with the trace; dropped when malformed or longer than 512 characters.",
                     "schema": {"type": "string"}}
    },
    "headers": {
      "Traceparent": {"description": "W3C Trace Context: the trace of this request with prequal's span as the parent (the caller's trace id when it sent a valid traceparent)",
                      "schema": {"type": "string", "pattern": "^00-[0-9a-f]{32}-[0-9a-f]{16}-[0-9a-f]{2}$"}},
      "RateLimit-Limit": {"description": "The key's burst capacity (requests); absent for an unlimited key", "schema": {"type": "integer", "minimum": 1}},
      "RateLimit-Remaining": {"description": "Requests left in the key's bucket on this replica", "schema": {"type": "integer", "minimum": 0}},
      "RateLimit-Reset": {"description": "Seconds until the bucket is full again", "schema": {"type": "integer", "minimum": 0}},
      "Retry-After": {"description": "Whole seconds to wait (at least 1)", "schema": {"type": "integer", "minimum": 1}}
    },
    "responses": {
      "Error": {"description": "An error (see error_code)", "headers": {"traceparent": {"$ref": "#/components/headers/Traceparent"}, "X-Request-ID": {"schema": {"type": "string"}}},
                "content": {"application/json": {"schema": {"$ref": "#/components/schemas/Error"}}}},
      "Unavailable": {"description": "SERVICE_UNAVAILABLE: the database is unreachable, the process is draining, or admission control sheds load because too many applications wait for a decision (serve --max-pending, --max-pending-age-seconds); retry after Retry-After seconds",
                      "headers": {"traceparent": {"$ref": "#/components/headers/Traceparent"}, "X-Request-ID": {"schema": {"type": "string"}},
                                  "Retry-After": {"description": "Seconds to wait before retrying (admission control: 5; database unavailable: 1)", "schema": {"type": "integer", "minimum": 1}}},
                      "content": {"application/json": {"schema": {"$ref": "#/components/schemas/Error"}}}},
      "Unauthorized": {"description": "UNAUTHORIZED: no single well-formed Bearer credential, or an unknown, revoked or expired key",
                       "headers": {"traceparent": {"$ref": "#/components/headers/Traceparent"}, "X-Request-ID": {"schema": {"type": "string"}},
                                   "WWW-Authenticate": {"schema": {"type": "string", "enum": ["Bearer realm=\"prequal\""]}}},
                       "content": {"application/json": {"schema": {"$ref": "#/components/schemas/Error"}}}},
      "Forbidden": {"description": "FORBIDDEN: the key lacks the operation's scope",
                    "headers": {"traceparent": {"$ref": "#/components/headers/Traceparent"}, "X-Request-ID": {"schema": {"type": "string"}},
                                "RateLimit-Limit": {"$ref": "#/components/headers/RateLimit-Limit"},
                                "RateLimit-Remaining": {"$ref": "#/components/headers/RateLimit-Remaining"},
                                "RateLimit-Reset": {"$ref": "#/components/headers/RateLimit-Reset"}},
                    "content": {"application/json": {"schema": {"$ref": "#/components/schemas/Error"}}}},
      "RateLimited": {"description": "RATE_LIMITED: the key's token bucket is empty",
                      "headers": {"traceparent": {"$ref": "#/components/headers/Traceparent"}, "X-Request-ID": {"schema": {"type": "string"}},
                                  "Retry-After": {"$ref": "#/components/headers/Retry-After"},
                                  "RateLimit-Limit": {"$ref": "#/components/headers/RateLimit-Limit"},
                                  "RateLimit-Remaining": {"$ref": "#/components/headers/RateLimit-Remaining"},
                                  "RateLimit-Reset": {"$ref": "#/components/headers/RateLimit-Reset"}},
                      "content": {"application/json": {"schema": {"$ref": "#/components/schemas/Error"}}}}
    }
  }
})JSON";
    return doc;
}

}  // namespace prequal::api
