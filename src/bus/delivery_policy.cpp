// The one place that turns a handler's exception into a delivery outcome, and the dead letter both buses
// publish.
#include "delivery_policy.hpp"

#include <prequal/bus/envelope.hpp>

namespace prequal::bus::detail {

message dead_letter_of(const message& m, std::string_view group, std::string_view reason, int attempts) {
    message dlq = m;
    dlq.topic = dlq_topic(m.topic);
    dlq.delivery_attempt = 1;
    dlq.set_header("dlq_reason", truncate_reason(reason));
    dlq.set_header("dlq_group", std::string(group));
    dlq.set_header("dlq_attempts", std::to_string(attempts));
    return dlq;
}

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
