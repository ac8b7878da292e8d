// applications_repository: statements of queries.hpp, their parameters in order and their columns by
// position (the one file that counts them).
#include "applications_repository.hpp"

#include "queries.hpp"

#include <prequal/pg/statement.hpp>

#include <vector>

namespace prequal::api::detail {

namespace {

// pg::params only view their text: every value viewed here lives in `a` for the whole awaited call.
pg::params submit_params(const new_application& a) {
    return pg::params{a.id,
                      a.pan_hmac,
                      a.pan.ciphertext_b64,
                      a.pan.key_id,
                      a.pan_masked,
                      a.name ? pg::param{a.name->ciphertext_b64} : pg::param{},
                      a.monthly_income,
                      a.loan_amount,
                      a.loan_type.empty() ? pg::param{} : pg::param{a.loan_type},
                      a.request_id,
                      a.message_id,
                      a.topic,
                      a.event_payload,
                      a.name ? pg::param{a.name->key_id} : pg::param{}};
}

std::optional<std::string> optional_text(const pg::result& r, int column) {
    if (r.is_null(0, column)) return std::nullopt;
    return std::string{r.get(0, column)};
}

}  // namespace

boost::asio::awaitable<store_outcome> applications_repository::store(const new_application& a) {
    auto conn = co_await pool_.acquire();
    auto r = co_await conn->execute(queries::submit, submit_params(a));
    if (r.empty()) co_return duplicate_pan{};
    co_return stored{};
}

boost::asio::awaitable<store_outcome> applications_repository::store_with_key(const new_application& a,
                                                                              std::string key,
                                                                              std::string request_hash) {
    auto conn = co_await pool_.acquire();
    pg::steps claim{{pg::begin, {}}, {queries::claim_idempotency_key, pg::args(key, request_hash, a.id)}};
    auto claimed = co_await conn->pipeline(std::move(claim));
    if (claimed[1].empty()) {
        co_await conn->execute(pg::rollback);
        auto found = co_await conn->execute(queries::find_idempotency_key, pg::args(key));
        if (found.empty()) co_return key_taken{};
        co_return key_taken{idempotency_record{std::string{found.get(0, 0)}, std::string{found.get(0, 1)}}};
    }
    auto r = co_await conn->execute(queries::submit, submit_params(a));
    if (r.empty()) {
        co_await conn->execute(pg::rollback);
        co_return duplicate_pan{};
    }
    co_await conn->execute(pg::commit);
    co_return stored{};
}

boost::asio::awaitable<std::optional<application_status>> applications_repository::read_status(
    std::string id, std::string request_id) {
    const pg::result r = co_await pool_.execute(queries::status, pg::args(id, request_id));
    if (r.empty()) co_return std::nullopt;
    application_status s;
    s.id = r.get(0, 0);
    s.status = r.get(0, 1);
    if (!r.is_null(0, 2)) s.cibil_score = r.get_int(0, 2);
    s.pan_masked = r.get(0, 3);
    s.decision_reason = optional_text(r, 4);
    s.max_approved_amount = optional_text(r, 5);
    s.created_at = r.get(0, 6);
    s.updated_at = r.get(0, 7);
    co_return s;
}

boost::asio::awaitable<int> applications_repository::seal_clear_names(int batch, const name_sealer& seal) {
    auto conn = co_await pool_.acquire();
    const std::string limit = std::to_string(batch);
    pg::steps open{{pg::begin, {}}, {queries::clear_names, pg::args(limit)}};
    auto opened = co_await conn->pipeline(std::move(open));
    const pg::result& rows = opened[1];
    if (rows.empty()) {
        co_await conn->execute(pg::rollback);
        co_return 0;
    }
    // Every UPDATE of the batch and the COMMIT in one round trip. pg::params only view their text, so
    // the sealed values live in `sealed` (sized up front: no reallocation) until the pipeline is done.
    std::vector<crypto::sealed> sealed;
    sealed.reserve(static_cast<std::size_t>(rows.rows()));
    pg::steps updates;
    updates.reserve(static_cast<std::size_t>(rows.rows()) + 1);
    for (int i = 0; i < rows.rows(); ++i) {
        const std::string_view id = rows.get(i, 0);  // a view into `opened`, which outlives the pipeline
        const crypto::sealed& name = sealed.emplace_back(seal(id, rows.get(i, 1)));
        updates.emplace_back(queries::seal_name, pg::args(id, name.ciphertext_b64, name.key_id));
    }
    updates.emplace_back(pg::commit, pg::params{});
    co_await conn->pipeline(std::move(updates));
    co_return rows.rows();
}

}  // namespace prequal::api::detail
