// pg::listener: connect → LISTEN every channel → hand over notifications until the connection fails or
// stop(); then wait a backoff step and start again.
#include <prequal/pg/listener.hpp>

#include <boost/asio/redirect_error.hpp>
#include <boost/asio/steady_timer.hpp>
#include <boost/asio/use_awaitable.hpp>

#include <random>

namespace prequal::pg {

namespace asio = boost::asio;

namespace {

/// LISTEN takes an identifier, not a parameter: quote it (channel names come from code, never from users).
std::string listen_statement(const std::vector<std::string>& channels) {
    std::string sql;
    for (const auto& c : channels) {
        sql += "LISTEN \"";
        for (char ch : c) {
            if (ch == '"') sql += '"';
            sql += ch;
        }
        sql += "\";";
    }
    return sql;
}

}  // namespace

struct listener::impl {
    impl(asio::any_io_executor ex, listener_options o, listener_handlers h, core::logger l)
        : executor{std::move(ex)},
          options{std::move(o)},
          handlers{std::move(h)},
          log{std::move(l)},
          retry{executor} {}

    asio::any_io_executor executor;
    listener_options options;
    listener_handlers handlers;
    core::logger log;
    asio::steady_timer retry;
    bool stopping = false;
    bool listening = false;
    std::minstd_rand rng{std::random_device{}()};
};

listener::listener(asio::any_io_executor ex, listener_options options, listener_handlers handlers,
                   core::logger log)
    : impl_{std::make_unique<impl>(std::move(ex), std::move(options), std::move(handlers), std::move(log))} {}

listener::~listener() = default;

void listener::stop() {
    impl_->stopping = true;
    impl_->retry.cancel();
}

bool listener::listening() const { return impl_->listening; }

asio::awaitable<void> listener::run() {
    auto& s = *impl_;
    const std::string listen_sql = listen_statement(s.options.channels);
    int failures = 0;
    while (!s.stopping) {
        try {
            auto conn =
                co_await connection::connect(s.executor, s.options.conninfo, s.options.connect_timeout);
            co_await conn->execute_script(listen_sql);
            if (failures > 0) s.log.info("LISTEN connection restored");
            failures = 0;
            s.listening = true;
            if (s.handlers.on_listening) s.handlers.on_listening();
            while (!s.stopping) {
                auto n = co_await conn->wait_notification(s.options.stop_check);
                if (n && s.handlers.on_notification) s.handlers.on_notification(*n);
            }
        } catch (const std::exception& e) {
            if (!s.stopping)
                s.log.log(failures == 0 ? core::log_level::warn : core::log_level::debug,
                          "LISTEN connection failed; reconnecting", {{"error", e.what()}});
            ++failures;
        }
        s.listening = false;
        if (s.stopping) break;
        s.retry.expires_after(s.options.reconnect.delay<std::chrono::milliseconds>(failures - 1, s.rng));
        boost::system::error_code ec;
        co_await s.retry.async_wait(asio::redirect_error(asio::use_awaitable, ec));
    }
}

}  // namespace prequal::pg
