// The API module: registers the contract's routes on a router. Handlers are request → response
// coroutines, so most of them are testable without a socket.
#pragma once

#include <prequal/core/logger.hpp>
#include <prequal/core/metrics.hpp>
#include <prequal/crypto/pan_cipher.hpp>
#include <prequal/crypto/pan_index.hpp>
#include <prequal/events/topics.hpp>
#include <prequal/http/router.hpp>
#include <prequal/pg/pool.hpp>

#include <boost/asio/awaitable.hpp>

#include <cstdint>
#include <functional>
#include <string>
#include <string_view>

namespace prequal::api {

struct api_options {
    std::string submitted_topic{events::submitted_topic};
};

/// What the API needs from the rest of the process.
struct api_dependencies {
    pg::pool& pool;
    const crypto::pan_cipher& cipher;
    const crypto::pan_index& index;
    core::metrics_registry& metrics;
    core::logger log;
    std::function<void()> on_commit;         // an outbox event was committed: wake the publisher
    std::function<bool()> bus_healthy;       // for /ready
    std::function<bool()> draining;          // for /ready and to refuse new submissions
};

class api_module {
public:
    api_module(api_dependencies deps, api_options options = {});

    /// Adds /health, /ready, /metrics, /openapi.json and, when `applications` is set (the process runs the
    /// api module), POST /applications and GET /applications/{application_id}/status. The module must
    /// outlive the router.
    void register_routes(http::router& router, bool applications = true);

    boost::asio::awaitable<http::response> submit(http::request& req);
    boost::asio::awaitable<http::response> status(http::request& req);
    boost::asio::awaitable<http::response> health(http::request& req);
    boost::asio::awaitable<http::response> ready(http::request& req);
    boost::asio::awaitable<http::response> metrics(http::request& req);
    boost::asio::awaitable<http::response> openapi(http::request& req);

    /// Seals applicant names stored in clear by versions before migration 003: `batch` rows per
    /// transaction (FOR UPDATE SKIP LOCKED, so replicas share the work) until none is left or the process
    /// drains. Returns how many this call sealed. Throws pg::error when the database fails (the caller logs and goes on).
    boost::asio::awaitable<std::int64_t> seal_legacy_applicant_names(int batch = 200);

private:
    api_dependencies deps_;
    api_options options_;
    core::counter& accepted_;
    core::counter& duplicates_;
    core::counter& replays_;
};

/// The authenticated data binding a sealed applicant name to its application (and not to a PAN field).
std::string applicant_name_aad(std::string_view application_id);

/// The OpenAPI 3 document served at /openapi.json.
const std::string& openapi_document();

}  // namespace prequal::api
