// A bus message: topic, key (the application id; ordering is per key), JSON payload and headers.
#pragma once

#include <prequal/core/trace_context.hpp>

#include <string>
#include <string_view>
#include <utility>
#include <vector>

namespace prequal::bus {

struct message {
    std::string topic;
    std::string key;
    std::string payload;
    std::vector<std::pair<std::string, std::string>> headers;  // message_id, event_type, … (strings)
    int delivery_attempt = 1;  // set by the bus on delivery: 1 on first delivery, 2 on first redelivery, …

    /// Replaces the header's value, or appends the header.
    void set_header(std::string_view name, std::string value) {
        for (auto& [k, v] : headers)
            if (k == name) {
                v = std::move(value);
                return;
            }
        headers.emplace_back(std::string(name), std::move(value));
    }

    /// The header's value or empty.
    std::string_view header(std::string_view name) const {
        for (const auto& [k, v] : headers)
            if (k == name) return v;
        return {};
    }
};

/// The headers carrying the W3C trace context of the work that wrote the message (docs/tracing.md): on Kafka
/// they are record headers, on the memory bus entries of `message::headers`, like the other headers.
inline constexpr std::string_view traceparent_header = "traceparent";
inline constexpr std::string_view tracestate_header = "tracestate";

/// The context of a consumer's work on `m`: a new span, child of the producer's, in its trace; a new trace
/// when the message carries no valid traceparent (events written before migration 012, other producers).
inline core::trace_context trace_of(const message& m) {
    return core::continue_trace(m.header(traceparent_header), m.header(tracestate_header));
}

/// The dead-letter topic of `topic`.
inline std::string dlq_topic(std::string_view topic) { return std::string(topic) + "_dlq"; }

}  // namespace prequal::bus
