// Wall-clock formatting used by logs and error bodies.
#pragma once

#include <chrono>
#include <string>

namespace prequal::core {

/// "2026-11-21T10:00:00.123Z" (UTC, millisecond precision).
std::string format_utc_millis(std::chrono::system_clock::time_point t);
inline std::string now_utc_millis() { return format_utc_millis(std::chrono::system_clock::now()); }

}  // namespace prequal::core
