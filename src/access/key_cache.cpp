// key_cache: a map of shared entries updated in place on reload (so rate-limit buckets survive), a LISTEN
// loop that triggers reloads, and a budget for database look-ups of ids the map does not hold.
#include "queries.hpp"

#include <prequal/access/key_admin.hpp>
#include <prequal/access/key_cache.hpp>
#include <prequal/core/backoff.hpp>
#include <prequal/pg/error.hpp>

#include <boost/asio/co_spawn.hpp>
#include <boost/asio/detached.hpp>
#include <boost/asio/redirect_error.hpp>
#include <boost/asio/steady_timer.hpp>
#include <boost/asio/use_awaitable.hpp>

#include <unordered_map>
#include <unordered_set>
#include <vector>

namespace prequal::access {

namespace asio = boost::asio;
using steady = std::chrono::steady_clock;

struct key_cache::impl {
    impl(asio::any_io_executor ex, pg::pool& p, key_cache_options o, core::logger l,
         core::metrics_registry& m)
        : executor{ex},
          pool{p},
          options{std::move(o)},
          log{std::move(l)},
          timer{ex},
          listen_retry{ex},
          lookup_budget{options.lookups_per_second, options.lookup_burst, steady::now()},
          lookups{m.get_counter("api_key_lookups_total",
                                "Database look-ups of API key ids not held in memory (bounded rate)")},
          reload_failures{m.get_counter("api_key_reload_failures_total", "Failed reloads of the API keys")} {}

    asio::any_io_executor executor;
    pg::pool& pool;
    key_cache_options options;
    core::logger log;
    asio::steady_timer timer;
    asio::steady_timer listen_retry;
    bool stopping = false;
    bool woken = false;
    std::unordered_map<std::string, std::shared_ptr<cached_key>> keys;
    std::unordered_map<std::string, steady::time_point> unknown;  // id → looked up and absent until
    token_bucket lookup_budget;
    core::counter& lookups;
    core::counter& reload_failures;

    static void assign(cached_key& k, queries::key_row&& row) {
        k.id = std::move(row.id);
        k.client = std::move(row.client);
        k.secret_sha256 = std::move(row.secret_sha256);
        k.scopes = std::move(row.scopes);
        k.rate_limit = row.rate_limit;
        k.burst = row.burst;
        k.expires_at.reset();
        if (row.expires_ms)
            k.expires_at = std::chrono::system_clock::time_point{std::chrono::milliseconds{*row.expires_ms}};
        k.revoked = row.revoked;
    }

    std::shared_ptr<cached_key> upsert(queries::key_row&& row) {
        auto& slot = keys[row.id];
        if (!slot) slot = std::make_shared<cached_key>();
        assign(*slot, std::move(row));
        return slot;
    }

    asio::awaitable<void> reload() {
        const pg::result r = co_await pool.execute(queries::load_keys);
        std::unordered_set<std::string> seen;
        for (auto& row : r.rows_as<queries::key_row>()) {
            seen.insert(row.id);
            upsert(std::move(row));
        }
        std::erase_if(keys, [&](const auto& kv) { return !seen.contains(kv.first); });
        unknown.clear();  // a key created since is in `keys` now; the rest may be looked up again
    }

    asio::awaitable<void> listen_loop(std::shared_ptr<impl> self);
};

key_cache::key_cache(asio::any_io_executor ex, pg::pool& pool, key_cache_options options, core::logger log,
                     core::metrics_registry& metrics)
    : impl_{std::make_shared<impl>(ex, pool, std::move(options), std::move(log), metrics)} {
    metrics.add_callback_gauge("api_keys_cached", "API keys held in memory by this process", {},
                               [s = std::weak_ptr<impl>(impl_)] {
                                   auto p = s.lock();
                                   return p ? static_cast<std::int64_t>(p->keys.size()) : 0;
                               });
}

key_cache::~key_cache() = default;

std::size_t key_cache::size() const { return impl_->keys.size(); }

asio::awaitable<void> key_cache::load() { co_await impl_->reload(); }

void key_cache::stop() {
    impl_->stopping = true;
    impl_->timer.cancel();
    impl_->listen_retry.cancel();
}

asio::awaitable<std::shared_ptr<cached_key>> key_cache::find(std::string id) {
    auto& s = *impl_;
    if (auto it = s.keys.find(id); it != s.keys.end()) co_return it->second;
    const auto now = steady::now();
    if (auto it = s.unknown.find(id); it != s.unknown.end()) {
        if (it->second > now) co_return nullptr;
        s.unknown.erase(it);
    }
    if (!s.lookup_budget.take(now).allowed) co_return nullptr;
    s.lookups.inc();
    auto self = impl_;  // the cache may be stopped while the look-up runs; its state must stay alive
    const pg::result r = co_await self->pool.execute(queries::load_key, pg::args(id));
    auto row = r.maybe_one_as<queries::key_row>();
    if (!row) {
        if (self->unknown.size() >= self->options.unknown_capacity) self->unknown.clear();
        self->unknown[id] = steady::now() + self->options.unknown_ttl;
        co_return nullptr;
    }
    if (auto it = self->keys.find(id); it != self->keys.end()) co_return it->second;  // loaded meanwhile
    co_return self->upsert(std::move(*row));
}

asio::awaitable<void> key_cache::flush() {
    auto self = impl_;
    std::vector<std::shared_ptr<cached_key>> used;
    std::string ids = "{";
    std::string times = "{";
    for (auto& [id, key] : self->keys) {
        if (!key->used) continue;
        ids += (used.empty() ? "" : ",") + id;  // ids are hex: no quoting needed in the array literal
        times +=
            (used.empty() ? "" : ",") +
            std::to_string(
                std::chrono::duration_cast<std::chrono::milliseconds>(key->used->time_since_epoch()).count());
        used.push_back(key);
    }
    if (used.empty()) co_return;
    ids += "}";
    times += "}";
    std::vector<std::chrono::system_clock::time_point> pending;
    pending.reserve(used.size());
    for (auto& k : used) {
        pending.push_back(*k->used);
        k->used.reset();
    }
    try {
        co_await self->pool.execute(queries::record_last_used, pg::args(ids, times));
    } catch (...) {
        for (std::size_t i = 0; i < used.size(); ++i)
            if (!used[i]->used) used[i]->used = pending[i];
        throw;
    }
}

asio::awaitable<void> key_cache::impl::listen_loop(std::shared_ptr<impl> self) {
    constexpr core::backoff reconnect{std::chrono::milliseconds{500}, std::chrono::milliseconds{30000},
                                      core::jitter::none};
    int failures = 0;
    while (!stopping) {
        try {
            auto conn =
                co_await pg::connection::connect(executor, options.listen_conninfo, std::chrono::seconds{5});
            co_await conn->execute_script(std::string{"LISTEN "} + keys_channel);
            failures = 0;
            // A reload now covers whatever changed while this connection was not listening.
            woken = true;
            timer.cancel();
            while (!stopping) {
                if (co_await conn->wait_notification(std::chrono::milliseconds{1000})) {
                    woken = true;
                    timer.cancel();
                }
            }
        } catch (const std::exception& e) {
            if (!stopping)
                log.log(failures == 0 ? core::log_level::warn : core::log_level::debug,
                        "API key LISTEN connection failed; retrying (keys still refresh periodically)",
                        {{"error", e.what()}});
            ++failures;
        }
        if (stopping) break;
        listen_retry.expires_after(reconnect.ceiling(failures - 1));
        boost::system::error_code ec;
        co_await listen_retry.async_wait(asio::redirect_error(asio::use_awaitable, ec));
    }
}

asio::awaitable<void> key_cache::run() {
    auto self = impl_;
    auto& s = *self;
    if (!s.options.listen_conninfo.empty()) asio::co_spawn(s.executor, s.listen_loop(self), asio::detached);
    auto next_flush = steady::now() + s.options.flush_interval;
    bool failing = false;
    while (!s.stopping) {
        if (!s.woken) {
            s.timer.expires_after(s.options.refresh_interval);
            boost::system::error_code ec;
            co_await s.timer.async_wait(asio::redirect_error(asio::use_awaitable, ec));
            if (s.stopping) break;
        }
        s.woken = false;
        try {
            co_await s.reload();
            if (failing) s.log.info("API keys reloaded again");
            failing = false;
        } catch (const std::exception& e) {
            s.reload_failures.inc();
            if (!failing)
                s.log.warn("reloading the API keys failed; keeping those in memory", {{"error", e.what()}});
            failing = true;
        }
        if (steady::now() >= next_flush) {
            next_flush = steady::now() + s.options.flush_interval;
            try {
                co_await flush();
            } catch (const std::exception& e) {
                s.log.warn("recording API key use failed; retrying at the next flush", {{"error", e.what()}});
            }
        }
    }
    try {
        co_await flush();
    } catch (const std::exception& e) {
        s.log.warn("recording API key use at shutdown failed", {{"error", e.what()}});
    }
}

}  // namespace prequal::access
