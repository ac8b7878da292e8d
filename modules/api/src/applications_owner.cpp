// The applications aggregate as the outbox sees it. Each statement walks a partial index and stops after its
// batch, so its cost does not grow with the number of PENDING applications (docs/outbox-backlog.md).
#include <prequal/api/applications_owner.hpp>
#include <prequal/pg/row.hpp>
#include <prequal/pg/statement.hpp>

#include <string>

namespace prequal::api {
namespace {

// Stuck: PENDING, older than $1 ms, not re-driven within its backoff ($1 ms doubling per re-drive, capped at
// $3 ms), and no live unpublished event (else the publisher is still on it). At most $2, oldest first.
constexpr std::string_view stuck_sql =
    "UPDATE applications a SET last_redriven_at = now(), redrive_count = a.redrive_count + 1"
    " FROM (SELECT id FROM applications"
    "  WHERE status = 'PENDING' AND created_at < now() - $1::bigint * interval '1 millisecond'"
    "  AND (last_redriven_at IS NULL OR last_redriven_at < now() - "
    "   least($1::bigint * power(2, least(redrive_count, 30)), $3::bigint) * interval '1 millisecond')"
    "  AND NOT outbox_has_unpublished(id::text)"
    "  ORDER BY created_at LIMIT $2::int FOR UPDATE SKIP LOCKED) s"
    " WHERE a.id = s.id RETURNING a.id::text AS aggregate_key";

// $1 cap. The count walks applications_pending_created_at_idx up to the cap; the age is its first entry.
constexpr pg::statement backlog{
    "api_applications_backlog",
    "SELECT (SELECT count(*) FROM (SELECT 1 FROM applications WHERE status = 'PENDING' LIMIT $1::bigint) s)"
    " AS pending,"
    " (SELECT coalesce(floor(extract(epoch FROM now() - min(created_at))), 0)::bigint FROM applications"
    "  WHERE status = 'PENDING') AS oldest_seconds"};
struct backlog_row {
    std::int64_t pending = 0;
    std::int64_t oldest_seconds = 0;
    static constexpr auto columns = std::tuple{pg::col("pending", &backlog_row::pending),
                                               pg::col("oldest_seconds", &backlog_row::oldest_seconds)};
};

// The time condition is repeated outside the sub-select: a row changed concurrently is re-checked there.
constexpr std::string_view delete_idempotency =
    "DELETE FROM idempotency_keys WHERE ctid IN (SELECT ctid FROM idempotency_keys"
    " WHERE created_at < now() - $1::bigint * interval '1 millisecond' LIMIT $2::int)"
    " AND created_at < now() - $1::bigint * interval '1 millisecond'";

}  // namespace

outbox::aggregate_owner applications_owner(core::metrics_registry& metrics, std::int64_t count_cap,
                                           std::function<void(const applications_backlog&)> on_refresh) {
    auto& pending = metrics.get_gauge(
        "applications_pending",
        "PENDING applications in the database (all replicas; counted up to a cap; refreshed every second "
        "where the API runs, else each re-drive pass)");
    auto& oldest = metrics.get_gauge(
        "applications_oldest_pending_seconds",
        "Age of the oldest PENDING application, 0 when none (refreshed with applications_pending)");
    outbox::aggregate_owner owner;
    owner.unfinished_keys = "SELECT id::text AS aggregate_key FROM applications WHERE status = 'PENDING'";
    owner.is_unfinished =
        "EXISTS (SELECT 1 FROM applications a WHERE a.id = ({key})::uuid AND a.status = 'PENDING')";
    owner.stuck = std::string{stuck_sql};
    owner.observe_backlog = [&pending, &oldest, count_cap, on_refresh = std::move(on_refresh)](
                                pg::pool& pool) -> boost::asio::awaitable<void> {
        auto args = pg::args(count_cap);
        const auto r = (co_await pool.execute(backlog, std::move(args))).one_as<backlog_row>();
        pending.set(r.pending);
        oldest.set(r.oldest_seconds);
        if (on_refresh) on_refresh(applications_backlog{r.pending, r.oldest_seconds});
    };
    return owner;
}

outbox::retention_job idempotency_key_retention(std::chrono::milliseconds age) {
    // Lock id: 0x7072657175616c00 ("prequal\0") + 3, as before the job moved here.
    return {"idempotency_keys", "8102650217567972355", std::string{delete_idempotency}, age};
}

}  // namespace prequal::api
