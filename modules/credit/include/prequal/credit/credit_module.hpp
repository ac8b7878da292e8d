// The credit module: consumes loan_applications_submitted, decrypts the PAN, simulates the CIBIL score and
// writes a credit report plus its credit_reports_generated outbox event in one transaction.
#pragma once

#include <prequal/bus/message_bus.hpp>
#include <prequal/core/logger.hpp>
#include <prequal/core/metrics.hpp>
#include <prequal/crypto/pan_cipher.hpp>
#include <prequal/events/topics.hpp>
#include <prequal/pg/pool.hpp>

#include <boost/asio/awaitable.hpp>

#include <functional>
#include <string>

namespace prequal::credit {

struct credit_options {
    std::string group = "credit";
    std::string input_topic{events::submitted_topic};
    std::string output_topic{events::credit_reports_topic};
};

class credit_module {
public:
    /// `on_commit` runs after a transaction that wrote outbox events committed (wakes the publisher).
    credit_module(pg::pool& pool, const crypto::pan_cipher& cipher, core::logger log,
                  core::metrics_registry& metrics, std::function<void()> on_commit,
                  credit_options options = {});

    /// Subscribes the handler as the module's consumer group.
    void subscribe(bus::message_bus& bus);

    /// Handles one submitted event: throws bus::poison_message for undecodable input, pg::error for
    /// database failures (the bus retries). A duplicate message is skipped.
    boost::asio::awaitable<void> handle(const bus::message& msg);

    const credit_options& options() const { return options_; }

private:
    pg::pool& pool_;
    const crypto::pan_cipher& cipher_;
    core::logger log_;
    std::function<void()> on_commit_;
    credit_options options_;
    core::counter& reports_;
    core::counter& duplicates_;
};

}  // namespace prequal::credit
