// Command interpreter: parses a line, calls the matching rd_kafka_mock_* function, phrases the reply.
#include "commands.hpp"

#include <algorithm>
#include <array>
#include <cctype>
#include <charconv>
#include <optional>
#include <sstream>
#include <string_view>
#include <vector>

namespace prequal::kafka_fixture {

namespace {

constexpr const char* help_reply =
    "OK commands: down <broker_id> | up <broker_id> | errors <api_key|name> <count> <error_code|name> | "
    "rtt <broker_id> <ms> | create <topic> <partitions> | leader <topic> <partition> <broker_id> | "
    "bootstrap | help | quit";

struct api_key_name {
    std::int16_t key;
    std::string_view name;
};

// Kafka protocol ApiKey numbers (fixed by the protocol; librdkafka keeps its own table private).
constexpr std::array<api_key_name, 35> api_keys{{
    {0, "Produce"},
    {1, "Fetch"},
    {2, "ListOffsets"},
    {3, "Metadata"},
    {8, "OffsetCommit"},
    {9, "OffsetFetch"},
    {10, "FindCoordinator"},
    {11, "JoinGroup"},
    {12, "Heartbeat"},
    {13, "LeaveGroup"},
    {14, "SyncGroup"},
    {15, "DescribeGroups"},
    {16, "ListGroups"},
    {17, "SaslHandshake"},
    {18, "ApiVersions"},
    {19, "CreateTopics"},
    {20, "DeleteTopics"},
    {21, "DeleteRecords"},
    {22, "InitProducerId"},
    {23, "OffsetForLeaderEpoch"},
    {24, "AddPartitionsToTxn"},
    {25, "AddOffsetsToTxn"},
    {26, "EndTxn"},
    {28, "TxnOffsetCommit"},
    {29, "DescribeAcls"},
    {30, "CreateAcls"},
    {31, "DeleteAcls"},
    {32, "DescribeConfigs"},
    {33, "AlterConfigs"},
    {36, "SaslAuthenticate"},
    {37, "CreatePartitions"},
    {42, "DeleteGroups"},
    {44, "IncrementalAlterConfigs"},
    {47, "OffsetDelete"},
    {60, "DescribeCluster"},
}};

std::string lower(std::string_view s) {
    std::string out{s};
    std::transform(out.begin(), out.end(), out.begin(), [](unsigned char c) { return std::tolower(c); });
    return out;
}

template <typename Int>
std::optional<Int> to_int(std::string_view text) {
    Int v{};
    const auto [end, ec] = std::from_chars(text.data(), text.data() + text.size(), v);
    if (ec != std::errc{} || end != text.data() + text.size()) return std::nullopt;
    return v;
}

std::string api_key_label(std::int16_t key) {
    for (const auto& k : api_keys)
        if (k.key == key) return std::string{k.name} + "(" + std::to_string(key) + ")";
    return std::to_string(key);
}

std::optional<std::int16_t> parse_api_key(std::string_view text) {
    if (const auto n = to_int<std::int16_t>(text)) return *n >= 0 ? n : std::nullopt;
    const std::string wanted = lower(text);
    for (const auto& k : api_keys)
        if (lower(k.name) == wanted) return k.key;
    return std::nullopt;
}

// Accepts a number (negative for librdkafka-internal codes) or a name as rd_kafka_err2name prints it,
// with or without the RD_KAFKA_RESP_ERR_ prefix, in any case.
std::optional<rd_kafka_resp_err_t> parse_error_code(std::string_view text) {
    const rd_kafka_err_desc* descs = nullptr;
    size_t count = 0;
    rd_kafka_get_err_descs(&descs, &count);
    if (const auto n = to_int<int>(text)) {
        for (size_t i = 0; i < count; ++i)
            if (descs[i].name != nullptr && descs[i].code == *n) return descs[i].code;
        return std::nullopt;
    }
    std::string wanted = lower(text);
    if (wanted.starts_with("rd_kafka_resp_err_")) wanted.erase(0, 18);
    for (size_t i = 0; i < count; ++i)
        if (descs[i].name != nullptr && lower(descs[i].name) == wanted) return descs[i].code;
    return std::nullopt;
}

std::string error_label(rd_kafka_resp_err_t err) {
    return std::string{rd_kafka_err2name(err)} + "(" + std::to_string(static_cast<int>(err)) + ")";
}

command_result ok(std::string text) { return {"OK " + std::move(text), false}; }
command_result fail(std::string reason) { return {"ERR " + std::move(reason), false}; }

command_result from_mock(rd_kafka_resp_err_t err, std::string done) {
    if (err != RD_KAFKA_RESP_ERR_NO_ERROR)
        return fail(std::string{rd_kafka_err2str(err)} + " (" + error_label(err) + ")");
    return ok(std::move(done));
}

std::optional<std::int32_t> parse_broker(const mock_cluster& cluster, std::string_view text) {
    const auto id = to_int<std::int32_t>(text);
    if (!id || *id < 1 || *id > cluster.broker_count()) return std::nullopt;
    return id;
}

std::string broker_range(const mock_cluster& cluster) {
    return "broker id must be 1.." + std::to_string(cluster.broker_count());
}

command_result broker_state(mock_cluster& cluster, const std::vector<std::string>& w, bool up) {
    if (w.size() != 2) return fail(std::string{"usage: "} + (up ? "up" : "down") + " <broker_id>");
    const auto id = parse_broker(cluster, w[1]);
    if (!id) return fail(broker_range(cluster));
    const auto err = up ? rd_kafka_mock_broker_set_up(cluster.get(), *id)
                        : rd_kafka_mock_broker_set_down(cluster.get(), *id);
    return from_mock(err, (up ? "up " : "down ") + std::to_string(*id));
}

command_result push_errors(mock_cluster& cluster, const std::vector<std::string>& w) {
    if (w.size() != 4) return fail("usage: errors <api_key|name> <count> <error_code|name>");
    const auto key = parse_api_key(w[1]);
    if (!key)
        return fail("unknown ApiKey '" + w[1] + "' (a number, or a name such as Produce, Fetch, Metadata)");
    const auto count = to_int<int>(w[2]);
    if (!count || *count < 1 || *count > 100000) return fail("count must be 1..100000");
    const auto err = parse_error_code(w[3]);
    if (!err)
        return fail("unknown error code '" + w[3] +
                    "' (a number or a name such as NOT_LEADER_FOR_PARTITION)");
    // The variadic API takes the codes as C varargs; the array variant lets one code repeat `count` times.
    const std::vector<rd_kafka_resp_err_t> errs(static_cast<size_t>(*count), *err);
    rd_kafka_mock_push_request_errors_array(cluster.get(), *key, errs.size(), errs.data());
    return ok("errors " + api_key_label(*key) + " x" + std::to_string(*count) + " " + error_label(*err));
}

command_result set_rtt(mock_cluster& cluster, const std::vector<std::string>& w) {
    if (w.size() != 3) return fail("usage: rtt <broker_id> <ms>");
    const auto id = parse_broker(cluster, w[1]);
    if (!id) return fail(broker_range(cluster));
    const auto ms = to_int<int>(w[2]);
    if (!ms || *ms < 0) return fail("ms must be a non-negative integer");
    return from_mock(rd_kafka_mock_broker_set_rtt(cluster.get(), *id, *ms),
                     "rtt " + std::to_string(*id) + " " + std::to_string(*ms));
}

command_result create_topic(mock_cluster& cluster, const std::vector<std::string>& w) {
    if (w.size() != 3) return fail("usage: create <topic> <partitions>");
    const auto partitions = to_int<int>(w[2]);
    if (!partitions || *partitions < 1 || *partitions > 10000) return fail("partitions must be 1..10000");
    return from_mock(cluster.create_topic(w[1], *partitions),
                     "create " + w[1] + " partitions=" + std::to_string(*partitions) +
                         " replication=" + std::to_string(cluster.replication_factor()));
}

command_result set_leader(mock_cluster& cluster, const std::vector<std::string>& w) {
    if (w.size() != 4) return fail("usage: leader <topic> <partition> <broker_id>");
    const auto partition = to_int<std::int32_t>(w[2]);
    if (!partition || *partition < 0) return fail("partition must be a non-negative integer");
    // -1 is the mock's way to make a partition leaderless.
    const auto id = w[3] == "-1" ? std::optional<std::int32_t>{-1} : parse_broker(cluster, w[3]);
    if (!id) return fail(broker_range(cluster) + " (or -1 for no leader)");
    return from_mock(rd_kafka_mock_partition_set_leader(cluster.get(), w[1].c_str(), *partition, *id),
                     "leader " + w[1] + " " + std::to_string(*partition) + " " + std::to_string(*id));
}

}  // namespace

command_result execute_command(mock_cluster& cluster, const std::string& line) {
    std::istringstream in{line};
    std::vector<std::string> w;
    for (std::string word; in >> word;) w.push_back(word);
    if (w.empty()) return fail("empty command (try help)");
    const std::string cmd = lower(w[0]);
    if (cmd == "down" || cmd == "up") return broker_state(cluster, w, cmd == "up");
    if (cmd == "errors") return push_errors(cluster, w);
    if (cmd == "rtt") return set_rtt(cluster, w);
    if (cmd == "create") return create_topic(cluster, w);
    if (cmd == "leader") return set_leader(cluster, w);
    if (cmd == "bootstrap") return ok("BOOTSTRAP=" + cluster.bootstraps());
    if (cmd == "help") return {help_reply, false};
    if (cmd == "quit" || cmd == "exit") return {"OK bye", true};
    return fail("unknown command '" + w[0] + "' (try help)");
}

}  // namespace prequal::kafka_fixture
