// pg::attach_pool_telemetry: the pool's size and circuit breaker as metrics, and the outage log line.
#include "pg_test_util.hpp"
#include "support/run_coro.hpp"

#include <prequal/pg/error.hpp>
#include <prequal/pg/pool.hpp>
#include <prequal/pg/pool_telemetry.hpp>

#include <catch2/catch.hpp>

#include <memory>
#include <mutex>
#include <string>
#include <vector>

namespace pg = prequal::pg;
namespace core = prequal::core;
namespace asio = boost::asio;
using prequal::test::run_coro;
using prequal::test::scratch_dir;
using namespace std::chrono_literals;
using boost::asio::awaitable;

namespace {

struct captured_lines : core::log_sink {
    std::mutex mutex;
    std::vector<std::string> lines;
    void write_line(std::string_view line) override {
        std::lock_guard lock{mutex};
        lines.emplace_back(line);
    }
};

bool has_line(const std::string& text, const std::string& line) {
    return text.find(line + "\n") != std::string::npos;
}

}  // namespace

TEST_CASE("unit: pool telemetry exports pool size and circuit state, counts transitions and logs the outage",
          "[unit][pg][pure]") {
    scratch_dir nowhere;  // no server socket in here
    core::metrics_registry metrics;
    auto sink = std::make_shared<captured_lines>();
    run_coro([&]() -> awaitable<void> {
        pg::pool_options o;
        o.conninfo = "host=" + nowhere.path().string() + " port=5432 dbname=none connect_timeout=2";
        o.size = 2;
        o.circuit.failure_threshold = 2;
        o.circuit.base_cooldown = 60s;  // stays open for the whole test
        pg::pool p(co_await asio::this_coro::executor, o);
        pg::attach_pool_telemetry(p, metrics, core::logger{"prequal", core::log_level::info, sink});

        const std::string before = metrics.render();
        CHECK(has_line(before, "db_pool_connections 0"));
        CHECK(has_line(before, "db_circuit_state 0"));
        // Every transition series exists before the first outage, at zero.
        CHECK(has_line(before, "db_circuit_transitions_total{to=\"closed\"} 0"));
        CHECK(has_line(before, "db_circuit_transitions_total{to=\"open\"} 0"));
        CHECK(has_line(before, "db_circuit_transitions_total{to=\"half_open\"} 0"));
        CHECK(before.find("# TYPE db_circuit_transitions_total counter") != std::string::npos);

        for (int i = 0; i < 3; ++i) {
            try {
                co_await p.acquire();
            } catch (const pg::error&) {
            }
        }
        REQUIRE(p.circuit() == pg::circuit_state::open);
        const std::string during = metrics.render();
        CHECK(has_line(during, "db_circuit_state 1"));
        CHECK(has_line(during, "db_circuit_transitions_total{to=\"open\"} 1"));
        CHECK(has_line(during, "db_circuit_transitions_total{to=\"closed\"} 0"));
        p.close();
    });
    std::lock_guard lock{sink->mutex};
    REQUIRE(sink->lines.size() == 1);
    CHECK(sink->lines[0].find(
              R"("level":"warn","module":"prequal","message":"database unreachable: circuit breaker )"
              R"(open, failing fast")") != std::string::npos);
}
