// The webhook dispatcher loop: claim → attempt (bounded per host and overall) → record the outcome.
#include "dispatcher.hpp"

#include <prequal/notify/retry_policy.hpp>
#include <prequal/notify/webhook_admin.hpp>
#include <prequal/pg/connection.hpp>
#include <prequal/webhook/signature.hpp>

#include <boost/asio/co_spawn.hpp>
#include <boost/asio/detached.hpp>
#include <boost/asio/redirect_error.hpp>
#include <boost/asio/use_awaitable.hpp>
#include <fmt/format.h>

#include <chrono>

namespace prequal::notify::detail {

namespace asio = boost::asio;

namespace {

webhook::client_options client_options_of(const notify_options& o) {
    webhook::client_options c;
    c.rules = o.rules;
    c.deadline = o.attempt_deadline;
    return c;
}

std::int64_t unix_now() {
    return std::chrono::duration_cast<std::chrono::seconds>(
               std::chrono::system_clock::now().time_since_epoch())
        .count();
}

}  // namespace

dispatcher::dispatcher(asio::any_io_executor ex, pg::pool& pool, const crypto::pan_cipher& cipher,
                       core::logger log, core::metrics_registry& metrics, notify_options options)
    : executor_{ex},
      pool_{pool},
      cipher_{cipher},
      log_{std::move(log)},
      options_{std::move(options)},
      client_{ex, client_options_of(options_)},
      slots_{options_.max_in_flight, options_.per_host},
      timer_{ex},
      idle_{ex, asio::steady_timer::time_point::max()},
      listen_retry_{ex},
      dead_{metrics.get_counter("webhook_deliveries_dead_total",
                                "Webhook deliveries dead-lettered after the max age")},
      seconds_{metrics.get_histogram("webhook_delivery_seconds",
                                     "Duration of one webhook delivery attempt (resolve to response)")},
      oldest_{
          metrics.get_gauge("webhook_oldest_undelivered_seconds",
                            "Age of the oldest webhook delivery neither delivered nor dead, 0 when none")} {
    using webhook::outcome;
    for (auto k : {outcome::delivered, outcome::rejected, outcome::refused, outcome::unreachable,
                   outcome::tls_failed, outcome::timed_out, outcome::protocol_error})
        outcomes_[k] =
            &metrics.get_counter("webhook_deliveries_total", "Webhook delivery attempts by outcome",
                                 {{"outcome", std::string{webhook::to_string(k)}}});
}

void dispatcher::wake() {
    woken_ = true;
    timer_.cancel();
}

void dispatcher::nudge() { wake(); }

void dispatcher::stop() {
    stopping_ = true;
    timer_.cancel();
    listen_retry_.cancel();
}

dispatcher::job dispatcher::prepare(queries::claimed_row row) const {
    job j;
    if (!row.url || !row.secret_key_id || !row.secret_ciphertext) {
        j.refusal = "client " + row.client + " has no webhook";
        j.row = std::move(row);
        return j;
    }
    auto parsed = webhook::parse_url(*row.url, options_.rules);
    if (auto* why = std::get_if<std::string>(&parsed)) {
        j.refusal = *why;
        j.row = std::move(row);
        return j;
    }
    j.url = std::get<webhook::url>(std::move(parsed));
    // A receiver is its host and port: two services on one machine have separate slots.
    j.host = j.url->host + ":" + std::to_string(j.url->port);
    auto current = open_secret(cipher_, row.client, *row.secret_key_id, *row.secret_ciphertext);
    if (!current) {
        j.url.reset();
        j.refusal = "the webhook secret does not open with the configured --encryption-keys";
        j.row = std::move(row);
        return j;
    }
    j.secrets.push_back(std::move(*current));
    if (row.previous_key_id && row.previous_ciphertext) {
        auto previous = open_secret(cipher_, row.client, *row.previous_key_id, *row.previous_ciphertext);
        if (previous) j.secrets.push_back(std::move(*previous));
    }
    j.row = std::move(row);
    return j;
}

// Clients whose receiver host has no free slot here, as a PostgreSQL text[] literal: their rows stay in the
// table for another replica (or for later) instead of being claimed and given back.
std::string dispatcher::excluded_clients() const {
    std::string out = "{";
    for (const auto& [client, host] : client_hosts_) {
        if (!slots_.host_full(host)) continue;
        if (out.size() > 1) out += ',';
        out += '"';
        for (char ch : client) {
            if (ch == '"' || ch == '\\') out += '\\';
            out += ch;
        }
        out += '"';
    }
    return out + "}";
}

asio::awaitable<std::size_t> dispatcher::claim_and_start() {
    const std::size_t want = std::min(options_.claim_batch, slots_.free_total());
    if (want == 0) co_return 0;
    auto claim_args = pg::args(static_cast<std::int64_t>(want),
                               static_cast<std::int64_t>(options_.lease.count()), excluded_clients());
    auto r = co_await pool_.execute(queries::claim_due, std::move(claim_args));
    auto rows = r.rows_as<queries::claimed_row>();
    const std::size_t claimed = rows.size();
    for (auto& row : rows) {
        job j = prepare(std::move(row));
        if (j.url) client_hosts_[j.row.client] = j.host;
        if (!slots_.try_acquire(j.host)) {
            // Its host filled up within this batch: give it back untried (its lease would hold it 30 s).
            auto release_args = pg::args(j.row.id, j.row.lease);
            co_await pool_.execute(queries::release, std::move(release_args));
            continue;
        }
        ++in_flight_;
        asio::co_spawn(
            executor_,
            [self = shared_from_this(), j = std::move(j)]() mutable { return self->attempt(std::move(j)); },
            asio::detached);
    }
    co_return claimed;
}

asio::awaitable<void> dispatcher::attempt(job j) {
    webhook::attempt_result result;
    if (!j.url) {
        result.kind = webhook::outcome::refused;
        result.detail = j.refusal;
    } else {
        const std::string& body = j.row.payload;
        std::vector<webhook::header> headers{
            {"Prequal-Event-Id", j.row.event_id},
            {"Prequal-Signature", webhook::signature_header(unix_now(), body, j.secrets)}};
        // The notify consumer's span as the parent: a receiver that traces continues the request's trace.
        if (!j.row.traceparent.empty()) headers.push_back({"traceparent", j.row.traceparent});
        try {
            result = co_await client_.post(*j.url, std::move(headers), body);
        } catch (const std::exception& e) {
            // post() reports network, TLS and HTTP failures as results; anything else must still free the
            // slot.
            result.kind = webhook::outcome::protocol_error;
            result.detail = e.what();
        }
        seconds_.observe(std::chrono::duration<double>(result.elapsed).count());
    }
    outcomes_[result.kind]->inc();
    try {
        co_await record(j, result);
    } catch (const std::exception& e) {
        // The lease runs out and the delivery is attempted again: at least once, never lost.
        log_.with_trace(core::context_of(j.row.traceparent))
            .warn("recording a webhook attempt failed; it will be retried after its lease",
                  {{"delivery_id", std::to_string(j.row.id)}, {"error", e.what()}});
    }
    slots_.release(j.host);
    --in_flight_;
    if (stopping_ && in_flight_ == 0) idle_.cancel();
    nudge();
}

asio::awaitable<void> dispatcher::record(const job& j, const webhook::attempt_result& result) {
    if (result.kind == webhook::outcome::delivered) {
        auto a = pg::args(j.row.id, result.http_status);
        co_await pool_.execute(queries::mark_delivered, std::move(a));
        co_return;
    }
    const auto delay = retry_delay(j.row.attempts + 1, rng_);
    const std::string error =
        std::string{webhook::to_string(result.kind)} + ": " + result.detail.substr(0, 400);
    const pg::param status = result.http_status > 0 ? pg::param{result.http_status} : pg::param{};
    pg::params a{j.row.id,
                 j.row.lease,
                 error,
                 status,
                 static_cast<std::int64_t>(delay.count()),
                 static_cast<std::int64_t>(options_.max_age.count())};
    auto r = co_await pool_.execute(queries::mark_failed, std::move(a));
    auto f = r.maybe_one_as<queries::failed_row>();
    if (f && f->dead == 0) retries_.insert(std::chrono::steady_clock::now() + delay);
    // The lines about a delivery carry the span of the consumer that queued it.
    const core::logger log = log_.with_trace(core::context_of(j.row.traceparent));
    log.debug("webhook attempt failed", {{"delivery_id", std::to_string(j.row.id)},
                                         {"client", j.row.client},
                                         {"outcome", std::string{webhook::to_string(result.kind)}},
                                         {"attempt", std::to_string(j.row.attempts + 1)}});
    if (f && f->dead > 0) {
        dead_.inc();
        log.warn("webhook delivery dead-lettered after the max age",
                 {{"delivery_id", std::to_string(j.row.id)},
                  {"client", j.row.client},
                  {"event_id", j.row.event_id},
                  {"attempts", std::to_string(j.row.attempts + 1)},
                  {"last_error", error}});
    }
}

asio::awaitable<void> dispatcher::refresh_oldest() {
    const auto now = std::chrono::steady_clock::now();
    if (now < next_gauge_) co_return;
    next_gauge_ = now + std::chrono::seconds{5};
    auto r = co_await pool_.execute(queries::oldest_live);
    oldest_.set(r.one_as<queries::oldest_row>().seconds);
}

asio::awaitable<void> dispatcher::listen_loop() {
    // As the outbox publisher's: a NOTIFY wakes us at once; on errors reconnect with a growing pause (the
    // poll covers what is missed meanwhile), warning only at the first failure of an outage.
    constexpr core::backoff reconnect{std::chrono::milliseconds{500}, std::chrono::milliseconds{30000},
                                      core::jitter::none};
    int failures = 0;
    while (!stopping_) {
        try {
            auto conn = co_await pg::connection::connect(executor_, options_.listen_conninfo,
                                                         std::chrono::milliseconds{5000});
            co_await conn->execute_script(fmt::format("LISTEN {}", queries::channel));
            failures = 0;
            while (!stopping_) {
                auto n = co_await conn->wait_notification(std::chrono::milliseconds{1000});
                if (n) wake();
            }
        } catch (const std::exception& e) {
            if (!stopping_)
                log_.log(failures == 0 ? core::log_level::warn : core::log_level::debug,
                         "webhook LISTEN connection failed; retrying", {{"error", e.what()}});
            ++failures;
        }
        if (stopping_) break;
        listen_retry_.expires_after(reconnect.ceiling(failures - 1));
        boost::system::error_code ec;
        co_await listen_retry_.async_wait(asio::redirect_error(asio::use_awaitable, ec));
    }
}

asio::awaitable<void> dispatcher::run() {
    auto self = shared_from_this();
    if (!options_.listen_conninfo.empty())
        asio::co_spawn(
            executor_, [self] { return self->listen_loop(); }, asio::detached);
    constexpr core::backoff error_pause{std::chrono::milliseconds{100}, std::chrono::milliseconds{5000},
                                        core::jitter::none};
    int failures = 0;
    while (!stopping_) {
        woken_ = false;
        bool more = false;
        try {
            const std::size_t want = std::min(options_.claim_batch, slots_.free_total());
            const std::size_t claimed = co_await claim_and_start();
            more = want > 0 && claimed == want && slots_.free_total() > 0;
            co_await refresh_oldest();
            failures = 0;
        } catch (const std::exception& e) {
            if (failures == 0) log_.warn("webhook claim failed; retrying", {{"error", e.what()}});
            ++failures;
        }
        if (stopping_) break;
        if (more && failures == 0) continue;
        if (woken_ && failures == 0) continue;
        // Retries that fell due were claimed above (or by another replica); wait for the next one or the
        // poll.
        const auto now = std::chrono::steady_clock::now();
        retries_.erase(retries_.begin(), retries_.upper_bound(now));
        auto until = now + (failures > 0 ? error_pause.ceiling(failures - 1) : options_.poll_interval);
        // A few milliseconds late, so that the database's clock also has the row due.
        if (failures == 0 && !retries_.empty())
            until = std::min(until, *retries_.begin() + std::chrono::milliseconds{5});
        timer_.expires_at(until);
        boost::system::error_code ec;
        co_await timer_.async_wait(asio::redirect_error(asio::use_awaitable, ec));
    }
    if (in_flight_ > 0) {
        boost::system::error_code ec;
        co_await idle_.async_wait(asio::redirect_error(asio::use_awaitable, ec));
    }
}

}  // namespace prequal::notify::detail
