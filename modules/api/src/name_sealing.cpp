// Applicant names at rest: the AAD that binds a sealed name to its application, and the one-off sealing
// of names that versions before migration 003 stored in clear.
#include "applications_repository.hpp"

#include <prequal/api/api_module.hpp>

#include <string>
#include <string_view>

namespace prequal::api {

std::string applicant_name_aad(std::string_view application_id) {
    return "applicant_name:" + std::string{application_id};
}

boost::asio::awaitable<std::int64_t> api_module::seal_legacy_applicant_names(int batch) {
    detail::applications_repository applications{deps_.pool};
    const detail::name_sealer seal = [this](std::string_view id, std::string_view name) {
        return deps_.cipher.encrypt(name, applicant_name_aad(id));
    };
    std::int64_t sealed_total = 0;
    // Stops between batches when the process drains; the rest is sealed at the next start.
    while (!(deps_.draining && deps_.draining())) {
        const int sealed = co_await applications.seal_clear_names(batch, seal);
        if (sealed == 0) break;
        sealed_total += sealed;
    }
    if (sealed_total > 0)
        deps_.log.info("sealed applicant names stored in clear before migration 003",
                       {{"rows", std::to_string(sealed_total)}});
    co_return sealed_total;
}

}  // namespace prequal::api
