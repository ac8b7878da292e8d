// Long-poll waiters: a map of timers by application id, bounded, and the `wait` parameter's rules.
#include "long_poll.hpp"

#include <prequal/http/message.hpp>

#include <boost/asio/redirect_error.hpp>
#include <boost/asio/use_awaitable.hpp>

#include <algorithm>

namespace prequal::api::detail {

namespace asio = boost::asio;

namespace {

/// Exactly an integer in [min_wait_seconds, max_wait_seconds], digits only (no sign, point or space).
std::optional<int> wait_seconds(std::string_view v) {
    if (v.empty() || v.size() > 4) return std::nullopt;
    int n = 0;
    for (char c : v) {
        if (c < '0' || c > '9') return std::nullopt;
        n = n * 10 + (c - '0');
    }
    if (n < min_wait_seconds || n > max_wait_seconds) return std::nullopt;
    return n;
}

}  // namespace

wait_parameter parse_wait(std::string_view target) {
    wait_parameter out;
    for (const auto& p : http::query_parameters(target)) {
        if (!p.name || *p.name != "wait") continue;
        const auto seconds = p.value ? wait_seconds(*p.value) : std::nullopt;
        // A repeated `wait` is ambiguous: refused rather than guessed.
        out.valid = !out.present && seconds.has_value();
        if (seconds) out.wait = std::chrono::seconds{*seconds};
        out.present = true;
        if (!out.valid) return out;
    }
    return out;
}

long_poll_waiter::long_poll_waiter(long_poll_waiters& owner, std::string id, const asio::any_io_executor& ex)
    : owner_{owner}, id_{std::move(id)}, timer_{ex} {}

long_poll_waiter::~long_poll_waiter() { owner_.remove(*this); }

bool long_poll_waiter::released() const { return owner_.released(); }

void long_poll_waiter::wake() {
    woken_ = true;
    timer_.cancel();
}

asio::awaitable<void> long_poll_waiter::wait_until(std::chrono::steady_clock::time_point deadline) {
    // A wake-up that came before this call (e.g. between registration and the first read) is not lost.
    if (!woken_ && !owner_.released()) {
        timer_.expires_at(deadline);
        boost::system::error_code ec;
        co_await timer_.async_wait(asio::redirect_error(asio::use_awaitable, ec));
    }
    woken_ = false;
}

long_poll_waiters::long_poll_waiters(std::size_t capacity, core::metrics_registry& metrics)
    : capacity_{capacity},
      gauge_{metrics.get_gauge("long_poll_waiters", "Status requests waiting for a decision (?wait=S)")},
      woken_by_decision_{metrics.get_counter("long_poll_wakeups_total",
                                             "Long polls woken before their deadline, by cause",
                                             {{"cause", "decision"}})},
      woken_by_reconnect_{metrics.get_counter("long_poll_wakeups_total",
                                              "Long polls woken before their deadline, by cause",
                                              {{"cause", "reconnect"}})},
      woken_by_shutdown_{metrics.get_counter("long_poll_wakeups_total",
                                             "Long polls woken before their deadline, by cause",
                                             {{"cause", "shutdown"}})},
      over_capacity_{metrics.get_counter(
          "long_poll_over_capacity_total",
          "Long polls answered at once with the current state because --max-waiters were waiting")} {}

std::unique_ptr<long_poll_waiter> long_poll_waiters::enlist(std::string application_id,
                                                            const asio::any_io_executor& ex) {
    if (released_) return nullptr;
    if (count_ >= capacity_) {
        over_capacity_.inc();
        return nullptr;
    }
    auto w = std::make_unique<long_poll_waiter>(*this, application_id, ex);
    by_id_[std::move(application_id)].push_back(w.get());
    ++count_;
    gauge_.add(1);
    return w;
}

void long_poll_waiters::remove(const long_poll_waiter& w) {
    auto it = by_id_.find(w.id_);
    if (it == by_id_.end()) return;
    auto& list = it->second;
    const auto pos = std::find(list.begin(), list.end(), &w);
    if (pos == list.end()) return;
    list.erase(pos);
    if (list.empty()) by_id_.erase(it);
    --count_;
    gauge_.add(-1);
}

void long_poll_waiters::wake(std::string_view application_id) {
    auto it = by_id_.find(std::string{application_id});
    if (it == by_id_.end()) return;
    // Cancelling a timer never runs its waiter inline, so the list cannot change under this loop.
    for (auto* w : it->second) w->wake();
    woken_by_decision_.inc(it->second.size());
}

void long_poll_waiters::wake_all() {
    for (auto& [id, list] : by_id_) {
        for (auto* w : list) w->wake();
    }
    woken_by_reconnect_.inc(count_);
}

void long_poll_waiters::release() {
    released_ = true;
    for (auto& [id, list] : by_id_) {
        for (auto* w : list) w->wake();
    }
    woken_by_shutdown_.inc(count_);
}

}  // namespace prequal::api::detail
