// The bus's metric names and delivery log lines (docs/operations.md relies on both).
#include "delivery_report.hpp"

#include <utility>

namespace prequal::bus::detail {

core::counter& published_counter(core::metrics_registry& metrics, const std::string& topic) {
    return metrics.get_counter("bus_messages_published_total", "Messages accepted by the bus.",
                               {{"topic", topic}});
}

core::gauge& queue_depth_gauge(core::metrics_registry& metrics, const std::string& topic) {
    return metrics.get_gauge("bus_queue_depth", "Messages queued and not yet acknowledged, all groups.",
                             {{"topic", topic}});
}

namespace {

core::metric_labels labels_of(const std::string& topic, const std::string& group) {
    return {{"topic", topic}, {"group", group}};
}

// The bus's lines about a message carry its trace as the producer sent it (the producer's span): the
// handler's own span is the handler's business, and a message without a valid traceparent adds nothing.
core::logger traced(const core::logger& log, const message& m) {
    return log.with_trace(core::context_of(m.header(traceparent_header)));
}

}  // namespace

delivery_report::delivery_report(core::metrics_registry& metrics, core::logger log, std::string topic,
                                 std::string group)
    : log_(std::move(log)),
      topic_(std::move(topic)),
      group_(std::move(group)),
      delivered_(metrics.get_counter("bus_messages_delivered_total",
                                     "Messages a consumer group handled successfully (acknowledged).",
                                     labels_of(topic_, group_))),
      failures_(metrics.get_counter("bus_handler_failures_total", "Handler attempts that threw.",
                                    labels_of(topic_, group_))),
      dead_lettered_(metrics.get_counter("bus_messages_dead_lettered_total",
                                         "Messages moved to the dead-letter topic after the last attempt.",
                                         labels_of(topic_, group_))) {}

void delivery_report::delivery(const message& m, const delivery_result& r,
                               const delivery_decision& next) const {
    if (next.action == delivery_action::ack) {
        delivered_.inc();
        return;
    }
    failures_.inc();
    if (next.action == delivery_action::wait_outage) {
        if (next.first_outage)
            log_.warn("dependency unavailable; pausing this partition until it recovers",
                      {{"topic", topic_}, {"group", group_}, {"reason", r.reason}});
        return;
    }
    const auto attempt_text = std::to_string(next.attempt);
    traced(log_, m).warn("message handler failed", {{"topic", topic_},
                                                    {"group", group_},
                                                    {"key", m.key},
                                                    {"attempt", attempt_text},
                                                    {"reason", r.reason}});
}

void delivery_report::dead_lettered(const message& m, int attempts, const std::string& reason) const {
    dead_lettered_.inc();
    const auto attempts_text = std::to_string(attempts);
    traced(log_, m).error("message dead-lettered", {{"topic", topic_},
                                                    {"group", group_},
                                                    {"key", m.key},
                                                    {"attempts", attempts_text},
                                                    {"reason", reason}});
}

void delivery_report::dead_letter_publish_failed(const std::string& dlq_topic,
                                                 const std::string& error) const {
    log_.error("dead-letter publish failed", {{"topic", dlq_topic}, {"group", group_}, {"error", error}});
}

}  // namespace prequal::bus::detail
