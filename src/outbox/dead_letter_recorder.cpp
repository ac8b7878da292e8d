// Dead-letter recording: one dead_letters row per message that exhausted its attempts.
#include <prequal/core/ids.hpp>
#include <prequal/outbox/dead_letter_recorder.hpp>
#include <prequal/outbox/inbox.hpp>
#include <prequal/outbox/outage_guard.hpp>

#include <boost/json/object.hpp>
#include <boost/json/serialize.hpp>

namespace prequal::outbox {
namespace {

constexpr pg::statement insert_dead_letter{
    "dlq_insert",
    "INSERT INTO dead_letters (topic, message_key, payload, headers, consumer_group, reason) "
    "VALUES ($1, $2, $3, $4::jsonb, $5, $6)"};

}  // namespace

void record_dead_letters(bus::message_bus& bus, pg::pool& pool, const std::vector<std::string>& topics,
                         const std::string& group, const core::logger& log) {
    for (const auto& topic : topics) {
        const std::string dlq = bus::dlq_topic(topic);
        bus.subscribe(
            dlq, group,
            pause_on_outage([&pool, log, group, dlq](const bus::message& m) -> boost::asio::awaitable<void> {
                boost::json::object headers;
                for (const auto& [k, v] : m.headers) headers[k] = v;
                const std::string headers_json = boost::json::serialize(headers);
                // Deduplicate on the original message id when it is valid: a poison message may lack it.
                const std::string original_id{m.header("message_id")};
                const std::string original_topic = dlq.substr(0, dlq.size() - 4);
                auto conn = co_await pool.acquire();
                pg::steps steps;
                steps.push_back({pg::begin, {}});
                std::string dedup_group = group;
                dedup_group.append(":").append(original_topic);
                if (core::is_uuid(original_id))
                    steps.push_back({record_processed, {dedup_group, original_id}});
                steps.push_back(
                    {insert_dead_letter,
                     {original_topic, m.key, m.payload, headers_json, std::string_view{m.header("dlq_group")},
                      std::string_view{m.header("dlq_reason")}}});
                // The insert runs even for a duplicate; roll back in that case instead of committing.
                auto r = co_await conn->pipeline(std::move(steps));
                const bool duplicate = core::is_uuid(original_id) && r[1].rows() == 0;
                co_await conn->execute_script(duplicate ? "ROLLBACK" : "COMMIT");
                if (!duplicate)
                    log.error(
                        "message dead-lettered",
                        {{"topic", original_topic}, {"key", m.key}, {"reason", m.header("dlq_reason")}});
            }));
    }
}

}  // namespace prequal::outbox
