// The decision module's HTTP side (contract section 10): an underwriter's review of a MANUAL_REVIEW
// decision, the decision history of an application, and the client's feed of decision events. The module
// owns the decisions, so their routes live here rather than in the api module (modules never include each
// other); the composition root hands the router to both, and builds this object only where the API is
// served, so these routes always sit behind the same access guard as the api module's.
#pragma once

#include <prequal/access/access_trail.hpp>
#include <prequal/core/logger.hpp>
#include <prequal/core/metrics.hpp>
#include <prequal/events/topics.hpp>
#include <prequal/http/router.hpp>
#include <prequal/pg/pool.hpp>

#include <boost/asio/awaitable.hpp>

#include <functional>
#include <string>

namespace prequal::decision {

struct routes_dependencies {
    pg::pool& pool;
    core::metrics_registry& metrics;
    core::logger log;
    std::function<void()> on_commit;  // a review's outbox event was committed: wake the publisher
    std::string decided_topic{events::decided_topic};
    // Records who read which application, off the request path (contract section 8: reads write nothing);
    // null: reads are not recorded.
    access::access_trail* access_trail = nullptr;
};

class decision_routes {
public:
    explicit decision_routes(routes_dependencies deps);

    /// Adds POST /applications/{application_id}/review (scope applications:review),
    /// GET /applications/{application_id}/decisions and GET /events (applications:read). The object must
    /// outlive the router.
    void register_routes(http::router& router);

    boost::asio::awaitable<http::response> review(http::request& req);
    boost::asio::awaitable<http::response> history(http::request& req);
    boost::asio::awaitable<http::response> events(http::request& req);

private:
    routes_dependencies deps_;
    core::counter& reviews_;
    core::counter& review_conflicts_;
};

}  // namespace prequal::decision
