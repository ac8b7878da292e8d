// The PostgreSQL NOTIFY channels the modules share (LISTEN/NOTIFY, delivered only when the sending
// transaction commits). Spelled once here so that every sender and every listener agree; header-only and
// free of the platform, like topics.hpp.
#pragma once

#include <string_view>

namespace prequal::events {

/// Sent in the transaction that records a final decision (the rules' and, later, an underwriter's);
/// payload: the application id. Wakes the long polls of GET .../status?wait=S on every replica.
inline constexpr std::string_view application_decided_channel = "application_decided";

}  // namespace prequal::events
