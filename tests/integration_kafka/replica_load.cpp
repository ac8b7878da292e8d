// Multi-replica deployment, POST load and exactly-once checks for the Kafka suite.
#include "replica_load.hpp"

#include "support/pg_harness.hpp"

#include <catch2/catch.hpp>

#include <chrono>
#include <sstream>

namespace prequal::test {

std::vector<std::string> fast_kafka_flags() {
    // The 2.0.2 mock cluster waits for session.timeout.ms before it rebalances after a member died.
    return {"--kafka-property=consumer.session.timeout.ms=6000",
            "--kafka-property=consumer.heartbeat.interval.ms=500",
            "--kafka-property=reconnect.backoff.max.ms=500"};
}

kafka_deployment::kafka_deployment(const std::string& bootstrap, const std::string& database_url, int workers,
                                   std::string worker_modules, std::vector<std::string> extra_options)
    : bootstrap_{bootstrap},
      database_url_{database_url},
      extra_options_{std::move(extra_options)},
      keys_{make_test_keys()} {
    api_port_ = free_port();
    api_ = std::make_unique<server_process>(args("api", api_port_));
    for (int i = 0; i < workers; ++i) {
        worker_ports_.push_back(free_port());
        workers_.push_back(std::make_unique<server_process>(args(worker_modules, worker_ports_.back())));
    }
    wait_healthy(api_port_);
    for (auto p : worker_ports_) wait_healthy(p);
}

std::vector<std::string> kafka_serve_args(const std::string& bootstrap, const std::string& database_url,
                                          const test_keys& keys, const std::string& modules,
                                          std::uint16_t port, const std::string& log_level) {
    std::vector<std::string> a{binary_path(),
                               "serve",
                               "--bus=kafka",
                               "--kafka-brokers=" + bootstrap,
                               "--database-url=" + database_url,
                               "--listen=127.0.0.1:" + std::to_string(port),
                               "--modules=" + modules,
                               "--encryption-keys=" + keys.encryption_keys,
                               "--pan-index-key=" + keys.pan_index_key,
                               "--log-level=" + log_level};
    for (auto& f : fast_kafka_flags()) a.push_back(f);
    return a;
}

std::vector<std::string> kafka_deployment::args(const std::string& modules, std::uint16_t port) const {
    auto a = kafka_serve_args(bootstrap_, database_url_, keys_, modules, port, "warn");
    a.insert(a.end(), extra_options_.begin(), extra_options_.end());
    return a;
}

post_load::post_load(std::uint16_t port, std::size_t target, int threads, int pace_ms)
    : port_{port}, target_{target}, pace_ms_{pace_ms} {
    for (int i = 0; i < threads; ++i) threads_.emplace_back([this] { client(); });
}

post_load::~post_load() {
    stop_ = true;
    for (auto& t : threads_)
        if (t.joinable()) t.join();
}

void post_load::client() {
    while (!stop_) {
        // Reserve a slot first so the total never exceeds the target.
        if (accepted_count_.fetch_add(1) >= target_) {
            --accepted_count_;
            return;
        }
        const std::string body = "{\"pan_number\":\"" + unique_pan() +
                                 "\",\"monthly_income_inr\":\"65000.00\",\"loan_amount_inr\":\"900000\","
                                 "\"loan_type\":\"PERSONAL\"}";
        const auto r = post_json(port_, "/applications", body);
        if (r.status == 202) {
            const auto pos = r.body.find("\"application_id\":\"");
            {
                std::lock_guard lock{mutex_};
                accepted_.insert(r.body.substr(pos + 18, 36));
            }
            if (pace_ms_ > 0) std::this_thread::sleep_for(std::chrono::milliseconds{pace_ms_});
            continue;
        }
        --accepted_count_;
        if (r.status >= 500)
            ++server_errors_;
        else
            ++other_;
        std::this_thread::sleep_for(std::chrono::milliseconds{20});
    }
}

void post_load::wait(int timeout_s) {
    const auto deadline = std::chrono::steady_clock::now() + std::chrono::seconds{timeout_s};
    while (std::chrono::steady_clock::now() < deadline) {
        {
            std::lock_guard lock{mutex_};
            if (accepted_.size() >= target_) break;
        }
        std::this_thread::sleep_for(std::chrono::milliseconds{50});
    }
    stop_ = true;
    for (auto& t : threads_)
        if (t.joinable()) t.join();
    REQUIRE(accepted().size() == target_);
}

std::set<std::string> post_load::accepted() const {
    std::lock_guard lock{mutex_};
    return accepted_;
}

void wait_none_pending(const std::string& database_url, int timeout_s) {
    const auto deadline = std::chrono::steady_clock::now() + std::chrono::seconds{timeout_s};
    while (std::chrono::steady_clock::now() < deadline &&
           sql_count(database_url, "SELECT count(*) FROM applications WHERE status = 'PENDING'") > 0)
        std::this_thread::sleep_for(std::chrono::milliseconds{200});
}

void check_exactly_once(const std::string& db, const std::set<std::string>& accepted) {
    std::string ids;
    for (const auto& id : accepted) ids += (ids.empty() ? "'" : ",'") + id + "'";
    const auto apps = sql_count(db, "SELECT count(*) FROM applications");
    CHECK(apps == static_cast<std::int64_t>(accepted.size()));
    CHECK(sql_count(db, "SELECT count(*) FROM applications WHERE id IN (" + ids + ")") ==
          static_cast<std::int64_t>(accepted.size()));
    CHECK(sql_count(db, "SELECT count(*) FROM applications WHERE status = 'PENDING'") == 0);
    CHECK(sql_count(db, "SELECT count(*) FROM applications WHERE version <> 2") == 0);
    CHECK(sql_count(db, "SELECT count(*) FROM credit_reports") == apps);
    CHECK(sql_count(db,
                    "SELECT count(*) FROM (SELECT application_id FROM credit_reports GROUP BY application_id "
                    "HAVING count(*) <> 1) x") == 0);
    CHECK(sql_count(db, "SELECT count(*) FROM audit_log WHERE action = 'DECISION_RECORDED'") == apps);
    CHECK(sql_count(db,
                    "SELECT count(*) FROM (SELECT application_id FROM audit_log WHERE action = "
                    "'DECISION_RECORDED' GROUP BY application_id HAVING count(*) <> 1) x") == 0);
    CHECK(sql_count(db, "SELECT count(*) FROM dead_letters") == 0);
}

double scrape_metric(std::uint16_t port, const std::string& name) {
    const auto r = http_request(port, "GET", "/metrics");
    if (r.status != 200) return -1;
    std::istringstream in{r.body};
    std::string line;
    while (std::getline(in, line)) {
        if (line.rfind(name + " ", 0) == 0) return std::stod(line.substr(name.size() + 1));
    }
    return -1;
}

}  // namespace prequal::test
