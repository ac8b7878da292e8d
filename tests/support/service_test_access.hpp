// Test access to a running app::service: run code on its io thread, publish on its bus, reach its modules.
// A friend of app::service, so the production class carries no test-only API.
#pragma once

#include "service.hpp"

#include <prequal/bus/message.hpp>
#include <prequal/bus/message_bus.hpp>
#include <prequal/decision/decision_module.hpp>

#include <boost/asio/co_spawn.hpp>
#include <boost/asio/io_context.hpp>
#include <boost/asio/post.hpp>

#include <exception>
#include <functional>
#include <future>
#include <utility>

namespace prequal::test {

struct service_test_access {
    /// Runs `fn` on the service's io thread and waits for it (tests install hooks without data races).
    static void run_on_io(app::service& s, const std::function<void()>& fn) {
        std::promise<void> done;
        boost::asio::post(s.io_context(), [&] {
            fn();
            done.set_value();
        });
        done.get_future().get();
    }

    /// Publishes `msg` on the service's bus from its io thread and waits until the bus accepted it (tests
    /// inject duplicates and poison messages this way). Rethrows what publish() threw.
    static void inject(app::service& s, bus::message msg) {
        std::promise<void> done;
        boost::asio::co_spawn(s.io_context(), s.bus().publish(std::move(msg)), [&](std::exception_ptr e) {
            if (e)
                done.set_exception(e);
            else
                done.set_value();
        });
        done.get_future().get();
    }

    /// The decision module when the service runs it, else null (tests install fault hooks on it, from the
    /// io thread: see run_on_io).
    static decision::decision_module* decision_module(app::service& s) { return s.decision_module(); }
};

}  // namespace prequal::test
