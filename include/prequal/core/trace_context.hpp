// W3C Trace Context (https://www.w3.org/TR/trace-context/): parsing and formatting of `traceparent` and
// `tracestate`, and the context of one unit of work (an HTTP request, a consumed message). No exporter: the
// ids reach operators through the JSON log lines (docs/tracing.md).
#pragma once

#include <cstddef>
#include <optional>
#include <string>
#include <string_view>

namespace prequal::core {

/// The fields of a valid `traceparent`, as lowercase hex.
struct traceparent_fields {
    std::string trace_id;   // 32 hex digits, not all zero
    std::string parent_id;  // 16 hex digits, not all zero: the caller's span
    std::string flags;      // 2 hex digits (01 = sampled)
};

/// Parses a `traceparent` value per the W3C rules: version 00 exactly ("00-<32 hex>-<16 hex>-<2 hex>"),
/// lowercase hex only, ids not all zero, version ff invalid; a higher version is parsed by its version-00
/// prefix (at least 55 characters, followed by the end or '-'). nullopt when invalid.
std::optional<traceparent_fields> parse_traceparent(std::string_view value);

/// The longest `tracestate` kept: a longer one is dropped rather than truncated (truncating could cut a
/// member in half).
inline constexpr std::size_t max_tracestate_size = 512;

/// True for a well-formed `tracestate` of at most max_tracestate_size characters: 1–32 comma-separated
/// `key=value` members (optional whitespace around them, empty members allowed), keys per the W3C grammar
/// (including `tenant@system`) and unique, values of printable ASCII without ',' or '=' not ending in a
/// space.
bool is_valid_tracestate(std::string_view value);

/// The trace context of one unit of work: which trace it belongs to and its own span.
struct trace_context {
    std::string trace_id;   // 32 lowercase hex digits
    std::string span_id;    // 16 lowercase hex digits: this unit of work
    std::string parent_id;  // the caller's span, or empty at the root of a trace
    std::string flags = "00";
    std::string tracestate;  // opaque, forwarded as received (valid or empty)

    bool empty() const { return trace_id.empty(); }
    /// `00-<trace_id>-<span_id>-<flags>`: what a callee receives from this unit of work ("" when empty()).
    std::string traceparent() const;
};

/// The span `traceparent` names (its parent-id as span_id, no tracestate), for lines written about work of
/// that span elsewhere: the bus's lines about a message, the webhook dispatcher's about a delivery. Empty
/// when `traceparent` is invalid.
trace_context context_of(std::string_view traceparent);

/// 16 random lowercase hex digits, not all zero.
std::string new_span_id();

/// A new trace: random trace id (not all zero), a new span, no parent, flags 00.
trace_context new_trace();

/// The context of work done on behalf of a caller that sent `traceparent` and `tracestate`: the caller's
/// trace with a new span whose parent is the caller's span. When `traceparent` is invalid (or absent) a new
/// trace is started and `tracestate` is ignored; an invalid `tracestate` alone is dropped.
trace_context continue_trace(std::string_view traceparent, std::string_view tracestate);

}  // namespace prequal::core
