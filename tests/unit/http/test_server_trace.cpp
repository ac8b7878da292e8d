// W3C Trace Context at the HTTP edge: the server continues the client's trace with a span of its own (or
// starts one), echoes it in `traceparent`, hands it to the handler and puts it on its log lines. Nothing
// about the trace headers ever makes a request fail.
#include "http_test_support.hpp"

#include <prequal/core/trace_context.hpp>

#include <boost/json/parse.hpp>
#include <catch2/catch.hpp>

#include <sstream>
#include <string>
#include <vector>

using namespace prequal;
using namespace prequal::http;
using namespace prequal::http::test;

namespace {

const std::string trace_id = "0af7651916cd43dd8448eb211c80319c";
const std::string parent_id = "b7ad6b7169203331";
const std::string sent = "00-" + trace_id + "-" + parent_id + "-01";

// GET /trace answers the context the handler saw; GET /boom throws; GET /claims sets its own traceparent.
router trace_router() {
    router r;
    r.add("GET", "/trace", [](request& req) -> boost::asio::awaitable<response> {
        response res;
        res.set_header("Content-Type", "text/plain");
        res.body = req.trace.trace_id + "|" + req.trace.span_id + "|" + req.trace.parent_id + "|" +
                   req.trace.flags + "|" + req.trace.tracestate;
        co_return res;
    });
    r.add("GET", "/boom", [](request&) -> boost::asio::awaitable<response> {
        throw std::runtime_error("handler failure");
        co_return response{};
    });
    r.add("GET", "/claims", [](request&) -> boost::asio::awaitable<response> {
        response res;
        res.set_header("traceparent", "00-" + std::string(32, 'a') + "-" + std::string(16, 'b') + "-01");
        co_return res;
    });
    return r;
}

struct seen_context {
    std::string trace_id, span_id, parent_id, flags, tracestate;
};

seen_context parse_seen(const std::string& body) {
    seen_context s;
    std::istringstream in{body};
    std::getline(in, s.trace_id, '|');
    std::getline(in, s.span_id, '|');
    std::getline(in, s.parent_id, '|');
    std::getline(in, s.flags, '|');
    std::getline(in, s.tracestate);
    return s;
}

http_reply get(std::uint16_t port, const std::string& target, const std::string& headers = {}) {
    raw_client client(port);
    REQUIRE(client.send(get_request(target, headers)));
    auto reply = client.read_response();
    REQUIRE(reply);
    return *reply;
}

// The response's traceparent, parsed; REQUIREs that it is there and valid.
core::traceparent_fields echoed(const http_reply& reply) {
    REQUIRE(reply.header("traceparent") != nullptr);
    auto f = core::parse_traceparent(*reply.header("traceparent"));
    REQUIRE(f);
    REQUIRE(reply.header("traceparent")->rfind("00-", 0) == 0);
    return *f;
}

}  // namespace

TEST_CASE("unit: http: a valid traceparent is continued with a new span and echoed", "[unit][http][trace]") {
    auto routes = trace_router();
    live_server srv({}, dispatch_to(routes));
    const auto reply =
        get(srv.port(), "/trace", "traceparent: " + sent + "\r\ntracestate: congo=t61rcWkgMzE\r\n");
    CHECK(reply.status == 200);
    const auto seen = parse_seen(reply.body);
    CHECK(seen.trace_id == trace_id);
    CHECK(seen.parent_id == parent_id);
    CHECK(seen.flags == "01");
    CHECK(seen.tracestate == "congo=t61rcWkgMzE");
    const auto back = echoed(reply);
    CHECK(back.trace_id == trace_id);
    CHECK(back.parent_id == seen.span_id);  // our span: the client's child
    CHECK(back.parent_id != parent_id);
    CHECK(back.flags == "01");
}

TEST_CASE("unit: http: without traceparent a new trace is started, echoed and logged",
          "[unit][http][trace]") {
    auto routes = trace_router();
    live_server srv({}, dispatch_to(routes));
    const auto reply = get(srv.port(), "/trace");
    const auto seen = parse_seen(reply.body);
    const auto back = echoed(reply);
    CHECK(back.trace_id == seen.trace_id);
    CHECK(back.parent_id == seen.span_id);
    CHECK(seen.trace_id.size() == 32);
    CHECK(seen.parent_id.empty());
    CHECK(seen.flags == "00");
    CHECK(get(srv.port(), "/trace").body != reply.body);

    // The server's own lines carry the trace (a failing handler is logged at error).
    const auto boom = get(srv.port(), "/boom", "X-Request-ID: trace-boom\r\n");
    CHECK(boom.status == 500);
    const auto boom_trace = echoed(boom);
    const auto log = srv.log_text();
    std::istringstream lines{log};
    std::string line;
    bool found = false;
    while (std::getline(lines, line)) {
        if (line.find("trace-boom") == std::string::npos) continue;
        const auto o = boost::json::parse(line).as_object();
        if (o.at("message").as_string() != "request handler failed") continue;
        found = true;
        CHECK(o.at("trace_id").as_string() == boom_trace.trace_id);
        CHECK(o.at("span_id").as_string() == boom_trace.parent_id);
        CHECK(o.at("trace_flags").as_string() == "00");
    }
    CHECK(found);
}

TEST_CASE("unit: http: an invalid traceparent is ignored, never refused", "[unit][http][trace]") {
    auto routes = trace_router();
    live_server srv({}, dispatch_to(routes));
    const std::vector<std::string> invalid{
        "00-" + std::string("0AF7651916CD43DD8448EB211C80319C") + "-" + parent_id + "-01",  // upper case
        "ff-" + trace_id + "-" + parent_id + "-01",                                         // version ff
        "00-" + std::string(32, '0') + "-" + parent_id + "-01",                             // zero trace id
        "00-" + trace_id + "-" + std::string(16, '0') + "-01",                              // zero parent id
        "00-" + trace_id + "-" + parent_id,                                                 // no flags
        "garbage",
    };
    for (const auto& bad : invalid) {
        INFO(bad);
        const auto reply = get(srv.port(), "/trace", "traceparent: " + bad + "\r\ntracestate: congo=x\r\n");
        CHECK(reply.status == 200);
        const auto seen = parse_seen(reply.body);
        CHECK(seen.trace_id != trace_id);
        CHECK(seen.trace_id.size() == 32);
        CHECK(seen.flags == "00");
        CHECK(echoed(reply).trace_id == seen.trace_id);
    }
    // Two traceparent fields: invalid too.
    const auto twice =
        get(srv.port(), "/trace", "traceparent: " + sent + "\r\ntraceparent: " + sent + "\r\n");
    CHECK(twice.status == 200);
    CHECK(echoed(twice).trace_id != trace_id);
}

TEST_CASE("unit: http: tracestate is kept bounded and well-formed, else dropped", "[unit][http][trace]") {
    auto routes = trace_router();
    live_server srv({}, dispatch_to(routes));
    // Several fields form one list.
    auto reply =
        get(srv.port(), "/trace", "traceparent: " + sent + "\r\ntracestate: a=1\r\ntracestate: b=2\r\n");
    CHECK(parse_seen(reply.body).tracestate == "a=1,b=2");
    for (const std::string bad :
         {std::string("Upper=1"), std::string("a=1,a=2"),
          "a=" + std::string(250, 'v') + ",b=" + std::string(250, 'v') + ",c=1234567"}) {
        INFO(bad);
        reply = get(srv.port(), "/trace", "traceparent: " + sent + "\r\ntracestate: " + bad + "\r\n");
        CHECK(reply.status == 200);
        const auto seen = parse_seen(reply.body);
        CHECK(seen.trace_id == trace_id);  // the trace continues without it
        CHECK(seen.tracestate.empty());
    }
}

TEST_CASE("unit: http: the server owns the traceparent response header", "[unit][http][trace]") {
    auto routes = trace_router();
    live_server srv({}, dispatch_to(routes));
    const auto reply = get(srv.port(), "/claims", "traceparent: " + sent + "\r\n");
    int count = 0;
    for (const auto& [name, value] : reply.headers) count += (name == "traceparent" || name == "Traceparent");
    CHECK(count == 1);
    CHECK(echoed(reply).trace_id == trace_id);
}
