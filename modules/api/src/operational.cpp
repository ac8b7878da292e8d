// /health, /ready, /metrics, /openapi.json.
#include "queries.hpp"
#include "responses.hpp"

#include <prequal/api/api_module.hpp>
#include <prequal/pg/error.hpp>

#include <boost/json/object.hpp>
#include <boost/json/serialize.hpp>

namespace prequal::api {

namespace json = boost::json;

boost::asio::awaitable<http::response> api_module::health(http::request&) {
    co_return detail::json_response(200, R"({"status":"ok"})");
}

boost::asio::awaitable<http::response> api_module::ready(http::request&) {
    bool database = true;
    std::string database_detail = "ok";
    try {
        co_await deps_.pool.execute(queries::ping);
    } catch (const std::exception& e) {
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
    co_return detail::json_response(ok ? 200 : 503, json::serialize(body));
}

boost::asio::awaitable<http::response> api_module::metrics(http::request&) {
    http::response r;
    r.status = 200;
    r.body = deps_.metrics.render();
    r.set_header("Content-Type", "text/plain; version=0.0.4; charset=utf-8");
    co_return r;
}

boost::asio::awaitable<http::response> api_module::openapi(http::request&) {
    co_return detail::json_response(200, openapi_document());
}

}  // namespace prequal::api
