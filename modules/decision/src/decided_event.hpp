// The application_decided event (contract section 7), for the rules' decisions and for reviews alike.
// Carries no personal data: neither the PAN (not even encrypted) nor the name, nor the amounts applied for.
#pragma once

#include <prequal/core/money.hpp>

#include <optional>
#include <string>
#include <string_view>
#include <vector>

namespace prequal::decision::detail {

struct decided_fields {
    std::string_view message_id;
    std::string_view application_id;
    std::string_view request_id;
    std::string_view client;
    std::string_view status;
    std::optional<std::int64_t> cibil_score;
    const std::vector<std::string_view>& reason_codes;
    std::optional<std::string_view> ruleset_version;  // none for a review
    std::optional<core::money> max_approved;
    std::string_view decided_by;  // "rules" or "review"
};

/// The event's message value (prequal/bus/envelope.hpp), occurring now.
std::string decided_event(const decided_fields& f);

}  // namespace prequal::decision::detail
