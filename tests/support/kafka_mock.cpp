// The mock cluster and its blocking helpers. Test-only code: blocking librdkafka calls are fine here.
#include "kafka_mock.hpp"

#include <librdkafka/rdkafka.h>
#include <librdkafka/rdkafka_mock.h>

#include <array>
#include <memory>
#include <stdexcept>

namespace prequal::test {

namespace {

struct handle_deleter {
    void operator()(rd_kafka_t* rk) const { rd_kafka_destroy(rk); }
};
using handle_ptr = std::unique_ptr<rd_kafka_t, handle_deleter>;

struct list_deleter {
    void operator()(rd_kafka_topic_partition_list_t* l) const { rd_kafka_topic_partition_list_destroy(l); }
};
using list_ptr = std::unique_ptr<rd_kafka_topic_partition_list_t, list_deleter>;

void set(rd_kafka_conf_t* conf, const char* name, const std::string& value) {
    std::array<char, 512> err{};
    if (rd_kafka_conf_set(conf, name, value.c_str(), err.data(), err.size()) != RD_KAFKA_CONF_OK)
        throw std::runtime_error(std::string("kafka_mock: ") + name + ": " + err.data());
}

handle_ptr make_client(rd_kafka_type_t type, const std::string& bootstrap, const std::string& group = {},
                       void (*dr)(rd_kafka_t*, const rd_kafka_message_t*, void*) = nullptr) {
    rd_kafka_conf_t* conf = rd_kafka_conf_new();
    set(conf, "bootstrap.servers", bootstrap);
    set(conf, "log_level", "2");
    if (type == RD_KAFKA_CONSUMER) {
        set(conf, "group.id", group.empty() ? std::string("prequal-test-reader") : group);
        set(conf, "enable.auto.commit", "false");
        set(conf, "enable.partition.eof", "false");
    }
    if (dr != nullptr) rd_kafka_conf_set_dr_msg_cb(conf, dr);
    std::array<char, 512> err{};
    rd_kafka_t* rk = rd_kafka_new(type, conf, err.data(), err.size());
    if (rk == nullptr) {
        rd_kafka_conf_destroy(conf);
        throw std::runtime_error(std::string("kafka_mock: client: ") + err.data());
    }
    return handle_ptr(rk);
}

void record_delivery(rd_kafka_t*, const rd_kafka_message_t* m, void*) {
    *static_cast<rd_kafka_resp_err_t*>(m->_private) = m->err;
}

}  // namespace

std::string kafka_record::header(std::string_view name) const {
    for (const auto& [k, v] : headers)
        if (k == name) return v;
    return {};
}

kafka_mock::kafka_mock(int brokers) {
    rd_kafka_conf_t* conf = rd_kafka_conf_new();
    set(conf, "log_level", "2");
    std::array<char, 512> err{};
    rk_ = rd_kafka_new(RD_KAFKA_PRODUCER, conf, err.data(), err.size());
    if (rk_ == nullptr) {
        rd_kafka_conf_destroy(conf);
        throw std::runtime_error(std::string("kafka_mock: ") + err.data());
    }
    cluster_ = rd_kafka_mock_cluster_new(rk_, brokers);
    if (cluster_ == nullptr) {
        rd_kafka_destroy(rk_);
        throw std::runtime_error("kafka_mock: could not start the mock cluster");
    }
    bootstrap_ = rd_kafka_mock_cluster_bootstraps(cluster_);
}

kafka_mock::~kafka_mock() {
    rd_kafka_mock_cluster_destroy(cluster_);
    rd_kafka_destroy(rk_);
}

void kafka_mock::create_topic(const std::string& topic, int partitions) {
    std::lock_guard lock(mutex_);
    if (topics_.count(topic) != 0) return;
    const rd_kafka_resp_err_t err = rd_kafka_mock_topic_create(cluster_, topic.c_str(), partitions, 1);
    if (err != RD_KAFKA_RESP_ERR_NO_ERROR && err != RD_KAFKA_RESP_ERR_TOPIC_ALREADY_EXISTS)
        throw std::runtime_error("kafka_mock: create topic " + topic + ": " + rd_kafka_err2str(err));
    topics_.emplace(topic, partitions);
}

int kafka_mock::partitions_of(const std::string& topic) const {
    std::lock_guard lock(mutex_);
    auto it = topics_.find(topic);
    return it == topics_.end() ? 0 : it->second;
}

void kafka_mock::set_broker_down(int broker_id) {
    if (rd_kafka_mock_broker_set_down(cluster_, broker_id) != RD_KAFKA_RESP_ERR_NO_ERROR)
        throw std::runtime_error("kafka_mock: no broker " + std::to_string(broker_id));
}

void kafka_mock::set_broker_up(int broker_id) {
    if (rd_kafka_mock_broker_set_up(cluster_, broker_id) != RD_KAFKA_RESP_ERR_NO_ERROR)
        throw std::runtime_error("kafka_mock: no broker " + std::to_string(broker_id));
}

std::vector<kafka_record> kafka_mock::read_topic(const std::string& topic, std::size_t count,
                                                 std::chrono::milliseconds timeout) const {
    const int partitions = partitions_of(topic);
    if (partitions == 0) throw std::runtime_error("kafka_mock: unknown topic " + topic);
    handle_ptr rk = make_client(RD_KAFKA_CONSUMER, bootstrap_);
    list_ptr assignment(rd_kafka_topic_partition_list_new(partitions));
    for (int p = 0; p < partitions; ++p)
        rd_kafka_topic_partition_list_add(assignment.get(), topic.c_str(), p)->offset =
            RD_KAFKA_OFFSET_BEGINNING;
    rd_kafka_assign(rk.get(), assignment.get());
    std::vector<kafka_record> out;
    const auto deadline = std::chrono::steady_clock::now() + timeout;
    while (out.size() < count && std::chrono::steady_clock::now() < deadline) {
        rd_kafka_message_t* m = rd_kafka_consumer_poll(rk.get(), 100);
        if (m == nullptr) continue;
        if (m->err == RD_KAFKA_RESP_ERR_NO_ERROR) {
            kafka_record r;
            r.topic = topic;
            r.partition = m->partition;
            r.offset = m->offset;
            if (m->key != nullptr) r.key.assign(static_cast<const char*>(m->key), m->key_len);
            if (m->payload != nullptr) r.value.assign(static_cast<const char*>(m->payload), m->len);
            rd_kafka_headers_t* hdrs = nullptr;
            if (rd_kafka_message_headers(m, &hdrs) == RD_KAFKA_RESP_ERR_NO_ERROR) {
                const char* name = nullptr;
                const void* value = nullptr;
                size_t size = 0;
                for (size_t i = 0; rd_kafka_header_get_all(hdrs, i, &name, &value, &size) == 0; ++i)
                    r.headers.emplace_back(name,
                                           value ? std::string(static_cast<const char*>(value), size) : "");
            }
            out.push_back(std::move(r));
        }
        rd_kafka_message_destroy(m);
    }
    rd_kafka_consumer_close(rk.get());
    return out;
}

std::int64_t kafka_mock::committed_offset(const std::string& group, const std::string& topic,
                                          std::int32_t partition) const {
    handle_ptr rk = make_client(RD_KAFKA_CONSUMER, bootstrap_, group);
    list_ptr list(rd_kafka_topic_partition_list_new(1));
    rd_kafka_topic_partition_list_add(list.get(), topic.c_str(), partition);
    const rd_kafka_resp_err_t err = rd_kafka_committed(rk.get(), list.get(), 5000);
    rd_kafka_consumer_close(rk.get());
    if (err != RD_KAFKA_RESP_ERR_NO_ERROR)
        throw std::runtime_error(std::string("kafka_mock: committed offsets: ") + rd_kafka_err2str(err));
    return list->elems[0].offset;
}

void kafka_mock::produce(const std::string& topic, std::int32_t partition, const std::string& key,
                         const std::string& value,
                         const std::vector<std::pair<std::string, std::string>>& headers) const {
    handle_ptr rk = make_client(RD_KAFKA_PRODUCER, bootstrap_, {}, record_delivery);
    rd_kafka_headers_t* hdrs = rd_kafka_headers_new(headers.size());
    for (const auto& [k, v] : headers)
        rd_kafka_header_add(hdrs, k.c_str(), -1, v.data(), static_cast<ssize_t>(v.size()));
    rd_kafka_resp_err_t delivered = RD_KAFKA_RESP_ERR__IN_PROGRESS;
    rd_kafka_resp_err_t err = rd_kafka_producev(
        rk.get(), RD_KAFKA_V_TOPIC(topic.c_str()), RD_KAFKA_V_PARTITION(partition),
        RD_KAFKA_V_KEY(key.data(), key.size()),
        RD_KAFKA_V_VALUE(const_cast<char*>(value.data()), value.size()), RD_KAFKA_V_HEADERS(hdrs),
        RD_KAFKA_V_MSGFLAGS(RD_KAFKA_MSG_F_COPY), RD_KAFKA_V_OPAQUE(&delivered), RD_KAFKA_V_END);
    if (err != RD_KAFKA_RESP_ERR_NO_ERROR) {
        rd_kafka_headers_destroy(hdrs);
        throw std::runtime_error(std::string("kafka_mock: produce: ") + rd_kafka_err2str(err));
    }
    rd_kafka_flush(rk.get(), 10000);
    if (delivered != RD_KAFKA_RESP_ERR_NO_ERROR)
        throw std::runtime_error(std::string("kafka_mock: delivery: ") + rd_kafka_err2str(delivered));
}

kafka_properties kafka_mock::fast_client_properties() {
    return {{"consumer.session.timeout.ms", "3000"},
            {"consumer.heartbeat.interval.ms", "300"},
            {"reconnect.backoff.max.ms", "500"}};
}

}  // namespace prequal::test
