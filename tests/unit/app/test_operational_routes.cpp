// The operational endpoints every process serves (/health, /ready, /metrics, /openapi.json), called as
// request → response handlers through a router, against a real PostgreSQL and an unreachable one.
#include "operational_routes.hpp"
#include "support/pg_harness.hpp"
#include "support/run_coro.hpp"

#include <prequal/http/router.hpp>
#include <prequal/pg/pool.hpp>

#include <boost/asio/this_coro.hpp>
#include <catch2/catch.hpp>

#include <atomic>
#include <string>

using namespace prequal;
using boost::asio::awaitable;
using prequal::test::pg_harness;
using prequal::test::run_coro;

namespace {

struct answer {
    unsigned status = 0;
    std::string content_type;
    std::string body;
};

// GETs `path` from routes registered on a fresh router, with a pool on `conninfo`.
answer get(const std::string& conninfo, const std::string& path, bool bus_healthy = true,
           bool draining = false) {
    core::metrics_registry metrics;
    metrics.get_counter("example_total", "An example counter").inc(3);
    return run_coro([&]() -> awaitable<answer> {
        pg::pool_options o;
        o.conninfo = conninfo;
        o.size = 1;
        pg::pool pool{co_await boost::asio::this_coro::executor, o};
        app::operational_routes routes{
            app::operational_dependencies{pool, metrics, [bus_healthy] { return bus_healthy; },
                                          [draining] { return draining; }, R"({"openapi":"3.0.3"})"}};
        http::router router;
        routes.register_routes(router);
        http::request req;
        req.method = "GET";
        req.target = req.path = path;
        req.request_id = "test-request";
        http::response r = co_await router.dispatch(req);
        pool.close();
        const std::string* type = http::find_header(r.headers, "Content-Type");
        co_return answer{r.status, type ? *type : "", r.body};
    });
}

const std::string nowhere = "host=/nonexistent-prequal-socket-dir port=5432 dbname=none connect_timeout=2";

}  // namespace

TEST_CASE("unit: /health, /metrics and /openapi.json answer whatever the database does",
          "[unit][app][pure]") {
    const answer health = get(nowhere, "/health");
    CHECK(health.status == 200);
    CHECK(health.content_type == "application/json; charset=utf-8");
    CHECK(health.body == R"({"status":"ok"})");

    const answer metrics = get(nowhere, "/metrics");
    CHECK(metrics.status == 200);
    CHECK(metrics.content_type == "text/plain; version=0.0.4; charset=utf-8");
    CHECK(metrics.body.find("\nexample_total 3\n") != std::string::npos);

    const answer openapi = get(nowhere, "/openapi.json");
    CHECK(openapi.status == 200);
    CHECK(openapi.content_type == "application/json; charset=utf-8");
    CHECK(openapi.body == R"({"openapi":"3.0.3"})");  // the document handed over, as is
}

TEST_CASE("unit: /ready lists each check and is 503 when any fails", "[unit][app][pg]") {
    const std::string db = pg_harness::instance().fresh_database();
    const answer ok = get(db, "/ready");
    CHECK(ok.status == 200);
    CHECK(ok.content_type == "application/json; charset=utf-8");
    CHECK(ok.body == R"({"status":"ready","checks":{"database":"ok","bus":"ok","draining":false}})");

    const answer no_database = get(nowhere, "/ready");
    CHECK(no_database.status == 503);
    CHECK(no_database.body ==
          R"({"status":"not_ready","checks":{"database":"unreachable","bus":"ok","draining":false}})");

    const answer no_bus = get(db, "/ready", false);
    CHECK(no_bus.status == 503);
    CHECK(no_bus.body ==
          R"({"status":"not_ready","checks":{"database":"ok","bus":"unreachable","draining":false}})");

    const answer draining = get(db, "/ready", true, true);
    CHECK(draining.status == 503);
    CHECK(draining.body == R"({"status":"not_ready","checks":{"database":"ok","bus":"ok","draining":true}})");
}
