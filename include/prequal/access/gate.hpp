// The front door of the guarded routes (contract section 6): with --auth=api-key, one well-formed Bearer
// key that is known, unrevoked, unexpired and matches (401 otherwise), within its rate limit (429), with
// the route's scope (403); every answer then carries the key's RateLimit-* headers. With --auth=none every
// request is the client `anonymous`, unlimited.
#pragma once

#include <prequal/access/auth_mode.hpp>
#include <prequal/access/key_cache.hpp>
#include <prequal/core/logger.hpp>
#include <prequal/core/metrics.hpp>
#include <prequal/http/router.hpp>

#include <boost/asio/awaitable.hpp>

#include <cstdint>
#include <string>
#include <string_view>
#include <unordered_map>

namespace prequal::access {

struct gate_options {
    auth_mode mode = auth_mode::api_key;
    std::int64_t default_rate_limit = 100;  // requests/s of a key created without --rate-limit; 0 = unlimited
    std::int64_t default_burst = 200;       // capacity of a key created without --burst
    std::size_t max_client_labels = 100;    // clients named in metrics; the rest count as "other"
};

/// Not thread-safe (like key_cache): one single-threaded io_context.
class gate {
public:
    /// `keys` may be null only with auth_mode::none; it must outlive the gate.
    gate(gate_options options, key_cache* keys, core::metrics_registry& metrics, core::logger log);

    /// The route guard: admits `req` to a route needing `permission` (a scope), setting req.client, or
    /// refuses it with the contract's 401/403/429 (503 when a key look-up meets a database outage).
    boost::asio::awaitable<http::guard_decision> admit(http::request& req, std::string_view permission);

    /// admit() as an http::route_guard; the gate must outlive the router.
    http::route_guard guard() {
        return [this](http::request& r, std::string_view p) { return admit(r, p); };
    }

    const gate_options& options() const { return options_; }

private:
    core::counter& rate_limited(const std::string& client);

    gate_options options_;
    key_cache* keys_;
    core::metrics_registry& metrics_;
    core::logger log_;
    core::counter& unauthorized_;
    core::counter& forbidden_;
    std::unordered_map<std::string, core::counter*> rate_limited_;
};

}  // namespace prequal::access
