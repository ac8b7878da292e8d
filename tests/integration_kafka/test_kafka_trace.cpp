// W3C trace context across processes on --bus=kafka: an API-only `prequal serve` and a worker (credit,
// decision) on librdkafka's mock cluster. One request's trace id is followed through both processes' JSON
// logs and the Kafka record headers of every message it caused.
#include "replica_load.hpp"
#include "server_process.hpp"
#include "service_fixture.hpp"
#include "support/kafka_mock.hpp"
#include "support/pg_harness.hpp"
#include "trace_logs.hpp"

#include <prequal/core/trace_context.hpp>

#include <boost/json/parse.hpp>
#include <catch2/catch.hpp>

#include <string>
#include <vector>

using namespace prequal;
using namespace prequal::test;
using namespace std::chrono_literals;

namespace {

const std::string submitted = "loan_applications_submitted";
const std::string credit_topic = "credit_reports_generated";
const std::string decided = "loan_applications_decided";

// The record of `topic` keyed `key` (REQUIREd within the timeout).
kafka_record record_of(const kafka_mock& mock, const std::string& topic, const std::string& key) {
    const auto deadline = std::chrono::steady_clock::now() + 30s;
    while (std::chrono::steady_clock::now() < deadline) {
        for (auto& r : mock.read_topic(topic, 1, 2s))
            if (r.key == key) return r;
    }
    FAIL("no record keyed " << key << " on " << topic);
    return {};
}

}  // namespace

TEST_CASE("integration: kafka: one trace id through the API and worker processes' logs and record headers",
          "[integration][kafka][trace]") {
    kafka_mock mock{1};
    for (const auto& t : {submitted, submitted + "_dlq", credit_topic, credit_topic + "_dlq", decided})
        mock.create_topic(t, 2);
    const std::string db = pg_harness::instance().fresh_database();
    const auto keys = make_test_keys();
    const std::uint16_t api_port = free_port();
    const std::uint16_t worker_port = free_port();
    const std::string api_log = temp_log_path("trace-kafka-api");
    const std::string worker_log = temp_log_path("trace-kafka-worker");
    server_process api{kafka_serve_args(mock.bootstrap_servers(), db, keys, "api", api_port, "debug"),
                       api_log};
    server_process worker{
        kafka_serve_args(mock.bootstrap_servers(), db, keys, "credit,decision", worker_port, "debug"),
        worker_log};
    wait_healthy(api_port);
    wait_healthy(worker_port);

    const std::string trace_id = "8e2d4c6a0b1f3e5d7c9a1b3d5f7e9c0a";
    const std::string client_span = "0123456789abcdef";
    const std::string body = "{\"pan_number\":\"" + unique_pan() +
                             "\",\"monthly_income_inr\":\"65000.00\",\"loan_amount_inr\":\"900000\"}";
    const auto r =
        post_json(api_port, "/applications", body,
                  {{"traceparent", "00-" + trace_id + "-" + client_span + "-01"}, {"tracestate", "acme=1"}});
    INFO(r.body);
    REQUIRE(r.status == 202);
    const auto echoed = core::parse_traceparent(r.header("traceparent"));
    REQUIRE(echoed);
    CHECK(echoed->trace_id == trace_id);
    CHECK(echoed->parent_id != client_span);
    const std::string api_span = echoed->parent_id;
    const std::string id(boost::json::parse(r.body).at("application_id").as_string());
    wait_decided(api_port, id, 90s);

    // The API process logged the request in the span it echoed.
    const auto accepted = wait_for_line(api_log, trace_id, "api", "application accepted");
    CHECK(field(accepted, "span_id") == api_span);
    // The worker process continued the same trace, one span per consumer.
    const auto [credit_span, decision_span] = check_pipeline_spans(worker_log, trace_id, api_span, id);
    CHECK(lines_of_trace(api_log, trace_id).size() >= 2);  // the server's "request" line too

    // The Kafka records carry the producing span in their headers: the API's on the submitted topic, the
    // credit consumer's on the credit topic, the decision consumer's on the decided topic.
    const auto on_submitted = record_of(mock, submitted, id);
    CHECK(on_submitted.header("traceparent") == "00-" + trace_id + "-" + api_span + "-01");
    CHECK(on_submitted.header("tracestate") == "acme=1");
    const auto on_credit = record_of(mock, credit_topic, id);
    CHECK(on_credit.header("traceparent") == "00-" + trace_id + "-" + credit_span + "-01");
    CHECK(on_credit.header("tracestate") == "acme=1");
    const auto on_decided = record_of(mock, decided, id);
    CHECK(on_decided.header("traceparent") == "00-" + trace_id + "-" + decision_span + "-01");
    // The message values (contract section 3) are unchanged: no trace field in them.
    CHECK(on_submitted.value.find("trace") == std::string::npos);
    CHECK(on_decided.value.find("trace") == std::string::npos);
}
