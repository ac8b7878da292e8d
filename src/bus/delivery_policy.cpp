// The one place that turns a handler's exception into a delivery outcome, shared by both buses.
#include "delivery_policy.hpp"

#include <prequal/bus/envelope.hpp>

namespace prequal::bus::detail {

boost::asio::awaitable<delivery_result> deliver_once(const handler& h, const message& m) {
    delivery_result r;
    try {
        co_await h(m);
    } catch (const poison_message& e) {
        r = {delivery_outcome::poison, e.what()};
    } catch (const dependency_unavailable& e) {
        r = {delivery_outcome::outage, e.what()};
    } catch (const std::exception& e) {
        r = {delivery_outcome::failed, e.what()};
    } catch (...) {
        r = {delivery_outcome::failed, "unknown exception"};
    }
    co_return r;
}

}  // namespace prequal::bus::detail
