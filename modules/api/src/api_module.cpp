// API module wiring: routes, background work and the shared error helpers.
#include "long_polls.hpp"
#include "responses.hpp"

#include <prequal/access/scopes.hpp>
#include <prequal/api/api_module.hpp>
#include <prequal/events/notifications.hpp>
#include <prequal/pg/error.hpp>

#include <boost/asio/experimental/awaitable_operators.hpp>
#include <boost/asio/this_coro.hpp>

namespace prequal::api {

namespace detail {

http::response database_unavailable(const http::request& req) {
    auto r = http::error_for(req, 503, "SERVICE_UNAVAILABLE", "the database is unavailable; retry later");
    r.set_header("Retry-After", "1");
    return r;
}

http::response shedding_load(const http::request& req) {
    auto r = http::error_for(req, 503, "SERVICE_UNAVAILABLE",
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
                                         "Submissions answered from an Idempotency-Key")},
      long_polls_{std::make_unique<long_polls>(
          long_polls{detail::long_poll_waiters{options_.max_waiters, deps_.metrics}, nullptr})} {}

api_module::~api_module() = default;

void api_module::register_routes(http::router& router) {
    router.add(
        "POST", "/applications", [this](http::request& r) { return submit(r); },
        std::string{access::scope_applications_write});
    router.add(
        "GET", "/applications/{application_id}/status", [this](http::request& r) { return status(r); },
        std::string{access::scope_applications_read});
    router.add(
        "DELETE", "/applications/{application_id}/personal-data",
        [this](http::request& r) { return erase(r); }, std::string{access::scope_personal_data_erase});
}

boost::asio::awaitable<void> api_module::run() {
    using namespace boost::asio::experimental::awaitable_operators;
    co_await (seal_in_background() && listen_for_decisions());
}

boost::asio::awaitable<void> api_module::seal_in_background() {
    try {
        co_await seal_legacy_applicant_names();
    } catch (const std::exception& e) {
        deps_.log.warn("sealing applicant names stored in clear failed; the next start retries",
                       {{"error", e.what()}});
    }
}

boost::asio::awaitable<void> api_module::listen_for_decisions() {
    if (deps_.listen_conninfo.empty() || long_polls_->waiters.released()) co_return;
    pg::listener_options lo;
    lo.conninfo = deps_.listen_conninfo;
    lo.channels.emplace_back(events::application_decided_channel);
    auto& waiters = long_polls_->waiters;
    pg::listener_handlers handlers{[&waiters](const pg::notification& n) { waiters.wake(n.payload); },
                                   // A decision NOTIFYed while no connection listened would be missed.
                                   [&waiters] { waiters.wake_all(); }};
    long_polls_->listener = std::make_unique<pg::listener>(co_await boost::asio::this_coro::executor, lo,
                                                           std::move(handlers), deps_.log.child("long-poll"));
    co_await long_polls_->listener->run();
}

void api_module::stop() {
    long_polls_->waiters.release();
    if (long_polls_->listener) long_polls_->listener->stop();
}

}  // namespace prequal::api
