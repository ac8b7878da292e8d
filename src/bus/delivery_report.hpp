// What both buses say about their deliveries: the metric series and log lines that docs/operations.md
// documents. In one place so the memory and Kafka buses cannot drift apart in what an operator sees.
#pragma once

#include "delivery_machine.hpp"
#include "delivery_policy.hpp"

#include <prequal/bus/message.hpp>
#include <prequal/core/logger.hpp>
#include <prequal/core/metrics.hpp>

#include <string>

namespace prequal::bus::detail {

/// bus_messages_published_total{topic}: messages the bus accepted.
core::counter& published_counter(core::metrics_registry& metrics, const std::string& topic);

/// bus_queue_depth{topic}: messages queued and not yet acknowledged, all groups.
core::gauge& queue_depth_gauge(core::metrics_registry& metrics, const std::string& topic);

/// The delivery counters and log lines of one consumer group on one topic. Registers its series on
/// construction; the references stay valid for the registry's lifetime.
class delivery_report {
public:
    delivery_report(core::metrics_registry& metrics, core::logger log, std::string topic, std::string group);

    /// A delivery of `m` ended as `r` and the machine decided `next`: counts it and logs a failure (an
    /// outage once per message). The dead letter itself is reported by dead_lettered().
    void delivery(const message& m, const delivery_result& r, const delivery_decision& next) const;

    /// `m`'s dead letter was published after `attempts` attempts that failed with `reason`.
    void dead_lettered(const message& m, int attempts, const std::string& reason) const;

    /// Publishing a dead letter to `dlq_topic` failed with `error` (it will be tried again).
    void dead_letter_publish_failed(const std::string& dlq_topic, const std::string& error) const;

private:
    core::logger log_;
    std::string topic_;
    std::string group_;
    core::counter& delivered_;
    core::counter& failures_;
    core::counter& dead_lettered_;
};

}  // namespace prequal::bus::detail
