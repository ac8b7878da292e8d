// The webhook dispatcher: claims due deliveries and runs one attempt per claimed row within the concurrency
// bounds (host_slots), then records the outcome. Woken in-process (a delivery queued here), by NOTIFY (one
// queued by another replica, or re-armed by `prequal dlq replay`) and by a timer (retries falling due).
// Single-threaded: everything runs on the service's one io thread.
#pragma once

#include "queries.hpp"

#include <prequal/core/logger.hpp>
#include <prequal/core/metrics.hpp>
#include <prequal/crypto/pan_cipher.hpp>
#include <prequal/notify/host_slots.hpp>
#include <prequal/notify/notify_module.hpp>
#include <prequal/pg/pool.hpp>
#include <prequal/webhook/client.hpp>

#include <boost/asio/steady_timer.hpp>

#include <map>
#include <memory>
#include <random>
#include <set>
#include <string>
#include <unordered_map>

namespace prequal::notify::detail {

class dispatcher : public std::enable_shared_from_this<dispatcher> {
public:
    dispatcher(boost::asio::any_io_executor ex, pg::pool& pool, const crypto::pan_cipher& cipher,
               core::logger log, core::metrics_registry& metrics, notify_options options);

    boost::asio::awaitable<void> run();
    void wake();
    void stop();

private:
    // What one attempt needs, prepared from a claimed row before a slot is taken.
    struct job {
        queries::claimed_row row;
        std::string host;                 // slot key; empty when the URL is missing or refused
        std::optional<webhook::url> url;  // nullopt: refused before any network (reason in `refusal`)
        std::string refusal;
        std::vector<std::string> secrets;  // current first, then the previous one while it signs
    };

    job prepare(queries::claimed_row row) const;
    boost::asio::awaitable<std::size_t> claim_and_start();
    boost::asio::awaitable<void> attempt(job j);
    boost::asio::awaitable<void> record(const job& j, const webhook::attempt_result& result);
    boost::asio::awaitable<void> listen_loop();
    boost::asio::awaitable<void> refresh_oldest();
    std::string excluded_clients() const;
    void nudge();

    boost::asio::any_io_executor executor_;
    pg::pool& pool_;
    const crypto::pan_cipher& cipher_;
    core::logger log_;
    notify_options options_;
    webhook::client client_;
    host_slots slots_;
    boost::asio::steady_timer timer_;
    boost::asio::steady_timer idle_;          // run() waits here for in-flight attempts after stop()
    boost::asio::steady_timer listen_retry_;  // the LISTEN loop's reconnect pause
    bool woken_ = false;
    bool stopping_ = false;
    std::size_t in_flight_ = 0;
    std::unordered_map<std::string, std::string> client_hosts_;  // last seen receiver host per client
    std::mt19937_64 rng_{std::random_device{}()};
    std::chrono::steady_clock::time_point next_gauge_{};
    // When retries recorded here fall due: the loop wakes then instead of at the next poll, so a 1 s backoff
    // is 1 s, not up to one poll interval more.
    std::multiset<std::chrono::steady_clock::time_point> retries_;

    std::map<webhook::outcome, core::counter*> outcomes_;
    core::counter& dead_;
    core::histogram& seconds_;
    core::gauge& oldest_;
};

}  // namespace prequal::notify::detail
