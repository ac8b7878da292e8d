// A bus message: topic, key (the application id; ordering is per key), JSON payload and headers.
#pragma once

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

/// The dead-letter topic of `topic`.
inline std::string dlq_topic(std::string_view topic) { return std::string(topic) + "_dlq"; }

}  // namespace prequal::bus
