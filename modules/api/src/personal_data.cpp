// Erasure (one statement) and rewrapping data keys (a batch per transaction, two round trips each: lock and
// read; all updates + COMMIT).
#include "personal_data_queries.hpp"

#include <prequal/api/personal_data.hpp>
#include <prequal/crypto/data_key.hpp>
#include <prequal/pg/statement.hpp>

#include <boost/json/object.hpp>
#include <boost/json/serialize.hpp>

namespace prequal::api {

boost::asio::awaitable<erase_outcome> erase_personal_data(pg::connection& conn, erase_request request) {
    boost::json::object why;
    why["why"] = request.client ? "request" : "operator";
    if (request.client) why["client"] = *request.client;
    const char* actor = request.client ? "api" : "operator";
    auto args = pg::args(request.application_id, request.client ? pg::param{*request.client} : pg::param{},
                         request.request_id, actor, boost::json::serialize(why));
    const auto r = co_await conn.execute(queries::erase, std::move(args));
    const auto row = r.maybe_one_as<queries::erase_row>();
    if (!row) co_return erase_outcome::not_found;
    if (row->erased > 0) co_return erase_outcome::erased;
    if (row->was_erased) co_return erase_outcome::already_erased;
    co_return erase_outcome::pending;
}

boost::asio::awaitable<rewrap_result> rewrap_data_keys(pg::connection& conn, const crypto::pan_cipher& master,
                                                       int batch) {
    rewrap_result total;
    std::string unreadable = "{}";  // uuid[] literal of the keys this ring cannot open, skipped from now on
    for (;;) {
        pg::steps open{{pg::begin, {}},
                       {queries::stale_data_keys, pg::args(master.active_key_id(), batch, unreadable)}};
        auto opened = co_await conn.pipeline(std::move(open));
        const auto rows = opened[1].rows_as<queries::stale_data_key_row>();
        if (rows.empty()) {
            co_await conn.execute(pg::rollback);
            co_return total;
        }
        pg::steps updates;
        updates.reserve(rows.size() + 1);
        for (const auto& row : rows) {
            const std::string aad = crypto::data_key_aad(row.application_id);
            const auto key = crypto::data_key::unwrap(
                master, crypto::wrapped_key{row.master_key_id, row.wrapped_key}, aad);
            if (!key) {
                unreadable.insert(unreadable.size() - 1,
                                  (total.unreadable++ == 0 ? "" : ",") + row.application_id);
                continue;
            }
            const crypto::wrapped_key w = key->wrap(master, aad);
            updates.emplace_back(queries::rewrap_data_key,
                                 pg::args(row.application_id, w.master_key_id, w.wrapped_b64));
            ++total.rewrapped;
        }
        updates.emplace_back(pg::commit, pg::params{});
        co_await conn.pipeline(std::move(updates));
    }
}

}  // namespace prequal::api
