// applications_repository: the statements of queries.hpp with their parameters in order; results decoded
// into the row structs declared beside the statements.
#include "applications_repository.hpp"

#include <prequal/pg/statement.hpp>

namespace prequal::api::detail {

namespace {

// The parameters of queries::submit, in its $-order.
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
                      a.name ? pg::param{a.name->key_id} : pg::param{},
                      a.client,
                      a.data_key.master_key_id,
                      a.data_key.wrapped_b64,
                      a.consent ? pg::param{a.consent->purpose} : pg::param{},
                      a.consent ? pg::param{a.consent->text_version} : pg::param{},
                      a.consent ? pg::param{std::to_string(a.consent->given_at_micros)} : pg::param{},
                      a.consent && !a.consent->channel.empty() ? pg::param{a.consent->channel} : pg::param{},
                      a.trace.traceparent(),
                      a.trace.tracestate};
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
    pg::steps claim{{pg::begin, {}},
                    {queries::claim_idempotency_key, pg::args(key, request_hash, a.id, a.client)}};
    auto claimed = co_await conn->pipeline(std::move(claim));
    if (claimed[1].empty()) {
        co_await conn->execute(pg::rollback);
        auto found = co_await conn->execute(queries::find_idempotency_key, pg::args(key, a.client));
        co_return key_taken{found.maybe_one_as<queries::idempotency_key_row>()};
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
    std::string id, std::string client) {
    const pg::result r = co_await pool_.execute(queries::status, pg::args(id, client));
    co_return r.maybe_one_as<queries::status_row>();
}

boost::asio::awaitable<int> applications_repository::seal_clear_names(int batch, const name_sealer& seal) {
    auto conn = co_await pool_.acquire();
    pg::steps open{{pg::begin, {}}, {queries::clear_names, pg::args(batch)}};
    auto opened = co_await conn->pipeline(std::move(open));
    const auto rows = opened[1].rows_as<queries::clear_name_row>();
    if (rows.empty()) {
        co_await conn->execute(pg::rollback);
        co_return 0;
    }
    // Every UPDATE of the batch and the COMMIT in one round trip (params own their text).
    pg::steps updates;
    updates.reserve(rows.size() + 1);
    for (const auto& row : rows) {
        const crypto::sealed name = seal(row.id, row.applicant_name);
        updates.emplace_back(queries::seal_name, pg::args(row.id, name.ciphertext_b64, name.key_id));
    }
    updates.emplace_back(pg::commit, pg::params{});
    co_await conn->pipeline(std::move(updates));
    co_return static_cast<int>(rows.size());
}

}  // namespace prequal::api::detail
