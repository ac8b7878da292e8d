// Translation of database outages into the bus's "retry later without spending an attempt" signal.
#include <prequal/bus/envelope.hpp>
#include <prequal/outbox/outage_guard.hpp>
#include <prequal/pg/error.hpp>

namespace prequal::outbox {

bus::handler pause_on_outage(bus::handler h) {
    return [h = std::move(h)](const bus::message& m) -> boost::asio::awaitable<void> {
        try {
            co_await h(m);
        } catch (const pg::error& e) {
            if (e.is_unavailable()) throw bus::dependency_unavailable(e.what());
            throw;
        }
    };
}

}  // namespace prequal::outbox
