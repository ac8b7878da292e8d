// Multi-replica helpers for the Kafka suite: a deployment of real `prequal serve` processes (one API-only
// replica, N workers) on one database, a threaded POST load, and the exactly-once checks on the database.
#pragma once

#include "server_process.hpp"
#include "service_fixture.hpp"

#include <atomic>
#include <cstdint>
#include <memory>
#include <mutex>
#include <set>
#include <string>
#include <thread>
#include <vector>

namespace prequal::test {

/// One API-only replica and `workers` replicas with --modules=`worker_modules`, all on --bus=kafka; every
/// replica gets `extra_options` too.
class kafka_deployment {
public:
    kafka_deployment(const std::string& bootstrap, const std::string& database_url, int workers,
                     std::string worker_modules = "credit,decision",
                     std::vector<std::string> extra_options = {});

    /// The keys every replica was started with (for operator commands on the same database).
    const test_keys& keys() const { return keys_; }

    std::uint16_t api_port() const { return api_port_; }
    std::uint16_t worker_port(std::size_t i) const { return worker_ports_.at(i); }
    server_process& worker(std::size_t i) { return *workers_.at(i); }

private:
    std::vector<std::string> args(const std::string& modules, std::uint16_t port) const;

    std::string bootstrap_;
    std::string database_url_;
    std::vector<std::string> extra_options_;
    test_keys keys_;
    std::uint16_t api_port_ = 0;
    std::vector<std::uint16_t> worker_ports_;
    std::unique_ptr<server_process> api_;
    std::vector<std::unique_ptr<server_process>> workers_;
};

/// Client threads POSTing valid, unique applications to `port` until `target` were accepted (202).
class post_load {
public:
    /// `pace_ms`: each client's pause after every request (0: as fast as the server answers).
    post_load(std::uint16_t port, std::size_t target, int threads = 4, int pace_ms = 0);
    ~post_load();

    std::size_t accepted_count() const { return accepted_count_; }
    /// Joins the clients; REQUIREs that the target was reached within `timeout_s`.
    void wait(int timeout_s = 120);

    std::set<std::string> accepted() const;
    int server_errors() const { return server_errors_; }  // 5xx responses
    int other_failures() const { return other_; }         // non-202, non-5xx (incl. no response)

private:
    void client();

    std::uint16_t port_;
    std::size_t target_;
    int pace_ms_;
    std::atomic<std::size_t> accepted_count_{0};
    std::atomic<int> server_errors_{0};
    std::atomic<int> other_{0};
    std::atomic<bool> stop_{false};
    mutable std::mutex mutex_;
    std::set<std::string> accepted_;
    std::vector<std::thread> threads_;
};

/// Waits (bounded by `timeout_s`) until no application of `database_url` is PENDING.
void wait_none_pending(const std::string& database_url, int timeout_s = 120);

/// CHECKs that every id in `accepted` is in the database and that every application has exactly one credit
/// report, exactly one DECISION_RECORDED audit entry, version 2 and a final status.
void check_exactly_once(const std::string& database_url, const std::set<std::string>& accepted);

/// The value of an unlabelled counter or gauge in GET /metrics on `port` (-1 when absent).
double scrape_metric(std::uint16_t port, const std::string& name);

/// librdkafka properties for spawned replicas: quick rebalances against the mock cluster.
std::vector<std::string> fast_kafka_flags();

/// `prequal serve` on --bus=kafka with `modules`, listening on 127.0.0.1:`port`, with the fast flags.
std::vector<std::string> kafka_serve_args(const std::string& bootstrap, const std::string& database_url,
                                          const test_keys& keys, const std::string& modules,
                                          std::uint16_t port, const std::string& log_level);

}  // namespace prequal::test
