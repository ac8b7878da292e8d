// The names of the events the modules exchange (contract section 3): the default topics, their dead-letter
// topics and the event types they carry. Spelled once here; configuration may rename the topics, never the
// event types. Header-only and free of the platform: modules, the composition root and test fixtures share
// it without depending on each other.
#pragma once

#include <string_view>

namespace prequal::events {

/// loan_application_submitted events, written by the api module, read by the credit module.
inline constexpr std::string_view submitted_topic = "loan_applications_submitted";
/// credit_report_generated events, written by the credit module, read by the decision module.
inline constexpr std::string_view credit_reports_topic = "credit_reports_generated";
/// application_decided events, written by the decision module for clients and downstream systems
/// (contract section 7); nothing in prequal consumes them yet.
inline constexpr std::string_view decided_topic = "loan_applications_decided";

/// Where the bus moves what a consumer group gave up on (bus::dlq_topic of the topic above).
inline constexpr std::string_view submitted_dlq_topic = "loan_applications_submitted_dlq";
inline constexpr std::string_view credit_reports_dlq_topic = "credit_reports_generated_dlq";

/// The event_type of each topic's messages.
inline constexpr std::string_view application_submitted = "loan_application_submitted";
inline constexpr std::string_view credit_report_generated = "credit_report_generated";
inline constexpr std::string_view application_decided = "application_decided";

}  // namespace prequal::events
