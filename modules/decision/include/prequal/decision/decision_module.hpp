// The decision module: consumes credit_reports_generated and records the final decision with a
// version-checked UPDATE, in one transaction with the processed_messages row, an audit entry and the
// application_decided outbox event (contract section 7).
#pragma once

#include <prequal/bus/message_bus.hpp>
#include <prequal/core/logger.hpp>
#include <prequal/core/metrics.hpp>
#include <prequal/events/topics.hpp>
#include <prequal/pg/pool.hpp>

#include <boost/asio/awaitable.hpp>

#include <functional>
#include <string>

namespace prequal::decision {

struct decision_options {
    std::string group = "decision";
    std::string input_topic{events::credit_reports_topic};
    std::string output_topic{events::decided_topic};
    int max_conflict_retries = 3;  // re-read and retry a version conflict this often, then dead-letter
};

class decision_module {
public:
    /// `on_commit` runs after each decision commits (wakes the outbox publisher); may be empty.
    decision_module(pg::pool& pool, core::logger log, core::metrics_registry& metrics,
                    std::function<void()> on_commit = {}, decision_options options = {});

    void subscribe(bus::message_bus& bus);

    /// Handles one credit report. Throws bus::poison_message for undecodable input or a conflict that
    /// persisted through every retry; pg::error for database failures. A duplicate message is skipped.
    boost::asio::awaitable<void> handle(const bus::message& msg);

    /// Test hook: awaited between reading the version and the version-checked UPDATE (fault injection).
    std::function<boost::asio::awaitable<void>(const std::string& application_id)> before_update;
    /// Test hook: awaited after the version-checked UPDATE (and its feed row) and before the COMMIT, so a
    /// test can hold a decision's transaction open across other commits (the event feed's out-of-order case).
    std::function<boost::asio::awaitable<void>(const std::string& application_id)> before_commit;

private:
    pg::pool& pool_;
    core::logger log_;
    std::function<void()> on_commit_;
    decision_options options_;
    core::metrics_registry& metrics_;
    core::counter& decided_;
    core::counter& conflicts_;
    core::counter& duplicates_;
};

}  // namespace prequal::decision
