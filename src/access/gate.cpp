// gate::admit reads as the contract's order: credential → key → secret → rate limit → scope. Every refusal
// of a credential is the same 401, so a client cannot tell an unknown id from a wrong secret or a revoked
// key; the reason goes to the debug log, never the secret.
#include <prequal/access/api_key.hpp>
#include <prequal/access/bearer.hpp>
#include <prequal/access/gate.hpp>
#include <prequal/access/scopes.hpp>
#include <prequal/crypto/keys.hpp>
#include <prequal/http/errors.hpp>
#include <prequal/pg/error.hpp>

#include <algorithm>

namespace prequal::access {

namespace {

http::guard_decision refuse(http::response res) {
    http::guard_decision d;
    d.refusal = std::move(res);
    return d;
}

http::response unauthorized(const http::request& req) {
    auto res =
        http::make_error(401, "UNAUTHORIZED", "a valid API key is required (Authorization: Bearer <key>)",
                         req.request_id, req.path);
    res.set_header("WWW-Authenticate", "Bearer realm=\"prequal\"");
    return res;
}

}  // namespace

gate::gate(gate_options options, key_cache* keys, core::metrics_registry& metrics, core::logger log)
    : options_{options},
      keys_{keys},
      metrics_{metrics},
      log_{std::move(log)},
      unauthorized_{metrics.get_counter("http_unauthorized_total", "Requests refused with 401 UNAUTHORIZED")},
      forbidden_{metrics.get_counter("http_forbidden_total", "Requests refused with 403 FORBIDDEN")} {}

core::counter& gate::rate_limited(const std::string& client) {
    auto it = rate_limited_.find(client);
    if (it != rate_limited_.end()) return *it->second;
    // Client names are chosen by operators, not callers, but there may be many: cap the label set.
    const std::string label = rate_limited_.size() < options_.max_client_labels ? client : "other";
    auto& c = metrics_.get_counter("rate_limited_total", "Requests refused with 429 RATE_LIMITED, by client",
                                   {{"client", label}});
    if (label == client) rate_limited_.emplace(client, &c);
    return c;
}

boost::asio::awaitable<http::guard_decision> gate::admit(http::request& req, std::string_view permission) {
    if (options_.mode == auth_mode::none) {
        req.client = std::string{anonymous_client};
        co_return http::guard_decision{};
    }
    auto refuse_401 = [&](std::string_view reason) {
        unauthorized_.inc();
        log_.with_trace(req.trace).debug("request refused: not authenticated",
                                         {{"request_id", req.request_id}, {"reason", reason}});
        return refuse(unauthorized(req));
    };
    const auto token = bearer_token(req.headers);
    if (!token) co_return refuse_401("no single well-formed Bearer credential");
    const auto presented = parse_api_key(*token);
    if (!presented) co_return refuse_401("not an API key");
    std::shared_ptr<cached_key> key;
    try {
        key = co_await keys_->find(std::string{presented->id});
    } catch (const pg::error& e) {
        log_.with_trace(req.trace).warn("API key look-up failed",
                                        {{"request_id", req.request_id}, {"error", e.what()}});
        auto res = http::make_error(503, "SERVICE_UNAVAILABLE", "the database is unavailable; retry later",
                                    req.request_id, req.path);
        res.set_header("Retry-After", "1");
        co_return refuse(std::move(res));
    }
    if (!key) co_return refuse_401("unknown key id");
    // Digest first, whatever the key's state, so that every refusal costs the same work.
    const bool secret_ok = crypto::constant_time_equal(secret_digest(presented->secret), key->secret_sha256);
    const auto now = std::chrono::system_clock::now();
    if (!secret_ok) co_return refuse_401("wrong secret");
    if (key->revoked) co_return refuse_401("revoked key");
    if (key->expires_at && *key->expires_at <= now) co_return refuse_401("expired key");
    req.client = key->client;
    key_cache::touch(*key, now);

    http::guard_decision decision;
    const std::int64_t rate = key->rate_limit.value_or(options_.default_rate_limit);
    if (rate > 0) {
        const double burst =
            static_cast<double>(std::max<std::int64_t>(1, key->burst.value_or(options_.default_burst)));
        const auto t = token_bucket::clock::now();
        if (!key->bucket)
            key->bucket.emplace(static_cast<double>(rate), burst, t);
        else if (key->bucket->rate() != static_cast<double>(rate) || key->bucket->burst() != burst)
            key->bucket->reconfigure(static_cast<double>(rate), burst, t);
        const auto d = key->bucket->take(t);
        decision.headers = {{"RateLimit-Limit", std::to_string(d.limit)},
                            {"RateLimit-Remaining", std::to_string(d.remaining)},
                            {"RateLimit-Reset", std::to_string(d.reset_s)}};
        if (!d.allowed) {
            rate_limited(key->client).inc();
            auto res =
                http::make_error(429, "RATE_LIMITED",
                                 "rate limit exceeded; retry after " + std::to_string(d.retry_after) + " s",
                                 req.request_id, req.path);
            res.set_header("Retry-After", std::to_string(d.retry_after));
            decision.refusal = std::move(res);
            co_return decision;
        }
    }
    if (!has_scope(key->scopes, permission)) {
        forbidden_.inc();
        decision.refusal =
            http::make_error(403, "FORBIDDEN", "this API key lacks the scope " + std::string{permission},
                             req.request_id, req.path);
    }
    co_return decision;
}

}  // namespace prequal::access
