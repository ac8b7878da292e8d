// The notify module (contract section 7, webhooks): consumes the decided topic as its own consumer group and
// queues a delivery for each event whose client has a webhook (durably, in PostgreSQL, with the inbox record
// in the same statement); its dispatcher claims due deliveries (leased, FOR UPDATE SKIP LOCKED, so replicas
// share the work), POSTs them signed through prequal::webhook::client, and records delivered, retry with
// backoff, or dead (a dead letter after the max age).
#pragma once

#include <prequal/bus/message_bus.hpp>
#include <prequal/core/logger.hpp>
#include <prequal/core/metrics.hpp>
#include <prequal/crypto/pan_cipher.hpp>
#include <prequal/events/topics.hpp>
#include <prequal/pg/pool.hpp>
#include <prequal/webhook/destination.hpp>

#include <boost/asio/any_io_executor.hpp>
#include <boost/asio/awaitable.hpp>

#include <chrono>
#include <cstddef>
#include <memory>
#include <string>

namespace prequal::notify {

struct notify_options {
    std::string group = "notify";
    std::string input_topic{events::decided_topic};
    std::chrono::milliseconds max_age{std::chrono::hours{24}};  // retried until then, then dead-lettered
    webhook::destination_rules rules;                           // serve --webhook-allow-private
    std::size_t max_in_flight = 64;                             // attempts at once, all receivers
    std::size_t per_host = 8;                           // attempts at once to one receiver (host:port)
    std::size_t claim_batch = 32;                       // deliveries claimed per statement
    std::chrono::milliseconds attempt_deadline{10000};  // one attempt, resolve to response
    std::chrono::milliseconds lease{30000};             // a claim's hold on a row (> deadline)
    std::chrono::milliseconds poll_interval{1000};      // look for due retries at least this often
    std::string listen_conninfo;  // LISTEN for new deliveries from other replicas; empty: in-process only
};

class notify_module {
public:
    /// `cipher` opens the webhooks' sealed secrets; pool, cipher and metrics must outlive the module.
    notify_module(boost::asio::any_io_executor ex, pg::pool& pool, const crypto::pan_cipher& cipher,
                  core::logger log, core::metrics_registry& metrics, notify_options options = {});
    ~notify_module();
    notify_module(const notify_module&) = delete;
    notify_module& operator=(const notify_module&) = delete;

    void subscribe(bus::message_bus& bus);

    /// Handles one decided event: records it in the inbox and queues its delivery when the client has a
    /// webhook, in one statement. Throws bus::poison_message for undecodable input, pg::error for database
    /// failures. A duplicate is skipped.
    boost::asio::awaitable<void> handle(const bus::message& msg);

    /// The dispatcher, until stop(): claims due deliveries and attempts them within the concurrency bounds.
    /// Returns after stop() once the attempts in flight have finished (each within attempt_deadline).
    boost::asio::awaitable<void> run();

    /// Look for due deliveries now (a delivery was queued in this process).
    void wake();
    /// Stops claiming; run() returns once in-flight attempts are done. Idempotent.
    void stop();

private:
    struct impl;
    std::shared_ptr<impl> impl_;
};

/// Memory bus only, at start-up: marks for publishing again the decided events of the last `max_age` that
/// consumer group `group` never recorded (the previous process died with them queued in memory), so no
/// webhook is lost to a crash. Returns how many. Throws pg::error.
boost::asio::awaitable<std::int64_t> requeue_unconsumed(pg::pool& pool, std::string group, std::string topic,
                                                        std::chrono::milliseconds max_age);

}  // namespace prequal::notify
