// Reads librdkafka's statistics JSON with Boost.JSON. Field names: librdkafka's STATISTICS.md.
#include "kafka_stats.hpp"

#include <boost/json/parse.hpp>
#include <boost/json/value.hpp>

namespace prequal::bus::kafka {

namespace json = boost::json;

namespace {

const json::object* object_at(const json::object& o, std::string_view key) {
    const json::value* v = o.if_contains(key);
    return v != nullptr && v->is_object() ? &v->get_object() : nullptr;
}

std::optional<std::int64_t> int_at(const json::object& o, std::string_view key) {
    const json::value* v = o.if_contains(key);
    if (v == nullptr) return std::nullopt;
    if (v->is_int64()) return v->get_int64();
    if (v->is_uint64()) return static_cast<std::int64_t>(v->get_uint64());
    return std::nullopt;
}

}  // namespace

std::optional<stats_summary> parse_stats(std::string_view text, std::string_view topic) {
    json::error_code ec;
    const json::value root = json::parse(text, ec);
    if (ec || !root.is_object()) return std::nullopt;
    const json::object& top = root.get_object();
    stats_summary out;
    if (const json::object* brokers = object_at(top, "brokers")) {
        for (const auto& entry : *brokers) {
            if (!entry.value().is_object()) continue;
            const json::object& b = entry.value().get_object();
            const json::value* source = b.if_contains("source");
            if (source != nullptr && source->is_string() && source->get_string() == "internal") continue;
            const json::value* state = b.if_contains("state");
            if (state != nullptr && state->is_string() && state->get_string() == "UP") ++out.brokers_up;
        }
    }
    const json::object* topics = object_at(top, "topics");
    const json::object* t = topics != nullptr && !topic.empty() ? object_at(*topics, topic) : nullptr;
    const json::object* partitions = t != nullptr ? object_at(*t, "partitions") : nullptr;
    if (partitions != nullptr) {
        for (const auto& entry : *partitions) {
            if (!entry.value().is_object()) continue;
            const auto partition = int_at(entry.value().get_object(), "partition");
            const auto lag = int_at(entry.value().get_object(), "consumer_lag");
            // Partition -1 is librdkafka's "unassigned" bucket; lag -1 means unknown.
            if (!partition || *partition < 0 || !lag || *lag < 0) continue;
            out.consumer_lag.emplace_back(static_cast<std::int32_t>(*partition), *lag);
        }
    }
    return out;
}

}  // namespace prequal::bus::kafka
