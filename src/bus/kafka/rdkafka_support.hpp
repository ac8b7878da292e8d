// Thin C++ glue over librdkafka for the Kafka bus: owning handles, configuration with readable errors,
// header and message conversion, and one callback interface every handle reports through.
#pragma once

#include <prequal/bus/message.hpp>
#include <prequal/core/logger.hpp>

#include <librdkafka/rdkafka.h>

#include <memory>
#include <string>
#include <string_view>
#include <utility>
#include <vector>

namespace prequal::bus::kafka {

struct conf_deleter {
    void operator()(rd_kafka_conf_t* c) const { rd_kafka_conf_destroy(c); }
};
struct queue_deleter {
    void operator()(rd_kafka_queue_t* q) const { rd_kafka_queue_destroy(q); }
};
struct partition_list_deleter {
    void operator()(rd_kafka_topic_partition_list_t* l) const { rd_kafka_topic_partition_list_destroy(l); }
};
using conf_ptr = std::unique_ptr<rd_kafka_conf_t, conf_deleter>;
using queue_ptr = std::unique_ptr<rd_kafka_queue_t, queue_deleter>;
using partition_list_ptr = std::unique_ptr<rd_kafka_topic_partition_list_t, partition_list_deleter>;

using property_list = std::vector<std::pair<std::string, std::string>>;

enum class client_side { producer, consumer };

/// What librdkafka reports, served on the bus strand (every callback runs inside a zero-timeout poll made
/// there), except on_log, which librdkafka may call from its own threads before the log queue is set.
class client_events {
public:
    virtual ~client_events() = default;
    virtual void on_log(int level, const char* facility, const char* text) = 0;
    virtual void on_error(rd_kafka_resp_err_t err, const char* reason) = 0;
    virtual void on_stats(std::string_view json) = 0;
    virtual void on_delivery(const rd_kafka_message_t&) {}
    virtual void on_rebalance(rd_kafka_resp_err_t, rd_kafka_topic_partition_list_t*) {}
    virtual void on_commit(rd_kafka_resp_err_t, const rd_kafka_topic_partition_list_t*) {}
};

/// A fresh configuration: `defaults`, then the caller's `properties` for `side` (a "producer." or
/// "consumer." prefix restricts a property to one side), then `enforced`, which the bus's guarantees rest
/// on. Throws std::invalid_argument naming the property.
conf_ptr make_conf(const property_list& defaults, const property_list& properties, client_side side,
                   const property_list& enforced = {});

/// Routes every callback of a handle made from `conf` to `events`; logs go through the handle's main queue.
void route_callbacks(rd_kafka_conf_t* conf, client_events* events, client_side side);

/// Creates the handle (consuming `conf`); throws std::invalid_argument with librdkafka's reason.
rd_kafka_t* create_handle(rd_kafka_type_t type, conf_ptr conf);

/// True when the loaded librdkafka (< 2.3.0, librdkafka #4312) aborts in rd_kafka_destroy() for a
/// cooperative-sticky group member whose JoinGroup completed but no SyncGroup did yet.
bool destroy_aborts_before_first_assignment();

/// Keeps `rk` alive, undestroyed, until the process exits (the workaround for the abort above). Only for a
/// handle whose callbacks all go through queues nobody polls any more: it must never call back.
void park_handle(rd_kafka_t* rk);

/// The bus message's headers as librdkafka headers (the caller owns the result).
rd_kafka_headers_t* to_kafka_headers(const std::vector<std::pair<std::string, std::string>>& headers);

/// A consumed record as a bus message (delivery_attempt left at 1).
message to_bus_message(const rd_kafka_message_t& record);

/// A one-entry partition list for (topic, partition) at `offset`.
partition_list_ptr single_partition(const std::string& topic, std::int32_t partition,
                                    std::int64_t offset = RD_KAFKA_OFFSET_INVALID);

/// Writes a librdkafka log line (syslog `level`) to `log` at the matching level.
void forward_log(const core::logger& log, int level, const char* facility, const char* text);

}  // namespace prequal::bus::kafka
