// JSON-lines logger: each record is formatted into one buffer and written with a single write(2), so
// concurrent lines never interleave.
#include <prequal/core/clock.hpp>
#include <prequal/core/logger.hpp>

#include <unistd.h>

#include <cstdio>

namespace prequal::core {
namespace {

class stderr_sink final : public log_sink {
public:
    void write_line(std::string_view line) override {
        const char* p = line.data();
        std::size_t left = line.size();
        while (left > 0) {
            ssize_t n = ::write(STDERR_FILENO, p, left);
            if (n <= 0) return;  // nowhere to report a failing stderr
            p += n;
            left -= static_cast<std::size_t>(n);
        }
    }
};

std::string_view level_name(log_level l) {
    switch (l) {
        case log_level::debug:
            return "debug";
        case log_level::info:
            return "info";
        case log_level::warn:
            return "warn";
        case log_level::error:
            return "error";
    }
    return "info";
}

}  // namespace

bool parse_log_level(std::string_view text, log_level& out) {
    for (auto l : {log_level::debug, log_level::info, log_level::warn, log_level::error}) {
        if (text == level_name(l)) {
            out = l;
            return true;
        }
    }
    return false;
}

void append_json_escaped(std::string& out, std::string_view text) {
    static constexpr char hex[] = "0123456789abcdef";
    for (unsigned char c : text) {
        switch (c) {
            case '"':
                out += "\\\"";
                break;
            case '\\':
                out += "\\\\";
                break;
            case '\n':
                out += "\\n";
                break;
            case '\r':
                out += "\\r";
                break;
            case '\t':
                out += "\\t";
                break;
            default:
                if (c < 0x20 || c == 0x7f) {
                    out += "\\u00";
                    out += hex[c >> 4];
                    out += hex[c & 0xf];
                } else {
                    out += static_cast<char>(c);
                }
        }
    }
}

logger::logger(std::string module, log_level min_level, std::shared_ptr<log_sink> sink)
    : module_{std::move(module)},
      min_level_{min_level},
      sink_{sink ? std::move(sink) : std::make_shared<stderr_sink>()} {}

logger logger::child(std::string module) const {
    logger out{std::move(module), min_level_, sink_};
    out.trace_fields_ = trace_fields_;
    return out;
}

logger logger::with_trace(const trace_context& trace) const {
    logger out = *this;
    out.trace_fields_.clear();
    if (trace.empty()) return out;
    // Formatted once per unit of work, not per line; the ids are validated hex, but escape anyway.
    out.trace_fields_ += ",\"trace_id\":\"";
    append_json_escaped(out.trace_fields_, trace.trace_id);
    out.trace_fields_ += "\",\"span_id\":\"";
    append_json_escaped(out.trace_fields_, trace.span_id);
    out.trace_fields_ += "\",\"trace_flags\":\"";
    append_json_escaped(out.trace_fields_, trace.flags);
    out.trace_fields_ += '"';
    return out;
}

void logger::log(log_level level, std::string_view message, std::initializer_list<log_field> fields) const {
    if (!enabled(level)) return;
    std::string line;
    line.reserve(128 + message.size());
    line += "{\"time\":\"";
    line += now_utc_millis();
    line += "\",\"level\":\"";
    line += level_name(level);
    line += "\",\"module\":\"";
    append_json_escaped(line, module_);
    line += "\",\"message\":\"";
    append_json_escaped(line, message);
    line += '"';
    line += trace_fields_;
    for (const auto& [key, value] : fields) {
        line += ",\"";
        append_json_escaped(line, key);
        line += "\":\"";
        append_json_escaped(line, value);
        line += '"';
    }
    line += "}\n";
    sink_->write_line(line);
}

}  // namespace prequal::core
