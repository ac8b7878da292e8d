// The notify module's consumer (decided events → queued deliveries) and its dispatcher's lifetime.
#include "dispatcher.hpp"
#include "queries.hpp"

#include <prequal/bus/envelope.hpp>
#include <prequal/notify/notify_module.hpp>
#include <prequal/outbox/outage_guard.hpp>

#include <boost/json/object.hpp>
#include <boost/json/serialize.hpp>

namespace prequal::notify {

namespace asio = boost::asio;

struct notify_module::impl {
    pg::pool& pool;
    core::logger log;
    notify_options options;
    std::shared_ptr<detail::dispatcher> dispatcher;
    core::counter& queued;
    core::counter& duplicates;
};

notify_module::notify_module(asio::any_io_executor ex, pg::pool& pool, const crypto::pan_cipher& cipher,
                             core::logger log, core::metrics_registry& metrics, notify_options options) {
    auto dispatcher =
        std::make_shared<detail::dispatcher>(ex, pool, cipher, log.child("dispatcher"), metrics, options);
    auto& queued =
        metrics.get_counter("webhook_deliveries_queued_total", "Decision events queued for a webhook");
    auto& duplicates = metrics.get_counter("consumer_duplicates_skipped_total",
                                           "Redelivered messages skipped", {{"group", options.group}});
    impl_ = std::make_shared<impl>(
        impl{pool, std::move(log), std::move(options), std::move(dispatcher), queued, duplicates});
}

notify_module::~notify_module() = default;

void notify_module::subscribe(bus::message_bus& bus) {
    bus.subscribe(impl_->options.input_topic, impl_->options.group,
                  outbox::pause_on_outage([this](const bus::message& m) { return handle(m); }));
}

asio::awaitable<void> notify_module::handle(const bus::message& msg) {
    // This work is a span of the message's trace: its log lines carry it.
    const core::trace_context trace = bus::trace_of(msg);
    const core::logger log = impl_->log.with_trace(trace);
    const bus::envelope in = bus::decode_envelope(msg.payload, events::application_decided);
    const std::string client = bus::require_string(in.body, "client");
    // The body receivers get: the decision event as published (it carries no personal data), plus event_id
    // (= its message_id), the id receivers dedupe by.
    boost::json::object body = in.body;
    body["event_id"] = in.message_id;
    auto a = pg::args(impl_->options.group, in.message_id, client, in.application_id,
                      boost::json::serialize(body), trace.traceparent());
    auto r = co_await impl_->pool.execute(queries::queue_delivery, std::move(a));
    const auto row = r.one_as<queries::queued_row>();
    if (row.is_new == 0) {
        impl_->duplicates.inc();
        co_return;
    }
    if (row.queued > 0) {
        impl_->queued.inc();
        log.debug("webhook delivery queued", {{"application_id", in.application_id}});
        impl_->dispatcher->wake();
    }
}

asio::awaitable<void> notify_module::run() { co_await impl_->dispatcher->run(); }

void notify_module::wake() { impl_->dispatcher->wake(); }

void notify_module::stop() { impl_->dispatcher->stop(); }

asio::awaitable<std::int64_t> requeue_unconsumed(pg::pool& pool, std::string group, std::string topic,
                                                 std::chrono::milliseconds max_age) {
    auto a = pg::args(group, topic, static_cast<std::int64_t>(max_age.count()));
    auto r = co_await pool.execute(queries::requeue_unconsumed, std::move(a));
    co_return r.affected_rows();
}

}  // namespace prequal::notify
