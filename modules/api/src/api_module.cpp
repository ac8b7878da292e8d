// API module wiring: routes, background work and the shared error helpers.
#include "responses.hpp"

#include <prequal/access/scopes.hpp>
#include <prequal/api/api_module.hpp>
#include <prequal/pg/error.hpp>

namespace prequal::api {

namespace detail {

http::response database_unavailable(const http::request& req) {
    auto r = error(req, 503, "SERVICE_UNAVAILABLE", "the database is unavailable; retry later");
    r.set_header("Retry-After", "1");
    return r;
}

http::response shedding_load(const http::request& req) {
    auto r = error(req, 503, "SERVICE_UNAVAILABLE",
                   "too many applications are waiting for a decision; retry later");
    r.set_header("Retry-After", std::to_string(admission_control::retry_after.count()));
    return r;
}

bool is_unavailable(const std::exception& e) {
    const auto* pe = dynamic_cast<const pg::error*>(&e);
    if (!pe) return false;
    return pe->is_unavailable();
}

}  // namespace detail

api_module::api_module(api_dependencies deps, api_options options)
    : deps_{std::move(deps)},
      options_{std::move(options)},
      accepted_{deps_.metrics.get_counter("applications_accepted_total", "Applications accepted (202)")},
      duplicates_{deps_.metrics.get_counter("applications_duplicate_total",
                                            "Submissions refused by the duplicate rule")},
      replays_{deps_.metrics.get_counter("idempotent_replays_total",
                                         "Submissions answered from an Idempotency-Key")} {}

void api_module::register_routes(http::router& router) {
    router.add(
        "POST", "/applications", [this](http::request& r) { return submit(r); },
        std::string{access::scope_applications_write});
    router.add(
        "GET", "/applications/{application_id}/status", [this](http::request& r) { return status(r); },
        std::string{access::scope_applications_read});
}

boost::asio::awaitable<void> api_module::run() {
    try {
        co_await seal_legacy_applicant_names();
    } catch (const std::exception& e) {
        deps_.log.warn("sealing applicant names stored in clear failed; the next start retries",
                       {{"error", e.what()}});
    }
}

}  // namespace prequal::api
