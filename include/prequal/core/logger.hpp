// Structured JSON-lines logger. One object per line: time, level, module, message, extra fields.
// A logger is passed in (never a global); child() derives one for a module, with_trace() one whose lines
// carry a trace context (docs/tracing.md). Thread-safe.
#pragma once

#include <prequal/core/trace_context.hpp>

#include <initializer_list>
#include <memory>
#include <string>
#include <string_view>
#include <utility>

namespace prequal::core {

enum class log_level { debug = 0, info = 1, warn = 2, error = 3 };

/// Parses "debug|info|warn|error"; returns false on anything else.
bool parse_log_level(std::string_view text, log_level& out);

/// Where log lines go. The default writes each line with one write(2) to stderr.
class log_sink {
public:
    virtual ~log_sink() = default;
    virtual void write_line(std::string_view line) = 0;
};

using log_field = std::pair<std::string_view, std::string_view>;

class logger {
public:
    /// A logger for `module` writing lines at or above `min_level` to `sink` (stderr when null).
    explicit logger(std::string module = "prequal", log_level min_level = log_level::info,
                    std::shared_ptr<log_sink> sink = nullptr);

    /// The same sink and level, another module name.
    logger child(std::string module) const;

    /// The same logger whose every line also carries `trace_id`, `span_id` and `trace_flags` (the
    /// OpenTelemetry log data model's names) of `trace`, after `message`. An empty `trace` adds nothing.
    logger with_trace(const trace_context& trace) const;

    bool enabled(log_level level) const { return level >= min_level_; }
    void log(log_level level, std::string_view message, std::initializer_list<log_field> fields = {}) const;
    void debug(std::string_view m, std::initializer_list<log_field> f = {}) const {
        log(log_level::debug, m, f);
    }
    void info(std::string_view m, std::initializer_list<log_field> f = {}) const {
        log(log_level::info, m, f);
    }
    void warn(std::string_view m, std::initializer_list<log_field> f = {}) const {
        log(log_level::warn, m, f);
    }
    void error(std::string_view m, std::initializer_list<log_field> f = {}) const {
        log(log_level::error, m, f);
    }

private:
    std::string module_;
    log_level min_level_;
    std::shared_ptr<log_sink> sink_;
    std::string trace_fields_;  // the trace's fields as JSON members, each preceded by ','; may be empty
};

/// Appends `text` to `out` as the inside of a JSON string (quotes not included).
void append_json_escaped(std::string& out, std::string_view text);

}  // namespace prequal::core
