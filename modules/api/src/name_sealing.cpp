// Applicant names at rest: the AAD that binds a sealed name to its application, and the one-off sealing
// of names that versions before migration 003 stored in clear.
#include "queries.hpp"

#include <prequal/api/api_module.hpp>
#include <prequal/pg/statement.hpp>

#include <string>
#include <string_view>

namespace prequal::api {

std::string applicant_name_aad(std::string_view application_id) {
    return "applicant_name:" + std::string{application_id};
}

boost::asio::awaitable<std::int64_t> api_module::seal_legacy_applicant_names(int batch) {
    std::int64_t sealed_total = 0;
    // Stops between batches when the process drains; the rest is sealed at the next start.
    while (!(deps_.draining && deps_.draining())) {
        auto conn = co_await deps_.pool.acquire();
        pg::steps open{{pg::begin, {}}, {queries::clear_names, pg::args(std::to_string(batch))}};
        auto opened = co_await conn->pipeline(std::move(open));
        const pg::result& rows = opened[1];
        if (rows.empty()) {
            co_await conn->execute(pg::rollback);
            break;
        }
        // Every UPDATE of the batch and the COMMIT in one round trip (params own their text).
        pg::steps seal;
        seal.reserve(static_cast<std::size_t>(rows.rows()) + 1);
        for (int i = 0; i < rows.rows(); ++i) {
            const std::string_view id = rows.get(i, 0);
            const crypto::sealed name = deps_.cipher.encrypt(rows.get(i, 1), applicant_name_aad(id));
            seal.emplace_back(queries::seal_name, pg::args(id, name.ciphertext_b64, name.key_id));
        }
        seal.emplace_back(pg::commit, pg::params{});
        co_await conn->pipeline(std::move(seal));
        sealed_total += rows.rows();
    }
    if (sealed_total > 0)
        deps_.log.info("sealed applicant names stored in clear before migration 003",
                       {{"rows", std::to_string(sealed_total)}});
    co_return sealed_total;
}

}  // namespace prequal::api
