// The delivery metrics and log lines both buses share: their names and texts are what docs/operations.md
// tells operators to look for, so they are pinned here.
#include "bus/delivery_report.hpp"

#include <catch2/catch.hpp>

#include <memory>
#include <string>
#include <vector>

using namespace prequal;
using namespace prequal::bus::detail;

namespace {

class capture_sink final : public core::log_sink {
public:
    void write_line(std::string_view line) override { lines.emplace_back(line); }
    std::vector<std::string> lines;
};

std::uint64_t counter_value(core::metrics_registry& m, const std::string& name) {
    return m.get_counter(name, "", {{"topic", "orders"}, {"group", "billing"}}).value();
}

bool has(const std::string& line, const std::string& part) { return line.find(part) != std::string::npos; }

}  // namespace

TEST_CASE("unit: delivery report counts and logs each decision under the documented names", "[unit][bus]") {
    core::metrics_registry metrics;
    auto sink = std::make_shared<capture_sink>();
    const delivery_report report(metrics, core::logger("bus", core::log_level::debug, sink), "orders",
                                 "billing");
    bus::message m;
    m.topic = "orders";
    m.key = "key-7";
    m.payload = "SECRET-PAYLOAD";

    delivery_decision ack;
    report.delivery(m, {delivery_outcome::handled, ""}, ack);
    CHECK(counter_value(metrics, "bus_messages_delivered_total") == 1);
    CHECK(counter_value(metrics, "bus_handler_failures_total") == 0);
    CHECK(sink->lines.empty());

    delivery_decision outage{delivery_action::wait_outage, std::chrono::milliseconds(5), 1,
                             dead_letter_cause::none, true};
    report.delivery(m, {delivery_outcome::outage, "db down"}, outage);
    outage.first_outage = false;
    report.delivery(m, {delivery_outcome::outage, "db down"}, outage);  // not logged again
    CHECK(counter_value(metrics, "bus_handler_failures_total") == 2);
    REQUIRE(sink->lines.size() == 1);
    CHECK(has(sink->lines[0], "\"level\":\"warn\""));
    CHECK(has(sink->lines[0],
              "\"message\":\"dependency unavailable; pausing this partition until it recovers\""));
    CHECK(has(sink->lines[0], "\"topic\":\"orders\",\"group\":\"billing\",\"reason\":\"db down\""));

    const delivery_decision retry{delivery_action::retry_after, std::chrono::milliseconds(5), 2};
    report.delivery(m, {delivery_outcome::failed, "boom"}, retry);
    REQUIRE(sink->lines.size() == 2);
    CHECK(has(sink->lines[1], "\"level\":\"warn\""));
    CHECK(has(sink->lines[1], "\"message\":\"message handler failed\""));
    CHECK(has(sink->lines[1],
              "\"topic\":\"orders\",\"group\":\"billing\",\"key\":\"key-7\",\"attempt\":\"2\",\"reason\":"
              "\"boom\""));

    const delivery_decision give_up{
        delivery_action::dead_letter, {}, 3, dead_letter_cause::attempts_exhausted};
    report.delivery(m, {delivery_outcome::failed, "boom"}, give_up);
    CHECK(counter_value(metrics, "bus_handler_failures_total") == 4);
    CHECK(counter_value(metrics, "bus_messages_dead_lettered_total") == 0);  // only once it is published
    REQUIRE(sink->lines.size() == 3);
    CHECK(has(sink->lines[2], "\"message\":\"message handler failed\""));
    CHECK(has(sink->lines[2], "\"attempt\":\"3\""));

    report.dead_letter_publish_failed("orders_dlq", "broker down");
    REQUIRE(sink->lines.size() == 4);
    CHECK(has(sink->lines[3], "\"level\":\"error\""));
    CHECK(has(sink->lines[3], "\"message\":\"dead-letter publish failed\""));
    CHECK(has(sink->lines[3], "\"topic\":\"orders_dlq\",\"group\":\"billing\",\"error\":\"broker down\""));

    report.dead_lettered(m, 3, "boom");
    CHECK(counter_value(metrics, "bus_messages_dead_lettered_total") == 1);
    REQUIRE(sink->lines.size() == 5);
    CHECK(has(sink->lines[4], "\"level\":\"error\""));
    CHECK(has(sink->lines[4], "\"message\":\"message dead-lettered\""));
    CHECK(has(sink->lines[4],
              "\"topic\":\"orders\",\"group\":\"billing\",\"key\":\"key-7\",\"attempts\":\"3\",\"reason\":"
              "\"boom\""));

    for (const auto& line : sink->lines) CHECK_FALSE(has(line, "SECRET-PAYLOAD"));
    const std::string text = metrics.render();
    CHECK(has(text,
              "# HELP bus_messages_delivered_total Messages a consumer group handled successfully "
              "(acknowledged)."));
    CHECK(has(text, "# HELP bus_handler_failures_total Handler attempts that threw."));
    CHECK(has(text,
              "# HELP bus_messages_dead_lettered_total Messages moved to the dead-letter topic after the "
              "last attempt."));
}

TEST_CASE("unit: bus topic series are the documented ones", "[unit][bus]") {
    core::metrics_registry metrics;
    published_counter(metrics, "orders").inc();
    queue_depth_gauge(metrics, "orders").add(2);
    CHECK(&published_counter(metrics, "orders") == &published_counter(metrics, "orders"));
    const std::string text = metrics.render();
    CHECK(has(text, "# HELP bus_messages_published_total Messages accepted by the bus."));
    CHECK(has(text, "bus_messages_published_total{topic=\"orders\"} 1"));
    CHECK(has(text, "# HELP bus_queue_depth Messages queued and not yet acknowledged, all groups."));
    CHECK(has(text, "bus_queue_depth{topic=\"orders\"} 2"));
}

TEST_CASE("unit: the bus's lines about a message carry the trace its producer sent", "[unit][bus][trace]") {
    core::metrics_registry metrics;
    auto sink = std::make_shared<capture_sink>();
    const delivery_report report(metrics, core::logger("bus", core::log_level::debug, sink), "orders",
                                 "billing");
    bus::message m;
    m.topic = "orders";
    m.key = "key-8";
    m.set_header(bus::traceparent_header, "00-0af7651916cd43dd8448eb211c80319c-b7ad6b7169203331-01");
    const delivery_decision retry{delivery_action::retry_after, std::chrono::milliseconds(5), 2};
    report.delivery(m, {delivery_outcome::failed, "boom"}, retry);
    report.dead_lettered(m, 3, "boom");
    bus::message untraced = m;
    untraced.set_header(bus::traceparent_header, "not a traceparent");
    report.dead_lettered(untraced, 3, "boom");
    REQUIRE(sink->lines.size() == 3);
    for (int i = 0; i < 2; ++i) {
        CHECK(has(sink->lines[i], "\"trace_id\":\"0af7651916cd43dd8448eb211c80319c\""));
        CHECK(has(sink->lines[i], "\"span_id\":\"b7ad6b7169203331\""));
        CHECK(has(sink->lines[i], "\"trace_flags\":\"01\""));
    }
    CHECK_FALSE(has(sink->lines[2], "trace_id"));
}
