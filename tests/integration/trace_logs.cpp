// Log-file reading by trace id for the trace-context tests.
#include "trace_logs.hpp"

#include "http_client.hpp"

#include <prequal/core/ids.hpp>

#include <boost/json/parse.hpp>
#include <catch2/catch.hpp>

#include <filesystem>
#include <fstream>
#include <thread>

namespace prequal::test {

std::vector<boost::json::object> lines_of_trace(const std::string& file, const std::string& trace_id) {
    std::vector<boost::json::object> out;
    std::ifstream in{file};
    std::string line;
    while (std::getline(in, line)) {
        boost::json::error_code ec;
        auto v = boost::json::parse(line, ec);
        if (ec || !v.is_object()) continue;
        const auto* id = v.as_object().if_contains("trace_id");
        if (id && id->is_string() && id->as_string() == trace_id) out.push_back(std::move(v.as_object()));
    }
    return out;
}

std::string field(const boost::json::object& line, const std::string& key) {
    const auto* v = line.if_contains(key);
    return v && v->is_string() ? std::string(v->as_string()) : std::string();
}

const boost::json::object* find_line(const std::vector<boost::json::object>& lines, const std::string& module,
                                     const std::string& message) {
    for (const auto& l : lines)
        if (field(l, "module") == module && field(l, "message") == message) return &l;
    return nullptr;
}

boost::json::object wait_for_line(const std::string& file, const std::string& trace_id,
                                  const std::string& module, const std::string& message,
                                  std::chrono::seconds timeout) {
    const auto deadline = std::chrono::steady_clock::now() + timeout;
    for (;;) {
        const auto lines = lines_of_trace(file, trace_id);
        if (const auto* l = find_line(lines, module, message)) return *l;
        if (std::chrono::steady_clock::now() >= deadline) break;
        std::this_thread::sleep_for(std::chrono::milliseconds{100});
    }
    FAIL("no log line '" << message << "' of module " << module << " with trace " << trace_id << " in "
                         << file);
    return {};
}

std::string temp_log_path(const std::string& name) {
    return (std::filesystem::temp_directory_path() / ("prequal-" + name + "-" + core::new_uuid() + ".log"))
        .string();
}

void wait_decided(std::uint16_t port, const std::string& id, std::chrono::seconds timeout) {
    const auto deadline = std::chrono::steady_clock::now() + timeout;
    std::string last;
    while (std::chrono::steady_clock::now() < deadline) {
        const auto r = http_request(port, "GET", "/applications/" + id + "/status");
        last = r.body;
        if (r.status == 200 && r.body.find("\"PENDING\"") == std::string::npos) return;
        std::this_thread::sleep_for(std::chrono::milliseconds{100});
    }
    FAIL("application " << id << " not decided in time; last status: " << last);
}

pipeline_spans check_pipeline_spans(const std::string& file, const std::string& trace_id,
                                    const std::string& api_span, const std::string& application_id) {
    const auto credit = wait_for_line(file, trace_id, "credit", "credit report recorded");
    const auto decided = wait_for_line(file, trace_id, "decision", "application decided");
    pipeline_spans spans{field(credit, "span_id"), field(decided, "span_id")};
    CHECK(spans.credit.size() == 16);
    CHECK(spans.decision.size() == 16);
    CHECK(spans.credit != api_span);
    CHECK(spans.decision != spans.credit);
    CHECK(spans.decision != api_span);
    CHECK(field(credit, "application_id") == application_id);
    CHECK(field(decided, "application_id") == application_id);
    return spans;
}

}  // namespace prequal::test
