// In-process Prometheus metrics (text exposition format 0.0.4). Counters, gauges and histograms
// are created once (registration is mutex-guarded) and then updated lock-free from any thread.
#pragma once

#include <atomic>
#include <cstdint>
#include <functional>
#include <memory>
#include <mutex>
#include <string>
#include <utility>
#include <vector>

namespace prequal::core {

using metric_labels = std::vector<std::pair<std::string, std::string>>;

class counter {
public:
    void inc(std::uint64_t n = 1) { value_.fetch_add(n, std::memory_order_relaxed); }
    std::uint64_t value() const { return value_.load(std::memory_order_relaxed); }

private:
    std::atomic<std::uint64_t> value_{0};
};

class gauge {
public:
    void set(std::int64_t v) { value_.store(v, std::memory_order_relaxed); }
    void add(std::int64_t d) { value_.fetch_add(d, std::memory_order_relaxed); }
    std::int64_t value() const { return value_.load(std::memory_order_relaxed); }

private:
    std::atomic<std::int64_t> value_{0};
};

/// Histogram of durations in seconds (observe takes seconds as a double: timing only, never money).
class histogram {
public:
    explicit histogram(std::vector<double> upper_bounds);
    void observe(double seconds);
    const std::vector<double>& bounds() const { return bounds_; }
    std::uint64_t bucket_count(std::size_t i) const { return buckets_[i].load(std::memory_order_relaxed); }
    std::uint64_t count() const { return count_.load(std::memory_order_relaxed); }
    double sum() const;

private:
    std::vector<double> bounds_;
    std::unique_ptr<std::atomic<std::uint64_t>[]> buckets_;  // cumulative counts are computed on render
    std::atomic<std::uint64_t> count_{0};
    std::atomic<std::uint64_t> sum_micros_{0};
};

/// Default latency buckets: 0.5 ms … 10 s.
std::vector<double> default_latency_buckets();

class metrics_registry {
public:
    metrics_registry();
    ~metrics_registry();
    metrics_registry(const metrics_registry&) = delete;
    metrics_registry& operator=(const metrics_registry&) = delete;

    /// Returns the series for (name, labels), creating family and series on first use. `name` must end in
    /// _total for counters. References stay valid for the registry's lifetime.
    counter& get_counter(const std::string& name, const std::string& help, const metric_labels& labels = {});
    gauge& get_gauge(const std::string& name, const std::string& help, const metric_labels& labels = {});
    histogram& get_histogram(const std::string& name, const std::string& help,
                             const metric_labels& labels = {},
                             std::vector<double> bounds = default_latency_buckets());

    /// A gauge computed at render time (e.g. pool size, circuit state).
    void add_callback_gauge(const std::string& name, const std::string& help, const metric_labels& labels,
                            std::function<std::int64_t()> read);

    /// The whole registry in Prometheus text format 0.0.4, families sorted by name.
    std::string render() const;

private:
    struct family;
    family& family_for(const std::string& name, const std::string& help, int type);
    mutable std::mutex mutex_;
    std::vector<std::unique_ptr<family>> families_;
};

}  // namespace prequal::core
