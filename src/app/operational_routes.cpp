// /health, /ready, /metrics, /openapi.json: the same answers in every process.
#include "operational_routes.hpp"

#include "ops_queries.hpp"

#include <prequal/http/replies.hpp>

#include <boost/json/object.hpp>
#include <boost/json/serialize.hpp>

#include <exception>

namespace prequal::app {

namespace json = boost::json;

using http::json_response;

operational_routes::operational_routes(operational_dependencies deps) : deps_{std::move(deps)} {}

void operational_routes::register_routes(http::router& router) {
    router.add("GET", "/health", [this](http::request& r) { return health(r); });
    router.add("GET", "/ready", [this](http::request& r) { return ready(r); });
    router.add("GET", "/metrics", [this](http::request& r) { return metrics(r); });
    router.add("GET", "/openapi.json", [this](http::request& r) { return openapi(r); });
}

boost::asio::awaitable<http::response> operational_routes::health(http::request&) {
    co_return json_response(200, R"({"status":"ok"})");
}

boost::asio::awaitable<http::response> operational_routes::ready(http::request&) {
    bool database = true;
    std::string database_detail = "ok";
    try {
        co_await deps_.pool.execute(ops_queries::ping);
    } catch (const std::exception&) {
        database = false;
        database_detail = "unreachable";
    }
    const bool bus = !deps_.bus_healthy || deps_.bus_healthy();
    const bool draining = deps_.draining && deps_.draining();
    json::object checks;
    checks["database"] = database_detail;
    checks["bus"] = bus ? "ok" : "unreachable";
    checks["draining"] = draining;
    json::object body;
    const bool ok = database && bus && !draining;
    body["status"] = ok ? "ready" : "not_ready";
    body["checks"] = std::move(checks);
    co_return json_response(ok ? 200 : 503, json::serialize(body));
}

boost::asio::awaitable<http::response> operational_routes::metrics(http::request&) {
    http::response r;
    r.status = 200;
    r.body = deps_.metrics.render();
    r.set_header("Content-Type", "text/plain; version=0.0.4; charset=utf-8");
    co_return r;
}

boost::asio::awaitable<http::response> operational_routes::openapi(http::request&) {
    co_return json_response(200, deps_.openapi_json);
}

}  // namespace prequal::app
