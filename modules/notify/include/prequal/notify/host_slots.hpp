// Bounded concurrency of webhook attempts: at most `total` at once, and at most `per_host` to one receiver
// (host and port), so a receiver that hangs holds only its own slots (each for at most one attempt's
// deadline) while deliveries to every other host keep flowing. Not thread-safe: one dispatcher, one io
// thread.
#pragma once

#include <cstddef>
#include <string>
#include <unordered_map>

namespace prequal::notify {

class host_slots {
public:
    host_slots(std::size_t total, std::size_t per_host) : total_{total}, per_host_{per_host} {}

    /// Takes a slot for `host`; false (nothing taken) when the total or the host's share is used up.
    bool try_acquire(const std::string& host) {
        if (in_use_ >= total_) return false;
        auto& n = per_host_in_use_[host];
        if (n >= per_host_) return false;
        ++n;
        ++in_use_;
        return true;
    }

    /// Gives back a slot taken by try_acquire(host).
    void release(const std::string& host) {
        auto it = per_host_in_use_.find(host);
        if (it == per_host_in_use_.end() || it->second == 0) return;
        if (--it->second == 0) per_host_in_use_.erase(it);
        --in_use_;
    }

    std::size_t free_total() const { return total_ - in_use_; }
    bool host_full(const std::string& host) const {
        auto it = per_host_in_use_.find(host);
        return it != per_host_in_use_.end() && it->second >= per_host_;
    }
    std::size_t in_use() const { return in_use_; }

private:
    std::size_t total_;
    std::size_t per_host_;
    std::size_t in_use_ = 0;
    std::unordered_map<std::string, std::size_t> per_host_in_use_;
};

}  // namespace prequal::notify
