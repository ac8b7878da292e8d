// W3C Trace Context: traceparent parsing (every invalid form is refused, later versions are read by their
// version-00 prefix), tracestate validation, new and continued contexts, and the logger's trace fields.
#include <prequal/core/logger.hpp>
#include <prequal/core/trace_context.hpp>

#include <boost/json/parse.hpp>
#include <catch2/catch.hpp>

#include <memory>
#include <string>
#include <vector>

using namespace prequal::core;

namespace {

const std::string trace_id = "4bf92f3577b34da6a3ce929d0e0e4736";
const std::string parent_id = "00f067aa0ba902b7";
const std::string valid = "00-" + trace_id + "-" + parent_id + "-01";

bool is_lower_hex(const std::string& s, std::size_t size) {
    return s.size() == size && s.find_first_not_of("0123456789abcdef") == std::string::npos &&
           s.find_first_not_of('0') != std::string::npos;
}

}  // namespace

TEST_CASE("unit: trace: a version-00 traceparent is parsed into its fields", "[unit][trace]") {
    const auto f = parse_traceparent(valid);
    REQUIRE(f);
    CHECK(f->trace_id == trace_id);
    CHECK(f->parent_id == parent_id);
    CHECK(f->flags == "01");
    const auto unsampled = parse_traceparent("00-" + trace_id + "-" + parent_id + "-00");
    REQUIRE(unsampled);
    CHECK(unsampled->flags == "00");
}

TEST_CASE("unit: trace: every malformed traceparent is refused", "[unit][trace]") {
    const std::vector<std::string> invalid{
        "",
        "00",
        valid.substr(0, 54),                                          // one short
        valid + "-",                                                  // version 00 has nothing after
        valid + "0",                                                  // one long
        "00-" + std::string(32, '0') + "-" + parent_id + "-01",       // trace-id all zero
        "00-" + trace_id + "-" + std::string(16, '0') + "-01",        // parent-id all zero
        "00-4BF92F3577B34DA6A3CE929D0E0E4736-" + parent_id + "-01",   // upper-case trace-id
        "00-" + trace_id + "-00F067AA0BA902B7-01",                    // upper-case parent-id
        "00-" + trace_id + "-" + parent_id + "-0A",                   // upper-case flags
        "0A-" + trace_id + "-" + parent_id + "-01",                   // upper-case version
        "ff-" + trace_id + "-" + parent_id + "-01",                   // version ff is invalid
        "0g-" + trace_id + "-" + parent_id + "-01",                   // non-hex version
        "00-" + trace_id.substr(0, 31) + "x-" + parent_id + "-01",    // non-hex trace-id
        "00-" + trace_id + "-" + parent_id.substr(0, 15) + "z-01",    // non-hex parent-id
        "00-" + trace_id + "-" + parent_id + "-0x",                   // non-hex flags
        "00_" + trace_id + "-" + parent_id + "-01",                   // wrong separator
        "00-" + trace_id + "_" + parent_id + "-01",                   // wrong separator
        "00-" + trace_id + "-" + parent_id + "_01",                   // wrong separator
        "00-" + trace_id.substr(0, 30) + "-" + parent_id + "-01-00",  // short trace-id
        " 00-" + trace_id + "-" + parent_id + "-0",                   // shifted
        "00-" + trace_id + "-" + parent_id + "-01 ",                  // trailing space
    };
    for (const auto& v : invalid) {
        INFO("traceparent: '" << v << "'");
        CHECK_FALSE(parse_traceparent(v));
    }
}

TEST_CASE("unit: trace: a later version is read by its version-00 prefix", "[unit][trace]") {
    const auto same_length = parse_traceparent("cc-" + trace_id + "-" + parent_id + "-01");
    REQUIRE(same_length);
    CHECK(same_length->trace_id == trace_id);
    CHECK(same_length->parent_id == parent_id);
    CHECK(same_length->flags == "01");
    const auto with_more =
        parse_traceparent("01-" + trace_id + "-" + parent_id + "-01-what-the-future-holds");
    REQUIRE(with_more);
    CHECK(with_more->trace_id == trace_id);
    // After the flags a later version must continue with '-'.
    CHECK_FALSE(parse_traceparent("01-" + trace_id + "-" + parent_id + "-01x"));
    CHECK_FALSE(parse_traceparent("01-" + trace_id + "-" + parent_id + "-0"));
    // The prefix rules still hold.
    CHECK_FALSE(parse_traceparent("01-" + std::string(32, '0') + "-" + parent_id + "-01-x"));
    CHECK_FALSE(parse_traceparent("fe-" + trace_id + "-" + parent_id + "-0X"));
}

TEST_CASE("unit: trace: tracestate is kept when well-formed and bounded, refused otherwise",
          "[unit][trace]") {
    CHECK(is_valid_tracestate("congo=t61rcWkgMzE"));
    CHECK(is_valid_tracestate("rojo=00f067aa0ba902b7,congo=t61rcWkgMzE"));
    CHECK(is_valid_tracestate(" rojo=00f067aa0ba902b7 ,\tcongo=t61rcWkgMzE,"));  // OWS, empty member
    CHECK(is_valid_tracestate("tenant1@vendor=x"));
    CHECK(is_valid_tracestate("a-b_c*d/e=value with spaces"));
    std::string thirty_two;
    for (int i = 0; i < 32; ++i) thirty_two += (i ? "," : "") + std::string("k") + std::to_string(i) + "=v";
    CHECK(is_valid_tracestate(thirty_two));

    CHECK_FALSE(is_valid_tracestate(""));
    CHECK_FALSE(is_valid_tracestate(","));
    CHECK_FALSE(is_valid_tracestate("novalue"));
    CHECK_FALSE(is_valid_tracestate("Upper=x"));              // keys are lower case
    CHECK_FALSE(is_valid_tracestate("1abc=x"));               // a simple key starts with a letter
    CHECK_FALSE(is_valid_tracestate("k="));                   // empty value
    CHECK(is_valid_tracestate("k=trailing OWS \t"));          // whitespace after a member is list syntax
    CHECK_FALSE(is_valid_tracestate("k=a\tb"));               // a tab inside a value
    CHECK_FALSE(is_valid_tracestate("k=a=b"));                // '=' in the value
    CHECK_FALSE(is_valid_tracestate("k=v\x01"));              // control character
    CHECK_FALSE(is_valid_tracestate("k=v,k=w"));              // duplicate key
    CHECK_FALSE(is_valid_tracestate("t@=x"));                 // empty system id
    CHECK_FALSE(is_valid_tracestate(thirty_two + ",k32=v"));  // 33 members
    const std::string long_value(300, 'v');
    CHECK_FALSE(is_valid_tracestate("k=" + long_value));  // value over 256
    // Over the 512-character bound the whole header is dropped, even when each member is fine.
    std::string big = "a=" + std::string(250, 'v') + ",b=" + std::string(250, 'v');
    CHECK(big.size() <= max_tracestate_size);
    CHECK(is_valid_tracestate(big));
    big += ",c=" + std::string(20, 'v');
    CHECK(big.size() > max_tracestate_size);
    CHECK_FALSE(is_valid_tracestate(big));
}

TEST_CASE("unit: trace: a continued trace keeps the trace id and flags with a new span", "[unit][trace]") {
    const auto t = continue_trace(valid, "congo=t61rcWkgMzE");
    CHECK(t.trace_id == trace_id);
    CHECK(t.parent_id == parent_id);
    CHECK(t.flags == "01");
    CHECK(t.tracestate == "congo=t61rcWkgMzE");
    CHECK(is_lower_hex(t.span_id, 16));
    CHECK(t.span_id != parent_id);
    CHECK(t.traceparent() == "00-" + trace_id + "-" + t.span_id + "-01");
    CHECK(parse_traceparent(t.traceparent()));
    // Each continuation is a span of its own.
    CHECK(continue_trace(valid, "").span_id != t.span_id);
    // An invalid tracestate alone is dropped; the trace continues.
    const auto dropped = continue_trace(valid, "Bad=x");
    CHECK(dropped.trace_id == trace_id);
    CHECK(dropped.tracestate.empty());
    // A later version continues as version 00.
    const auto later = continue_trace("01-" + trace_id + "-" + parent_id + "-01-extra", "");
    CHECK(later.traceparent().rfind("00-" + trace_id + "-", 0) == 0);
}

TEST_CASE("unit: trace: an invalid or absent traceparent starts a new trace and ignores tracestate",
          "[unit][trace]") {
    for (const std::string bad :
         {std::string(), "ff-" + trace_id + "-" + parent_id + "-01", "00-" + trace_id + "-" + parent_id}) {
        INFO(bad);
        const auto t = continue_trace(bad, "congo=t61rcWkgMzE");
        CHECK(is_lower_hex(t.trace_id, 32));
        CHECK(t.trace_id != trace_id);
        CHECK(is_lower_hex(t.span_id, 16));
        CHECK(t.parent_id.empty());
        CHECK(t.flags == "00");
        CHECK(t.tracestate.empty());
        CHECK(parse_traceparent(t.traceparent()));
    }
    CHECK(new_trace().trace_id != new_trace().trace_id);
    CHECK(trace_context{}.traceparent().empty());
}

namespace {
struct lines_sink : log_sink {
    std::vector<std::string> lines;
    void write_line(std::string_view line) override { lines.emplace_back(line); }
};
}  // namespace

TEST_CASE("unit: trace: a logger with a trace puts trace_id, span_id and trace_flags on every line",
          "[unit][trace]") {
    auto sink = std::make_shared<lines_sink>();
    const logger plain{"api", log_level::debug, sink};
    const auto t = continue_trace(valid, "");
    const logger traced = plain.with_trace(t);
    traced.info("one", {{"request_id", "r1"}});
    traced.child("credit").debug("two");
    plain.info("three");
    plain.with_trace(trace_context{}).info("four");
    REQUIRE(sink->lines.size() == 4);
    for (int i = 0; i < 2; ++i) {
        const auto line = boost::json::parse(sink->lines[i]).as_object();
        CHECK(line.at("trace_id").as_string() == trace_id);
        CHECK(line.at("span_id").as_string() == t.span_id);
        CHECK(line.at("trace_flags").as_string() == "01");
    }
    CHECK(boost::json::parse(sink->lines[0]).as_object().at("request_id").as_string() == "r1");
    CHECK(boost::json::parse(sink->lines[1]).as_object().at("module").as_string() == "credit");
    for (int i = 2; i < 4; ++i) {
        const auto line = boost::json::parse(sink->lines[i]).as_object();
        CHECK_FALSE(line.contains("trace_id"));
        CHECK_FALSE(line.contains("span_id"));
    }
}

TEST_CASE("unit: trace: context_of names the span a traceparent carries", "[unit][trace]") {
    const auto t = context_of(valid);
    CHECK(t.trace_id == trace_id);
    CHECK(t.span_id == parent_id);
    CHECK(t.flags == "01");
    CHECK(t.traceparent() == valid);
    CHECK(context_of("00-" + trace_id + "-" + parent_id).empty());
    CHECK(context_of("").empty());
}
