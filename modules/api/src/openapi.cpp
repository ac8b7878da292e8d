// The OpenAPI 3 description of the HTTP contract, served at /openapi.json.
#include <prequal/api/openapi.hpp>

namespace prequal::api {

const std::string& openapi_document() {
    static const std::string doc = R"JSON({
  "openapi": "3.0.3",
  "info": {"title": "prequal", "version": "1.0.0",
           "description": "Loan prequalification: submit an application, read its decision."},
  "paths": {
    "/applications": {
      "post": {
        "summary": "Submit a loan application for prequalification",
        "parameters": [{"name": "Idempotency-Key", "in": "header", "required": false,
                        "schema": {"type": "string", "minLength": 1, "maxLength": 255}}],
        "requestBody": {"required": true, "content": {"application/json": {"schema": {"$ref": "#/components/schemas/ApplicationRequest"}}}},
        "responses": {
          "202": {"description": "Accepted; the decision follows asynchronously",
                  "headers": {"Location": {"schema": {"type": "string"}}},
                  "content": {"application/json": {"schema": {"$ref": "#/components/schemas/Accepted"}}}},
          "400": {"$ref": "#/components/responses/Error"},
          "409": {"$ref": "#/components/responses/Error"},
          "413": {"$ref": "#/components/responses/Error"},
          "415": {"$ref": "#/components/responses/Error"},
          "422": {"$ref": "#/components/responses/Error"},
          "503": {"$ref": "#/components/responses/Unavailable"}
        }
      }
    },
    "/applications/{application_id}/status": {
      "get": {
        "summary": "Read an application's status and decision",
        "parameters": [{"name": "application_id", "in": "path", "required": true, "schema": {"type": "string", "format": "uuid"}}],
        "responses": {
          "200": {"description": "The application", "content": {"application/json": {"schema": {"$ref": "#/components/schemas/Status"}}}},
          "404": {"$ref": "#/components/responses/Error"},
          "422": {"$ref": "#/components/responses/Error"},
          "503": {"$ref": "#/components/responses/Error"}
        }
      }
    },
    "/health": {"get": {"summary": "Liveness", "responses": {"200": {"description": "The process runs"}}}},
    "/ready": {"get": {"summary": "Readiness (database, bus, not draining)",
                       "responses": {"200": {"description": "Ready"}, "503": {"description": "Not ready"}}}},
    "/metrics": {"get": {"summary": "Prometheus metrics", "responses": {"200": {"description": "Text exposition format 0.0.4",
                 "content": {"text/plain": {"schema": {"type": "string"}}}}}}},
    "/openapi.json": {"get": {"summary": "This document", "responses": {"200": {"description": "OpenAPI 3 document"}}}}
  },
  "components": {
    "schemas": {
      "Money": {"oneOf": [{"type": "number", "multipleOf": 0.01}, {"type": "string", "pattern": "^-?[0-9]+(\\.[0-9]{1,2})?$"}]},
      "ApplicationRequest": {
        "type": "object", "additionalProperties": false,
        "required": ["pan_number", "monthly_income_inr", "loan_amount_inr"],
        "properties": {
          "pan_number": {"type": "string", "pattern": "^[A-Z]{5}[0-9]{4}[A-Z]$"},
          "applicant_name": {"type": "string", "minLength": 1, "maxLength": 255},
          "monthly_income_inr": {"allOf": [{"$ref": "#/components/schemas/Money"}], "description": "0 <= x <= 100000000"},
          "loan_amount_inr": {"allOf": [{"$ref": "#/components/schemas/Money"}], "description": "0 < x <= 100000000"},
          "loan_type": {"type": "string", "enum": ["PERSONAL", "HOME", "AUTO"]}
        }
      },
      "Accepted": {"type": "object", "required": ["application_id", "status"],
                   "properties": {"application_id": {"type": "string", "format": "uuid"}, "status": {"type": "string", "enum": ["PENDING"]}}},
      "Status": {
        "type": "object",
        "required": ["application_id", "status", "cibil_score", "pan_number_masked", "decision_reason", "max_approved_amount_inr", "created_at", "updated_at"],
        "properties": {
          "application_id": {"type": "string", "format": "uuid"},
          "status": {"type": "string", "enum": ["PENDING", "PRE_APPROVED", "REJECTED", "MANUAL_REVIEW"]},
          "cibil_score": {"type": "integer", "nullable": true, "minimum": 300, "maximum": 900},
          "pan_number_masked": {"type": "string", "example": "XXXXXX234F"},
          "decision_reason": {"type": "string", "nullable": true},
          "max_approved_amount_inr": {"type": "string", "nullable": true, "example": "5760000.00"},
          "created_at": {"type": "string", "format": "date-time"},
          "updated_at": {"type": "string", "format": "date-time"}
        }
      },
      "Error": {
        "type": "object", "required": ["error_code", "message", "details", "request_id", "timestamp", "path"],
        "properties": {
          "error_code": {"type": "string", "enum": ["MALFORMED_JSON", "UNAUTHORIZED", "NOT_FOUND", "METHOD_NOT_ALLOWED",
            "DUPLICATE_APPLICATION", "PAYLOAD_TOO_LARGE", "UNSUPPORTED_MEDIA_TYPE", "VALIDATION_ERROR",
            "IDEMPOTENCY_KEY_REUSED", "RATE_LIMITED", "INTERNAL_ERROR", "SERVICE_UNAVAILABLE"]},
          "message": {"type": "string"},
          "details": {"type": "array", "items": {"type": "object", "properties": {"field": {"type": "string"}, "issue": {"type": "string"}}}},
          "request_id": {"type": "string"},
          "timestamp": {"type": "string", "format": "date-time"},
          "path": {"type": "string"}
        }
      }
    },
    "responses": {
      "Error": {"description": "An error (see error_code)", "headers": {"X-Request-ID": {"schema": {"type": "string"}}},
                "content": {"application/json": {"schema": {"$ref": "#/components/schemas/Error"}}}},
      "Unavailable": {"description": "SERVICE_UNAVAILABLE: the database is unreachable, the process is draining, or admission control sheds load because too many applications wait for a decision (serve --max-pending, --max-pending-age-seconds); retry after Retry-After seconds",
                      "headers": {"X-Request-ID": {"schema": {"type": "string"}},
                                  "Retry-After": {"description": "Seconds to wait before retrying (admission control: 5; database unavailable: 1)", "schema": {"type": "integer", "minimum": 1}}},
                      "content": {"application/json": {"schema": {"$ref": "#/components/schemas/Error"}}}}
    }
  }
})JSON";
    return doc;
}

}  // namespace prequal::api
