// Personal-data retention jobs and their gauge. The SQL is in personal_data_queries.hpp, beside the erasure
// it shares.
#include "personal_data_queries.hpp"

#include <prequal/api/personal_data_retention.hpp>

#include <string>

namespace prequal::api {

namespace {

// Lock ids: 0x7072657175616c00 ("prequal\0") + 18 and + 19.
constexpr std::string_view erasure_lock = "8102650217567972370";
constexpr std::string_view claims_lock = "8102650217567972371";

// The duplicate rule's window (the submit statement's interval '24 hours').
constexpr std::chrono::milliseconds claim_window{std::chrono::hours{24}};

}  // namespace

outbox::retention_job personal_data_retention(std::chrono::milliseconds age) {
    return {"personal_data", std::string{erasure_lock}, std::string{queries::erase_due}, age};
}

outbox::retention_job pan_claims_retention() {
    return {"pan_claims", std::string{claims_lock}, std::string{queries::delete_expired_claims},
            claim_window};
}

std::function<boost::asio::awaitable<void>(pg::pool&)> personal_data_due_observer(
    core::metrics_registry& metrics, std::chrono::milliseconds age, std::int64_t count_cap) {
    auto& due = metrics.get_gauge(
        "personal_data_erasure_due",
        "Decided applications past the personal-data retention period whose personal data is not erased yet "
        "(all replicas; counted up to a cap; refreshed with applications_pending)");
    return [&due, age, count_cap](pg::pool& pool) -> boost::asio::awaitable<void> {
        auto args = pg::args(static_cast<std::int64_t>(age.count()), count_cap);
        const auto r =
            (co_await pool.execute(queries::erasure_due, std::move(args))).one_as<queries::erasure_due_row>();
        due.set(r.due);
    };
}

}  // namespace prequal::api
