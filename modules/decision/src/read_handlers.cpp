// GET /applications/{application_id}/decisions and GET /events: reads of the decision history and of the
// client's event feed. Neither writes anything (contract section 8: reads write nothing): the applications
// they showed go to the access trail, which writes in batches off the request path.
#include "http_replies.hpp"
#include "route_queries.hpp"

#include <prequal/core/ids.hpp>
#include <prequal/decision/decision_routes.hpp>
#include <prequal/decision/event_feed.hpp>

#include <boost/json/array.hpp>
#include <boost/json/object.hpp>
#include <boost/json/parse.hpp>
#include <boost/json/serialize.hpp>

namespace prequal::decision {

namespace json = boost::json;

boost::asio::awaitable<http::response> decision_routes::history(http::request& req) {
    const std::string id{req.path_param("application_id")};
    if (!core::is_uuid(id)) co_return detail::invalid_id(req);
    std::vector<queries::history_row> rows;
    try {
        const pg::result r =
            co_await deps_.pool.execute(queries::read_history, pg::args(id, detail::client_of(req)));
        rows = r.rows_as<queries::history_row>();
    } catch (const pg::error& e) {
        if (!e.is_unavailable()) throw;
        co_return detail::database_unavailable(req);
    }
    if (rows.empty()) co_return detail::not_found(req);
    if (deps_.access_trail)
        deps_.access_trail->record(detail::client_of(req), id, "decisions", req.request_id);

    json::array decisions;
    for (const auto& h : rows) {
        if (!h.version) continue;  // the LEFT JOIN's row of an application without decisions
        json::object d;
        d["version"] = *h.version;
        d["status"] = h.status.value_or("");
        d["decided_by"] = h.decided_by.value_or("");
        // The database wrote this text from a text[] (array_to_json): it parses.
        d["reason_codes"] = json::parse(h.reason_codes.value_or("[]"));
        d["decision_reason"] = h.decision_reason.value_or("");
        if (h.ruleset_version) d["ruleset_version"] = *h.ruleset_version;  // rules only
        if (h.reviewer) d["reviewer"] = *h.reviewer;                       // review only
        d["decided_at"] = h.decided_at.value_or("");
        decisions.emplace_back(std::move(d));
    }
    json::object body;
    body["application_id"] = id;
    body["decisions"] = std::move(decisions);
    co_return detail::json_response(200, json::serialize(body));
}

boost::asio::awaitable<http::response> decision_routes::events(http::request& req) {
    const auto parsed = parse_feed_query(req.target);
    if (const auto* bad = std::get_if<std::vector<http::error_detail>>(&parsed))
        co_return http::error_for(req, 422, "VALIDATION_ERROR", "query failed validation", *bad);
    const feed_query q = std::get<feed_query>(parsed);
    const std::string client = detail::client_of(req);
    std::vector<queries::feed_row> rows;
    try {
        const pg::result r =
            co_await deps_.pool.execute(queries::read_feed, pg::args(client, q.after, q.limit));
        rows = r.rows_as<queries::feed_row>();
    } catch (const pg::error& e) {
        if (!e.is_unavailable()) throw;
        co_return detail::database_unavailable(req);
    }
    json::array events;
    std::int64_t last = q.after;
    for (const auto& row : rows) {
        // The event as webhooks deliver it: the published message plus its event_id.
        json::value event = json::parse(row.payload);
        event.as_object()["event_id"] = row.message_id;
        // Each event shows one application's decision (and score): one trail entry per application shown.
        if (deps_.access_trail)
            deps_.access_trail->record(client, row.application_id, "events", req.request_id);
        events.emplace_back(std::move(event));
        last = row.seq;
    }
    json::object body;
    body["events"] = std::move(events);
    body["next"] = encode_cursor(last);
    co_return detail::json_response(200, json::serialize(body));
}

}  // namespace prequal::decision
