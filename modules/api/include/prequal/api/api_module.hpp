// The API module: the contract's application routes (submit, status, erasure) and the sealing of applicant
// names stored in clear by old versions. Handlers are request → response coroutines, so most of them are
// testable without a socket. The operational routes (/health, /ready, /metrics, /openapi.json) are the
// platform's.
#pragma once

#include <prequal/access/access_trail.hpp>
#include <prequal/api/admission_control.hpp>
#include <prequal/core/logger.hpp>
#include <prequal/core/metrics.hpp>
#include <prequal/crypto/pan_cipher.hpp>
#include <prequal/crypto/pan_index.hpp>
#include <prequal/events/topics.hpp>
#include <prequal/http/router.hpp>
#include <prequal/pg/pool.hpp>

#include <boost/asio/awaitable.hpp>

#include <cstddef>
#include <cstdint>
#include <functional>
#include <memory>
#include <string>
#include <string_view>

namespace prequal::api {

struct api_options {
    std::string submitted_topic{events::submitted_topic};
    std::size_t max_waiters = 10000;  // long polls (?wait=S) waiting at once; more are answered at once
    bool require_consent = false;     // serve --require-consent: POST without `consent` is 422 (section 8)
};

/// What the API needs from the rest of the process.
struct api_dependencies {
    pg::pool& pool;
    const crypto::pan_cipher& cipher;
    const crypto::pan_index& index;
    core::metrics_registry& metrics;
    core::logger log;
    std::function<void()> on_commit;         // an outbox event was committed: wake the publisher
    std::function<bool()> draining;          // refuse new submissions; stop sealing between batches
    admission_control* admission = nullptr;  // null: submissions are never shed
    // LISTENs for decisions (events::application_decided_channel) to wake long polls; empty: long polls
    // end only at their deadline (tests without a database server of their own).
    std::string listen_conninfo;
    // Records who read which application, off the request path (contract section 8: reads write nothing);
    // null: reads are not recorded (tests that do not serve reads).
    access::access_trail* access_trail = nullptr;
};

class api_module {
public:
    api_module(api_dependencies deps, api_options options = {});
    ~api_module();

    /// Adds POST /applications, GET /applications/{application_id}/status and DELETE
    /// /applications/{application_id}/personal-data. The module must outlive the router.
    void register_routes(http::router& router);

    /// The module's background work, run beside the routes while the process serves: seals the applicant
    /// names stored in clear before migration 003 (see docs/pan-protection.md), and listens for decisions
    /// to wake long polls (docs/long-poll.md) until stop(). Never throws: a database failure is logged and
    /// the next start retries the sealing; the LISTEN connection reconnects by itself.
    boost::asio::awaitable<void> run();

    /// Shutdown, before the HTTP server drains: every long poll answers now with the current state, later
    /// ones answer at once, and run() returns shortly.
    void stop();

    boost::asio::awaitable<http::response> submit(http::request& req);
    boost::asio::awaitable<http::response> status(http::request& req);
    boost::asio::awaitable<http::response> erase(http::request& req);

    /// Seals applicant names stored in clear by versions before migration 003: `batch` rows per
    /// transaction (FOR UPDATE SKIP LOCKED, so replicas share the work) until none is left or the process
    /// drains. Returns how many this call sealed. Throws pg::error when the database fails (the caller logs
    /// and goes on).
    boost::asio::awaitable<std::int64_t> seal_legacy_applicant_names(int batch = 200);

private:
    struct long_polls;  // the waiters and the LISTEN connection that wakes them (long_polls.hpp)
    boost::asio::awaitable<void> seal_in_background();
    boost::asio::awaitable<void> listen_for_decisions();

    api_dependencies deps_;
    api_options options_;
    core::counter& accepted_;
    core::counter& duplicates_;
    core::counter& replays_;
    std::unique_ptr<long_polls> long_polls_;
};

/// The authenticated data binding a sealed applicant name to its application (and not to a PAN field).
std::string applicant_name_aad(std::string_view application_id);

}  // namespace prequal::api
