// Reading a `prequal serve` log file (JSON lines) by trace, for the trace-context tests of both buses.
#pragma once

#include <boost/json/object.hpp>

#include <chrono>
#include <cstdint>
#include <functional>
#include <string>
#include <vector>

namespace prequal::test {

/// The JSON log lines of `file` whose trace_id is `trace_id`, in order (lines that are not JSON skipped).
std::vector<boost::json::object> lines_of_trace(const std::string& file, const std::string& trace_id);

/// The first line of `lines` from `module` with `message`; nullptr when none.
const boost::json::object* find_line(const std::vector<boost::json::object>& lines, const std::string& module,
                                     const std::string& message);

/// Re-reads `file` (bounded by `timeout`) until a line of `trace_id` from `module` with `message` is there;
/// returns that line, REQUIRing that it came.
boost::json::object wait_for_line(const std::string& file, const std::string& trace_id,
                                  const std::string& module, const std::string& message,
                                  std::chrono::seconds timeout = std::chrono::seconds{30});

/// The spans the credit and decision modules worked in for one application.
struct pipeline_spans {
    std::string credit;
    std::string decision;
};
/// Waits for the credit and decision modules' lines about `application_id` in `file` under `trace_id`, and
/// CHECKs that each continued the trace in a span of its own (16 hex digits, unlike `api_span` and each
/// other's).
pipeline_spans check_pipeline_spans(const std::string& file, const std::string& trace_id,
                                    const std::string& api_span, const std::string& application_id);

/// A fresh path for a child's log under the temporary directory.
std::string temp_log_path(const std::string& name);

/// The string field `key` of a log line ("" when absent).
std::string field(const boost::json::object& line, const std::string& key);

/// Polls GET /applications/{id}/status on `port` until the status is not PENDING; REQUIREs it within
/// `timeout`.
void wait_decided(std::uint16_t port, const std::string& id, std::chrono::seconds timeout);

}  // namespace prequal::test
