// librdkafka glue: configuration, callbacks that dispatch to client_events, conversions between records and
// bus messages.
#include "rdkafka_support.hpp"

#include <array>
#include <mutex>
#include <stdexcept>

namespace prequal::bus::kafka {

namespace {

client_events* events_of(const rd_kafka_t* rk) { return static_cast<client_events*>(rd_kafka_opaque(rk)); }

/// Runs `f`; an exception must never unwind through librdkafka's C frames, so it ends here (the only
/// candidates are allocation failures in logging or metrics).
template <class F>
void guarded(F&& f) noexcept {
    try {
        f();
    } catch (...) {
    }
}

void log_cb(const rd_kafka_t* rk, int level, const char* facility, const char* text) {
    guarded([&] {
        if (client_events* e = events_of(rk)) e->on_log(level, facility, text);
    });
}

void error_cb(rd_kafka_t*, int err, const char* reason, void* opaque) {
    guarded([&] {
        static_cast<client_events*>(opaque)->on_error(static_cast<rd_kafka_resp_err_t>(err), reason);
    });
}

int stats_cb(rd_kafka_t*, char* json, size_t len, void* opaque) {
    guarded([&] { static_cast<client_events*>(opaque)->on_stats(std::string_view(json, len)); });
    return 0;  // librdkafka frees the buffer
}

void dr_msg_cb(rd_kafka_t*, const rd_kafka_message_t* record, void* opaque) {
    guarded([&] { static_cast<client_events*>(opaque)->on_delivery(*record); });
}

void rebalance_cb(rd_kafka_t*, rd_kafka_resp_err_t err, rd_kafka_topic_partition_list_t* parts,
                  void* opaque) {
    guarded([&] { static_cast<client_events*>(opaque)->on_rebalance(err, parts); });
}

void offset_commit_cb(rd_kafka_t*, rd_kafka_resp_err_t err, rd_kafka_topic_partition_list_t* offsets,
                      void* opaque) {
    guarded([&] { static_cast<client_events*>(opaque)->on_commit(err, offsets); });
}

void set_property(rd_kafka_conf_t* conf, const std::string& name, const std::string& value) {
    std::array<char, 512> err{};
    if (rd_kafka_conf_set(conf, name.c_str(), value.c_str(), err.data(), err.size()) != RD_KAFKA_CONF_OK)
        throw std::invalid_argument("kafka property " + name + ": " + err.data());
}

}  // namespace

conf_ptr make_conf(const property_list& defaults, const property_list& properties, client_side side,
                   const property_list& enforced) {
    conf_ptr conf(rd_kafka_conf_new());
    for (const auto& [name, value] : defaults) set_property(conf.get(), name, value);
    const std::string_view mine = side == client_side::producer ? "producer." : "consumer.";
    const std::string_view theirs = side == client_side::producer ? "consumer." : "producer.";
    for (const auto& [name, value] : properties) {
        const std::string_view n = name;
        if (n.substr(0, theirs.size()) == theirs) continue;
        if (n.substr(0, mine.size()) == mine)
            set_property(conf.get(), std::string(n.substr(mine.size())), value);
        else
            set_property(conf.get(), name, value);
    }
    for (const auto& [name, value] : enforced) set_property(conf.get(), name, value);
    return conf;
}

void route_callbacks(rd_kafka_conf_t* conf, client_events* events, client_side side) {
    rd_kafka_conf_set_opaque(conf, events);
    rd_kafka_conf_set_log_cb(conf, log_cb);
    set_property(conf, "log.queue", "true");
    rd_kafka_conf_set_error_cb(conf, error_cb);
    rd_kafka_conf_set_stats_cb(conf, stats_cb);
    if (side == client_side::producer) {
        rd_kafka_conf_set_dr_msg_cb(conf, dr_msg_cb);
    } else {
        rd_kafka_conf_set_rebalance_cb(conf, rebalance_cb);
        rd_kafka_conf_set_offset_commit_cb(conf, offset_commit_cb);
    }
}

rd_kafka_t* create_handle(rd_kafka_type_t type, conf_ptr conf) {
    std::array<char, 512> err{};
    rd_kafka_t* rk = rd_kafka_new(type, conf.get(), err.data(), err.size());
    if (rk == nullptr) throw std::invalid_argument(std::string("kafka client: ") + err.data());
    static_cast<void>(conf.release());  // rd_kafka_new took it
    // Log lines become queue events, served by our zero-timeout polls on the bus strand.
    rd_kafka_set_log_queue(rk, nullptr);
    return rk;
}

bool destroy_aborts_before_first_assignment() {
    constexpr int fixed_in = 0x020300ff;  // 2.3.0 final
    return rd_kafka_version() < fixed_in;
}

void park_handle(rd_kafka_t* rk) {
    // Reachable from a never-destroyed list, so a leak checker reports nothing: the process ends them.
    static std::mutex mutex;
    static auto* parked = new std::vector<rd_kafka_t*>;
    const std::lock_guard lock{mutex};
    parked->push_back(rk);
}

rd_kafka_headers_t* to_kafka_headers(const std::vector<std::pair<std::string, std::string>>& headers) {
    rd_kafka_headers_t* h = rd_kafka_headers_new(headers.size());
    for (const auto& [name, value] : headers)
        rd_kafka_header_add(h, name.data(), static_cast<ssize_t>(name.size()), value.data(),
                            static_cast<ssize_t>(value.size()));
    return h;
}

message to_bus_message(const rd_kafka_message_t& record) {
    message m;
    m.topic = rd_kafka_topic_name(record.rkt);
    if (record.key != nullptr) m.key.assign(static_cast<const char*>(record.key), record.key_len);
    if (record.payload != nullptr) m.payload.assign(static_cast<const char*>(record.payload), record.len);
    rd_kafka_headers_t* headers = nullptr;
    // The headers stay owned by the record.
    if (rd_kafka_message_headers(&record, &headers) == RD_KAFKA_RESP_ERR_NO_ERROR) {
        const char* name = nullptr;
        const void* value = nullptr;
        size_t size = 0;
        for (size_t i = 0;
             rd_kafka_header_get_all(headers, i, &name, &value, &size) == RD_KAFKA_RESP_ERR_NO_ERROR; ++i)
            m.headers.emplace_back(
                name, value != nullptr ? std::string(static_cast<const char*>(value), size) : std::string());
    }
    return m;
}

partition_list_ptr single_partition(const std::string& topic, std::int32_t partition, std::int64_t offset) {
    partition_list_ptr list(rd_kafka_topic_partition_list_new(1));
    rd_kafka_topic_partition_list_add(list.get(), topic.c_str(), partition)->offset = offset;
    return list;
}

void forward_log(const core::logger& log, int level, const char* facility, const char* text) {
    // syslog levels: 0-3 error, 4 warning, 5-6 notice/info, 7 debug.
    const core::log_level ours = level <= 3   ? core::log_level::error
                                 : level == 4 ? core::log_level::warn
                                 : level <= 6 ? core::log_level::info
                                              : core::log_level::debug;
    if (!log.enabled(ours)) return;
    log.log(ours, "librdkafka", {{"facility", facility}, {"detail", text}});
}

}  // namespace prequal::bus::kafka
