// W3C trace context end to end on the memory bus, with the real binary: one request's trace id is followed
// through the JSON log lines of the API, credit and decision (each its own span, child of the previous) and
// through the trace context the outbox rows carry to the next consumer.
#include "server_process.hpp"
#include "service_fixture.hpp"
#include "support/pg_harness.hpp"
#include "trace_logs.hpp"

#include <prequal/core/trace_context.hpp>

#include <boost/json/parse.hpp>
#include <catch2/catch.hpp>

#include <string>
#include <vector>

using namespace prequal;
using namespace prequal::test;

namespace {

// `prequal serve` on the memory bus at debug level (the pipeline's per-message lines are debug).
std::vector<std::string> debug_serve_args(const std::string& db, std::uint16_t port) {
    const auto keys = make_test_keys();
    auto args = memory_serve_args(db, port, keys.encryption_keys, keys.pan_index_key);
    for (auto& a : args)
        if (a.rfind("--log-level=", 0) == 0) a = "--log-level=debug";
    return args;
}

std::string application_body() {
    return "{\"pan_number\":\"" + unique_pan() +
           "\",\"monthly_income_inr\":\"65000.00\",\"loan_amount_inr\":\"900000\",\"loan_type\":"
           "\"PERSONAL\"}";
}

std::string outbox_traceparent(const std::string& db, const std::string& id, const std::string& event_type) {
    return sql_value(db, "SELECT coalesce(traceparent, '') FROM outbox_events WHERE aggregate_key = '" + id +
                             "' AND event_type = '" + event_type + "'");
}

}  // namespace

TEST_CASE("integration: a request's traceparent is echoed and followed through API, credit and decision logs",
          "[integration][pg][trace]") {
    const std::string db = pg_harness::instance().fresh_database();
    const std::uint16_t port = free_port();
    const std::string log = temp_log_path("trace-memory");
    server_process server{debug_serve_args(db, port), log};
    wait_healthy(port);

    const std::string trace_id = "5c3f0d9a1e2b4c6d8e0f1a2b3c4d5e6f";
    const std::string client_span = "1a2b3c4d5e6f7081";
    const auto r = post_json(port, "/applications", application_body(),
                             {{"traceparent", "00-" + trace_id + "-" + client_span + "-01"},
                              {"tracestate", "vendor=opaque-value"}});
    INFO(r.body);
    REQUIRE(r.status == 202);
    const auto echoed = core::parse_traceparent(r.header("traceparent"));
    REQUIRE(echoed);
    CHECK(echoed->trace_id == trace_id);
    CHECK(echoed->parent_id != client_span);
    CHECK(echoed->flags == "01");
    const std::string api_span = echoed->parent_id;
    const std::string id(boost::json::parse(r.body).at("application_id").as_string());
    wait_decided(port, id, std::chrono::seconds{30});

    // The API's lines: the server's and the handler's, in the span it echoed.
    const auto request_line = wait_for_line(log, trace_id, "http", "request");
    CHECK(field(request_line, "span_id") == api_span);
    CHECK(field(request_line, "trace_flags") == "01");
    const auto accepted = wait_for_line(log, trace_id, "api", "application accepted");
    CHECK(field(accepted, "span_id") == api_span);
    CHECK(field(accepted, "application_id") == id);
    // Credit and decision: the same trace, each a span of its own.
    const auto [credit_span, decision_span] = check_pipeline_spans(log, trace_id, api_span, id);

    // The chain of parents is in the outbox: each event carries the span of the work that wrote it, which
    // the next consumer continues; the tracestate travels with it.
    CHECK(outbox_traceparent(db, id, "loan_application_submitted") ==
          "00-" + trace_id + "-" + api_span + "-01");
    CHECK(outbox_traceparent(db, id, "credit_report_generated") ==
          "00-" + trace_id + "-" + credit_span + "-01");
    CHECK(outbox_traceparent(db, id, "application_decided") ==
          "00-" + trace_id + "-" + decision_span + "-01");
    CHECK(sql_value(db, "SELECT count(*) FROM outbox_events WHERE aggregate_key = '" + id +
                            "' AND tracestate = 'vendor=opaque-value'") == "3");
}

TEST_CASE("integration: a request without traceparent gets a new trace, echoed and logged",
          "[integration][pg][trace]") {
    const std::string db = pg_harness::instance().fresh_database();
    const std::uint16_t port = free_port();
    const std::string log = temp_log_path("trace-generated");
    server_process server{debug_serve_args(db, port), log};
    wait_healthy(port);

    const auto r = post_json(port, "/applications", application_body(),
                             {{"traceparent", "00-4BF92F3577B34DA6A3CE929D0E0E4736-00F067AA0BA902B7-01"}});
    INFO(r.body);
    REQUIRE(r.status == 202);  // an invalid traceparent (upper case) is ignored, never refused
    const auto echoed = core::parse_traceparent(r.header("traceparent"));
    REQUIRE(echoed);
    CHECK(echoed->trace_id != "4bf92f3577b34da6a3ce929d0e0e4736");
    CHECK(echoed->flags == "00");
    const std::string id(boost::json::parse(r.body).at("application_id").as_string());
    const auto accepted = wait_for_line(log, echoed->trace_id, "api", "application accepted");
    CHECK(field(accepted, "span_id") == echoed->parent_id);
    CHECK(field(accepted, "application_id") == id);
    // The generated trace goes on down the pipeline too.
    wait_decided(port, id, std::chrono::seconds{30});
    wait_for_line(log, echoed->trace_id, "decision", "application decided");

    // No traceparent at all: a fresh trace per request.
    const auto plain = post_json(port, "/applications", application_body());
    REQUIRE(plain.status == 202);
    const auto fresh = core::parse_traceparent(plain.header("traceparent"));
    REQUIRE(fresh);
    CHECK(fresh->trace_id != echoed->trace_id);
    wait_for_line(log, fresh->trace_id, "api", "application accepted");
}
