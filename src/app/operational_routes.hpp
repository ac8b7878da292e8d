// The operational endpoints every process serves, whichever modules it runs (contract, "Operational
// endpoints"): /health, /ready, /metrics and /openapi.json. Platform code: it names no module.
#pragma once

#include <prequal/core/metrics.hpp>
#include <prequal/http/router.hpp>
#include <prequal/pg/pool.hpp>

#include <boost/asio/awaitable.hpp>

#include <functional>
#include <string>

namespace prequal::app {

/// What the operational endpoints read.
struct operational_dependencies {
    pg::pool& pool;                     // /ready pings the database through it
    core::metrics_registry& metrics;    // rendered by /metrics
    std::function<bool()> bus_healthy;  // /ready; empty = healthy
    std::function<bool()> draining;     // /ready; empty = never
    // The API description served at /openapi.json. The document describes the API, so the module that owns
    // the API writes it; the platform only serves it. It is handed over as text rather than fetched from a
    // module object so that every process serves it, including worker-only ones that build no API module.
    std::string openapi_json;
};

class operational_routes {
public:
    explicit operational_routes(operational_dependencies deps);

    /// Adds GET /health, /ready, /metrics and /openapi.json. This object must outlive the router.
    void register_routes(http::router& router);

    /// 200 {"status":"ok"} while the process runs.
    boost::asio::awaitable<http::response> health(http::request& req);
    /// 200 when the database answers, the bus is healthy and the process is not draining, else 503; the
    /// body lists each check.
    boost::asio::awaitable<http::response> ready(http::request& req);
    /// The metrics registry in Prometheus text format 0.0.4.
    boost::asio::awaitable<http::response> metrics(http::request& req);
    /// The OpenAPI document handed over in the dependencies.
    boost::asio::awaitable<http::response> openapi(http::request& req);

private:
    operational_dependencies deps_;
};

}  // namespace prequal::app
