// Composition root: wiring only. Construction order = start-up order; shutdown runs in reverse:
// listener → in-flight HTTP → bus consumers → outbox publisher → pool → private cluster.
#include "service.hpp"

#include "database.hpp"
#include "docs_page.hpp"
#include "open_files.hpp"
#include "operational_routes.hpp"
#include "systemd_notify.hpp"
#include "tls_reloader.hpp"

#include <prequal/access/access_trail.hpp>
#include <prequal/access/gate.hpp>
#include <prequal/access/key_cache.hpp>
#include <prequal/api/admission_control.hpp>
#include <prequal/api/api_module.hpp>
#include <prequal/api/applications_owner.hpp>
#include <prequal/api/openapi.hpp>
#include <prequal/api/personal_data_retention.hpp>
#include <prequal/bus/kafka_bus.hpp>
#include <prequal/bus/memory_bus.hpp>
#include <prequal/credit/credit_module.hpp>
#include <prequal/crypto/keys.hpp>
#include <prequal/crypto/pan_cipher.hpp>
#include <prequal/crypto/pan_index.hpp>
#include <prequal/decision/decision_module.hpp>
#include <prequal/decision/decision_routes.hpp>
#include <prequal/decision/event_feed.hpp>
#include <prequal/decision/event_sequencer.hpp>
#include <prequal/http/router.hpp>
#include <prequal/http/server.hpp>
#include <prequal/notify/notify_module.hpp>
#include <prequal/notify/webhook_admin.hpp>
#include <prequal/outbox/dead_letter_recorder.hpp>
#include <prequal/outbox/publisher.hpp>
#include <prequal/outbox/redriver.hpp>
#include <prequal/outbox/retention.hpp>
#include <prequal/pg/migrations.hpp>
#include <prequal/pg/pool.hpp>
#include <prequal/pg/pool_telemetry.hpp>

#include <boost/asio/co_spawn.hpp>
#include <boost/asio/experimental/awaitable_operators.hpp>
#include <boost/asio/io_context.hpp>
#include <boost/asio/post.hpp>
#include <boost/asio/redirect_error.hpp>
#include <boost/asio/signal_set.hpp>
#include <boost/asio/steady_timer.hpp>
#include <boost/asio/use_awaitable.hpp>

#include <algorithm>
#include <atomic>
#include <functional>
#include <future>
#include <thread>

namespace prequal::app {

namespace asio = boost::asio;
using namespace asio::experimental::awaitable_operators;

namespace {

crypto::key_material configured_keys(const service_config& c) {
    if (c.encryption_keys.empty() || c.pan_index_key.empty())
        throw std::runtime_error(
            "--encryption-keys and --pan-index-key are required with --database-url "
            "(generate them with `prequal keygen`; every replica needs the same values)");
    return {crypto::parse_encryption_keys(c.encryption_keys), crypto::parse_pan_index_key(c.pan_index_key)};
}

}  // namespace

struct service::impl {
    service_config config;
    core::logger log;
    std::unique_ptr<database> db;
    std::string conninfo;
    std::filesystem::path sql_dir;
    docs_page docs;  // GET /docs (loaded before the io_context runs)
    std::unique_ptr<crypto::pan_cipher> cipher;
    std::unique_ptr<crypto::pan_index> index;

    asio::io_context ioc{1};
    asio::steady_timer stop_timer{ioc, asio::steady_timer::time_point::max()};
    bool stop_requested = false;  // io thread only
    std::atomic<bool> draining{false};
    bool handle_signals = false;
    std::weak_ptr<asio::signal_set> signals;  // io thread only; set while signals are handled
    std::thread io_thread;
    std::promise<void> started;
    std::atomic<int> exit_code{0};
    std::atomic<std::uint16_t> bound_port{0};

    core::metrics_registry metrics;
    std::unique_ptr<pg::pool> pool;
    std::unique_ptr<bus::message_bus> bus;
    std::unique_ptr<outbox::publisher> publisher;
    std::unique_ptr<api::admission_control> admission;  // only when this process runs the api module
    outbox::aggregate_owner applications;
    std::unique_ptr<outbox::redriver> redriver;
    std::unique_ptr<outbox::retention> retention;
    std::unique_ptr<credit::credit_module> credit;
    std::unique_ptr<decision::decision_module> decision;
    std::unique_ptr<notify::notify_module> notify;  // only when this process runs the notify module
    std::unique_ptr<access::key_cache> keys;        // only with --auth=api-key and the api module
    std::unique_ptr<access::gate> gate;
    std::unique_ptr<access::access_trail> trail;                 // who read which application; with the api
    std::unique_ptr<api::api_module> api;                        // only when this process runs the api module
    std::unique_ptr<decision::decision_routes> decision_routes;  // review, history, feed: beside the api
    std::unique_ptr<decision::event_sequencer> sequencer;        // numbers the feed where it is read
    std::unique_ptr<operational_routes> operational;
    http::router router;
    std::unique_ptr<http::server> server;
    std::unique_ptr<tls_reloader> tls;  // with --tls-cert/--tls-key
    std::shared_ptr<const http::tls_credentials> tls_at_start;

    asio::steady_timer publisher_done{ioc, asio::steady_timer::time_point::max()};
    bool publisher_finished = false;

    asio::awaitable<void> serve();
    asio::awaitable<void> shutdown_sequence();
    asio::awaitable<void> announce_ready();
    void wait_for_signal(std::shared_ptr<asio::signal_set> set);
    asio::awaitable<void> run_api() {
        if (api) co_await api->run();
    }
    asio::awaitable<void> run_sequencer() {
        if (sequencer) co_await sequencer->run();
    }
    asio::awaitable<void> run_trail() {
        if (trail) co_await trail->run();
    }
    asio::awaitable<void> run_keys() {
        if (keys) co_await keys->run();
    }
    asio::awaitable<void> run_notify() {
        if (notify) co_await notify->run();
    }
    asio::awaitable<void> set_up_notify(asio::any_io_executor ex);
    asio::awaitable<void> set_up_access(asio::any_io_executor ex);
    asio::awaitable<void> run_publisher() {
        co_await publisher->run();
        publisher_finished = true;
        publisher_done.cancel();
    }
    void stop_on_io_thread() {
        stop_requested = true;
        stop_timer.cancel();
        // A SIGHUP wait must not keep the io_context running; once its set is gone, signals act as by
        // default.
        if (auto set = signals.lock()) set->cancel();
    }
};

asio::awaitable<void> service::impl::serve() {
    auto ex = co_await asio::this_coro::executor;
    {
        auto conn = co_await pg::connection::connect(ex, conninfo, std::chrono::seconds{30});
        auto report = co_await pg::migrate(*conn, sql_dir);
        log.info("database schema up to date",
                 {{"applied_now", std::to_string(report.applied.size())},
                  {"already_applied", std::to_string(report.already_applied.size())}});
    }
    pg::pool_options po;
    po.conninfo = conninfo;
    po.size = config.db_pool_size;
    po.operation_timeout = config.db_operation_timeout;
    pool = std::make_unique<pg::pool>(ex, po);
    pg::attach_pool_telemetry(*pool, metrics, log);

    if (config.bus == "kafka") {
        bus::kafka_bus_options ko;
        ko.brokers = config.kafka_brokers;
        ko.properties = config.kafka_properties;
        ko.retry.max_attempts = config.bus_max_attempts;
        ko.max_in_flight_per_group = config.bus_partitions;
        bus = bus::make_kafka_bus(ex, std::move(ko), log.child("bus"), metrics);
    } else {
        bus::memory_bus_options bo;
        bo.partitions = config.bus_partitions;
        bo.retry.max_attempts = config.bus_max_attempts;
        bus = bus::make_memory_bus(ex, bo, log.child("bus"), metrics);
    }

    // LISTEN so that `prequal dlq replay` and outbox revivals (which NOTIFY) wake the publisher at once
    // instead of at the next safety poll; our own commits wake it in-process.
    outbox::publisher_options pub_options;
    pub_options.listen_conninfo = conninfo;
    publisher =
        std::make_unique<outbox::publisher>(ex, *pool, *bus, pub_options, log.child("outbox"), metrics);
    auto wake = [p = publisher.get()] { p->wake(); };
    outbox::redriver_options ro;
    ro.stuck_after = config.stuck_after;
    ro.interval = config.redrive_interval;
    // The api module owns the applications behind the outbox's events; every process re-drives and
    // retains them, whichever modules it runs. Where the API runs, admission control reads the backlog, so
    // it is refreshed every second there (the contract), and counted only as far as the limit needs.
    const api::admission_limits limits{config.max_pending, config.max_pending_age};
    std::function<void(const api::applications_backlog&)> on_backlog;
    if (config.run_api) {
        admission = std::make_unique<api::admission_control>(limits, log.child("admission"), metrics);
        on_backlog = [a = admission.get()](const api::applications_backlog& b) { a->observe(b); };
        ro.backlog_interval = std::min<std::chrono::milliseconds>(std::chrono::seconds{1}, ro.interval);
    } else {
        ro.backlog_interval = ro.interval;
    }
    applications = api::applications_owner(metrics, api::admission_control::count_cap(limits, ro.count_cap),
                                           std::move(on_backlog));
    // The gauge of personal data due for erasure is read with the backlog (one capped index walk). The
    // closure lives in `applications`, as long as the re-driver that calls it.
    applications.observe_backlog =
        [backlog = std::move(applications.observe_backlog),
         due = api::personal_data_due_observer(metrics, config.personal_data_retention)](
            pg::pool& p) -> asio::awaitable<void> {
        if (backlog) co_await backlog(p);
        co_await due(p);
    };
    redriver =
        std::make_unique<outbox::redriver>(ex, *pool, applications, ro, wake, log.child("redriver"), metrics);
    outbox::retention_options rt;
    rt.interval = config.retention_interval;
    rt.processed_messages_age = config.bus_retention;
    std::vector<outbox::retention_job> owner_jobs{
        api::idempotency_key_retention(api::idempotency_window),
        notify::delivery_retention(config.bus_retention),
        decision::event_feed_retention(config.event_retention),
        api::personal_data_retention(config.personal_data_retention),
        api::pan_claims_retention(),
        outbox::retention_job{"access_trail", std::string{access::access_trail_retention_lock},
                              std::string{access::access_trail_retention_sql},
                              config.access_trail_retention}};
    retention = std::make_unique<outbox::retention>(ex, *pool, applications, std::move(owner_jobs), rt,
                                                    log.child("retention"), metrics);
    if (config.run_credit) {
        credit::credit_options co;
        co.group = config.credit_group;
        co.input_topic = config.submitted_topic;
        co.output_topic = config.credit_topic;
        credit =
            std::make_unique<credit::credit_module>(*pool, *cipher, log.child("credit"), metrics, wake, co);
        credit->subscribe(*bus);
    }
    if (config.run_decision) {
        decision::decision_options dopt;
        dopt.group = config.decision_group;
        dopt.input_topic = config.credit_topic;
        dopt.output_topic = config.decided_topic;
        decision =
            std::make_unique<decision::decision_module>(*pool, log.child("decision"), metrics, wake, dopt);
        decision->subscribe(*bus);
    }
    if (config.run_notify) co_await set_up_notify(ex);
    // Not the decided topic's dead letters: Kafka deployments have no loan_applications_decided_dlq topic
    // yet.
    outbox::record_dead_letters(*bus, *pool, {config.submitted_topic, config.credit_topic},
                                "dead-letter-recorder", log.child("dlq"));

    operational = std::make_unique<operational_routes>(
        operational_dependencies{*pool, metrics, [b = bus.get()] { return b->healthy(); },
                                 [this] { return draining.load(); }, api::openapi_document()});
    operational->register_routes(router);
    docs.register_routes(router);
    if (config.run_api) {
        co_await set_up_access(ex);
        router.set_guard(gate->guard());
        // Reads record who read which application here; it writes in batches off the request path.
        trail = std::make_unique<access::access_trail>(ex, *pool, access::access_trail_options{},
                                                       log.child("access-trail"), metrics);
        api = std::make_unique<api::api_module>(
            api::api_dependencies{*pool, *cipher, *index, metrics, log.child("api"), wake,
                                  [this] { return draining.load(); }, admission.get(), conninfo, trail.get()},
            api::api_options{config.submitted_topic, config.max_waiters, config.require_consent});
        api->register_routes(router);
        // The decision module's routes are served where the API is, behind the same guard, whichever
        // process consumes credit reports.
        decision_routes = std::make_unique<decision::decision_routes>(decision::routes_dependencies{
            *pool, metrics, log.child("decision"), wake, config.decided_topic, trail.get()});
        decision_routes->register_routes(router);
        sequencer = std::make_unique<decision::event_sequencer>(ex, *pool, log.child("event-feed"), metrics);
    }

    http::server_options so;
    so.host = config.listen_host;
    so.port = config.listen_port;
    so.read_timeout = config.read_timeout;
    so.idle_timeout = config.idle_timeout;
    so.max_connections = connection_budget(config, log);  // raises the open-files limit too
    so.tls = std::move(tls_at_start);
    so.bearer_credentials =
        access::resolve_auth_mode(config.auth, config.listen_host) == access::auth_mode::api_key;
    server = std::make_unique<http::server>(
        ex, so, [this](http::request& r) { return router.dispatch(r); }, log.child("http"), metrics);
    server->listen();
    bound_port = server->port();

    if (!bus->durable()) {
        // The in-memory queue died with any previous process: re-drive every unfinished application.
        const auto n = co_await publisher->requeue_unfinished(applications);
        if (n > 0) log.info("re-driving unfinished work from the outbox", {{"events", std::to_string(n)}});
        if (notify) {
            // Decided events are final (their application is not unfinished), so the re-drive above does not
            // cover the ones this module had not consumed yet when the previous process died.
            const auto d = co_await notify::requeue_unconsumed(*pool, config.notify_group,
                                                               config.decided_topic, config.webhook_max_age);
            if (d > 0) log.info("re-driving unconsumed decision events", {{"events", std::to_string(d)}});
            if (d > 0) publisher->wake();
        }
    }
    if (handle_signals) {
        auto set = std::make_shared<asio::signal_set>(ex, SIGINT, SIGTERM);
        if (tls) set->add(SIGHUP);  // without TLS there is nothing to reload: SIGHUP keeps its default
        signals = set;
        wait_for_signal(std::move(set));
    }
    const auto mode = access::resolve_auth_mode(config.auth, config.listen_host);
    log.info("prequal serving", {{"listen", config.listen_host + ":" + std::to_string(server->port())},
                                 {"bus", config.bus},
                                 {"protocol", tls ? "https" : "http"},
                                 {"auth", access::to_string(mode)}});
    if (mode == access::auth_mode::none && !access::is_loopback_host(config.listen_host))
        log.warn(
            "--auth=none on a non-loopback address: anyone who can reach the port can submit and read "
            "applications",
            {{"listen", config.listen_host + ":" + std::to_string(server->port())}});
    started.set_value();
    co_await (bus->run() && run_publisher() && redriver->run() && retention->run() && server->run() &&
              run_api() && run_trail() && run_keys() && run_notify() && run_sequencer() && announce_ready() &&
              shutdown_sequence());
    pool->close();
    log.info("stopped cleanly");
}

// The guard of the api module's routes: with api-key auth, the keys are loaded before the listener opens so
// that the first request is answered from memory.
asio::awaitable<void> service::impl::set_up_access(asio::any_io_executor ex) {
    access::gate_options go;
    go.mode = access::resolve_auth_mode(config.auth, config.listen_host);
    go.default_rate_limit = config.default_rate_limit;
    go.default_burst = config.default_burst;
    if (go.mode == access::auth_mode::api_key) {
        access::key_cache_options ko;
        ko.listen_conninfo = conninfo;
        keys = std::make_unique<access::key_cache>(ex, *pool, ko, log.child("access"), metrics);
        co_await keys->load();
        log.info("API keys loaded", {{"keys", std::to_string(keys->size())}});
    }
    gate = std::make_unique<access::gate>(go, keys.get(), metrics, log.child("access"));
}

// The notify module (webhooks): its consumer and dispatcher, and with --auth=none the anonymous client's
// webhook from --webhook-url/--webhook-secret (written before consuming starts).
asio::awaitable<void> service::impl::set_up_notify(asio::any_io_executor ex) {
    if (!config.webhook_url.empty()) {
        auto conn = co_await pool->acquire();
        co_await notify::put_webhook(*conn, *cipher, "anonymous", config.webhook_url, config.webhook_secret);
        log.info("webhook of the anonymous client configured from --webhook-url");
    }
    notify::notify_options no;
    no.group = config.notify_group;
    no.input_topic = config.decided_topic;
    no.max_age = config.webhook_max_age;
    no.rules.allow_private = config.webhook_allow_private;
    no.listen_conninfo = conninfo;
    notify = std::make_unique<notify::notify_module>(ex, *pool, *cipher, log.child("notify"), metrics, no);
    notify->subscribe(*bus);
}

// The set lives as long as a wait is pending on it: after the stopping signal it is destroyed, so a second
// SIGTERM or SIGINT ends the process at once, as it did before SIGHUP was handled.
void service::impl::wait_for_signal(std::shared_ptr<asio::signal_set> set) {
    auto& waiting = *set;
    waiting.async_wait([this, set = std::move(set)](boost::system::error_code ec, int sig) mutable {
        if (ec) return;
        if (sig == SIGHUP) {
            log.info("SIGHUP received; reloading the TLS certificate and key");
            tls->reload(ioc.get_executor(), [this](std::shared_ptr<const http::tls_credentials> credentials) {
                server->set_tls(std::move(credentials));
            });
            wait_for_signal(std::move(set));
            return;
        }
        log.info("signal received; stopping gracefully", {{"signal", sig == SIGINT ? "SIGINT" : "SIGTERM"}});
        stop_on_io_thread();
    });
}

// Under systemd (Type=notify): READY=1 once /ready would answer 200 (the database answers, the bus is
// healthy), checked every 250 ms from the moment the listener is open; nothing without NOTIFY_SOCKET.
asio::awaitable<void> service::impl::announce_ready() {
    if (!systemd_notify_requested()) co_return;
    asio::steady_timer wait{co_await asio::this_coro::executor};
    while (!draining) {
        http::request probe;
        const auto answer = co_await operational->ready(probe);
        if (answer.status == 200) {
            notify_systemd("READY=1\nSTATUS=serving on " + config.listen_host + ":" +
                           std::to_string(bound_port));
            log.info("told systemd the service is ready");
            co_return;
        }
        wait.expires_after(std::chrono::milliseconds(250));
        boost::system::error_code ec;
        co_await wait.async_wait(asio::redirect_error(asio::use_awaitable, ec));
    }
}

asio::awaitable<void> service::impl::shutdown_sequence() {
    if (!stop_requested) {
        boost::system::error_code ec;
        co_await stop_timer.async_wait(asio::redirect_error(asio::use_awaitable, ec));
    }
    draining = true;
    if (systemd_notify_requested()) notify_systemd("STOPPING=1\nSTATUS=draining");
    server->stop_accepting();
    // Long polls answer now with the current state, so draining does not wait out their deadlines.
    if (api) api->stop();
    co_await server->drain(config.shutdown_timeout);
    if (keys) keys->stop();    // writes the last uses of keys while the pool is still open
    if (trail) trail->stop();  // writes the rest of the access trail, likewise
    log.info("HTTP drained; stopping the outbox publisher, then the consumers");
    redriver->stop();
    retention->stop();
    if (notify)
        notify->stop();  // attempts in flight finish (each within its deadline) or their lease expires
    if (sequencer) sequencer->stop();
    // Publisher first: its last batch may still need the bus (a stopped bus refuses publishes).
    publisher->stop();
    if (!publisher_finished) {
        boost::system::error_code ec;
        co_await publisher_done.async_wait(asio::redirect_error(asio::use_awaitable, ec));
    }
    bus->stop();
}

service::service(service_config config, core::logger log) : impl_{std::make_unique<impl>()} {
    impl_->config = std::move(config);
    impl_->log = std::move(log);
}

service::~service() {
    if (!impl_->io_thread.joinable()) return;
    // wait() throws when the private PostgreSQL cluster refuses to stop; a destructor must not throw.
    try {
        request_stop();
        wait();
    } catch (const std::exception& e) {
        impl_->log.error("stopping the service failed", {{"error", e.what()}});
    }
}

void service::start() {
    auto& s = *impl_;
    if (!s.config.tls_cert.empty()) {
        // First, so that a wrong file fails start-up before the database is touched. Absolute paths: a
        // reload reads the same files whatever the working directory is by then.
        s.tls = std::make_unique<tls_reloader>(std::filesystem::absolute(s.config.tls_cert),
                                               std::filesystem::absolute(s.config.tls_key),
                                               s.log.child("tls"), s.metrics);
        s.tls_at_start = s.tls->load_initial();
    }
    s.sql_dir = find_sql_dir(s.config);
    s.docs = docs_page::load(find_docs_dir(), s.log.child("docs"));
    s.db = std::make_unique<database>(s.config, s.log);
    s.conninfo = s.db->conninfo();
    const crypto::key_material keys = s.config.database_url.empty() && s.config.encryption_keys.empty()
                                          ? crypto::load_or_create_key_file(s.config.data_dir / "keys")
                                          : configured_keys(s.config);
    s.cipher = std::make_unique<crypto::pan_cipher>(keys.encryption_keys);
    s.index = std::make_unique<crypto::pan_index>(keys.pan_index_key);

    auto started = s.started.get_future();
    asio::co_spawn(s.ioc, s.serve(), [this](std::exception_ptr e) {
        if (!e) return;
        try {
            std::rethrow_exception(e);
        } catch (const std::exception& ex) {
            impl_->log.error("service failed", {{"error", ex.what()}});
        }
        impl_->exit_code = 1;
        try {
            impl_->started.set_exception(e);
        } catch (const std::future_error&) {
            // already running: the failure is reported through the exit code
        }
        impl_->ioc.stop();
    });
    s.io_thread = std::thread{[&s] { s.ioc.run(); }};
    try {
        started.get();
    } catch (...) {
        s.io_thread.join();
        s.db->stop();
        throw;
    }
}

std::uint16_t service::port() const { return impl_->bound_port; }
std::string service::conninfo() const { return impl_->conninfo; }

void service::request_stop() {
    asio::post(impl_->ioc, [s = impl_.get()] { s->stop_on_io_thread(); });
}

int service::wait() {
    auto& s = *impl_;
    if (s.io_thread.joinable()) s.io_thread.join();
    // Destroy in reverse order of construction while no io thread runs.
    s.tls.reset();  // waits for a reload in progress
    s.server.reset();
    s.sequencer.reset();
    s.decision_routes.reset();
    s.api.reset();
    s.gate.reset();
    s.trail.reset();
    s.keys.reset();
    s.operational.reset();
    s.notify.reset();
    s.decision.reset();
    s.credit.reset();
    s.retention.reset();
    s.redriver.reset();
    s.admission.reset();
    s.publisher.reset();
    s.bus.reset();
    s.pool.reset();
    if (s.db) s.db->stop();
    return s.exit_code;
}

int service::run_until_signal() {
    impl_->handle_signals = true;
    start();
    return wait();
}

asio::io_context& service::io_context() { return impl_->ioc; }
bus::message_bus& service::bus() { return *impl_->bus; }
decision::decision_module* service::decision_module() { return impl_->decision.get(); }

}  // namespace prequal::app
