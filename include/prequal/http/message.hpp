// HTTP request/response as plain structs, so handlers and their tests need no Beast headers.
#pragma once

#include <prequal/core/trace_context.hpp>

#include <optional>
#include <string>
#include <string_view>
#include <utility>
#include <vector>

namespace prequal::http {

using header_list = std::vector<std::pair<std::string, std::string>>;

/// Case-insensitive header lookup; returns nullptr when absent.
const std::string* find_header(const header_list& headers, std::string_view name);

struct request {
    std::string method;  // "GET", "POST", …
    std::string target;  // as received, e.g. "/applications?x=1"
    std::string path;    // target without the query string
    header_list headers;
    std::string body;
    std::string request_id;  // X-Request-ID after validation (client's well-formed one, else a fresh UUID)
    // The server's span of the client's trace (W3C traceparent/tracestate; a new trace when absent or
    // invalid). Log with `log.with_trace(req.trace)`; events written for the request carry it.
    core::trace_context trace;
    std::vector<std::pair<std::string, std::string>> path_params;  // filled by the router
    std::string client;  // the authenticated client, set by the router's guard (empty on public routes)
    // The matched route's pattern ("/applications/{application_id}/status"), set by the router: a bounded
    // label for the request metrics, never the raw path. Empty when no route matched.
    std::string route;

    const std::string* header(std::string_view name) const { return find_header(headers, name); }
    std::string_view path_param(std::string_view name) const;
};

struct response {
    unsigned status = 200;
    header_list headers;  // Content-Type defaults to application/json; charset=utf-8 when absent
    std::string body;

    void set_header(std::string name, std::string value);
};

/// True for a well-formed client request id: 1–128 printable ASCII characters (0x21–0x7E and space inside).
bool is_valid_request_id(std::string_view id);

/// Percent-decoding of one query component ('+' is a space); nullopt when an escape is malformed.
std::optional<std::string> percent_decoded(std::string_view component);

/// One `name=value` pair of a query string, each side percent-decoded (nullopt: a malformed escape). A pair
/// without '=' has the value "".
struct query_parameter {
    std::optional<std::string> name;
    std::optional<std::string> value;
};

/// The pairs of a request target's query string (after '?', before any '#'), in order, repeats kept; empty
/// pieces between '&' are skipped. Handlers decide what a repeat or a malformed escape means for them.
std::vector<query_parameter> query_parameters(std::string_view target);

}  // namespace prequal::http
