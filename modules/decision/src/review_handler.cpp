// POST /applications/{application_id}/review: read, check, then the version-checked UPDATE (audit, history,
// outbox event, feed row) and the NOTIFY for long polls, all in one transaction.
#include "decided_event.hpp"
#include "http_replies.hpp"
#include "route_queries.hpp"

#include <prequal/access/scopes.hpp>
#include <prequal/core/ids.hpp>
#include <prequal/decision/decision_routes.hpp>
#include <prequal/decision/review_request.hpp>

#include <boost/json/object.hpp>
#include <boost/json/serialize.hpp>

namespace prequal::decision {

namespace json = boost::json;

namespace {

inline constexpr std::string_view reviewed_approved = "REVIEWED_APPROVED";
inline constexpr std::string_view reviewed_rejected = "REVIEWED_REJECTED";

http::response conflict(const http::request& req, std::string_view code, std::string_view message) {
    return http::error_for(req, 409, code, message);
}

}  // namespace

decision_routes::decision_routes(routes_dependencies deps)
    : deps_{std::move(deps)},
      reviews_{deps_.metrics.get_counter("reviews_recorded_total", "Underwriting reviews recorded")},
      review_conflicts_{
          deps_.metrics.get_counter("review_version_conflicts_total",
                                    "Reviews refused because the application's version had moved on")} {}

void decision_routes::register_routes(http::router& router) {
    router.add(
        "POST", "/applications/{application_id}/review", [this](http::request& r) { return review(r); },
        std::string{access::scope_applications_review});
    router.add(
        "GET", "/applications/{application_id}/decisions", [this](http::request& r) { return history(r); },
        std::string{access::scope_applications_read});
    router.add(
        "GET", "/events", [this](http::request& r) { return events(r); },
        std::string{access::scope_applications_read});
}

boost::asio::awaitable<http::response> decision_routes::review(http::request& req) {
    const std::string id{req.path_param("application_id")};
    if (!core::is_uuid(id)) co_return detail::invalid_id(req);
    if (!http::is_json_content_type(req.header("Content-Type")))
        co_return http::error_for(req, 415, "UNSUPPORTED_MEDIA_TYPE",
                                  "Content-Type must be application/json");
    const review_parse parsed = parse_review_request(req.body);
    if (const auto* m = std::get_if<review_malformed>(&parsed))
        co_return http::error_for(req, 400, "MALFORMED_JSON", m->reason);
    if (const auto* bad = std::get_if<review_invalid>(&parsed))
        co_return http::error_for(req, 422, "VALIDATION_ERROR", "request body failed validation",
                                  bad->details);
    const review_request& r = std::get<review_request>(parsed);

    const std::string client = detail::client_of(req);
    const std::string status{to_string(r.result)};
    const std::vector<std::string_view> codes{r.result == outcome::pre_approved ? reviewed_approved
                                                                                : reviewed_rejected};
    const std::string event_id = core::new_uuid();
    std::int64_t new_version = 0;
    std::optional<core::money> max_approved;
    try {
        auto conn = co_await deps_.pool.acquire();
        pg::steps opening{{pg::begin, {}}, {queries::read_for_review, pg::args(id, client)}};
        auto first = co_await conn->pipeline(std::move(opening));
        const auto current = first[1].maybe_one_as<queries::review_row>();
        if (!current) {
            co_await conn->execute(pg::rollback);
            co_return detail::not_found(req);
        }
        // The version first: a review that lost a race finds both a new version and a final status, and
        // what it needs to hear is that someone else decided meanwhile.
        if (current->version != r.expected_version) {
            co_await conn->execute(pg::rollback);
            review_conflicts_.inc();
            co_return conflict(req, "VERSION_CONFLICT",
                               "the application changed since expected_version; read its status and retry");
        }
        if (current->status != "MANUAL_REVIEW") {
            co_await conn->execute(pg::rollback);
            co_return conflict(req, "NOT_REVIEWABLE", "only an application in MANUAL_REVIEW can be reviewed");
        }
        // Section 2's amount for the outcome: income × 48 when approved, none when rejected.
        core::money income;
        if (core::money::parse(current->monthly_income, income) != core::money_error::none)
            throw std::runtime_error("stored monthly income is not exact decimal text");
        if (r.result == outcome::pre_approved) max_approved = income.times(income_months);
        const std::string event =
            detail::decided_event({event_id, id, req.request_id, client, status, current->cibil_score, codes,
                                   std::nullopt, max_approved, "review"});
        auto applied = co_await conn->execute(
            queries::apply_review,
            pg::args(id, r.expected_version, status, r.reason, max_approved, codes.front(), req.request_id,
                     r.reviewer, event_id, client, deps_.decided_topic, event, req.trace.traceparent(),
                     req.trace.tracestate));
        if (applied.empty()) {
            // A concurrent review committed between the read and the UPDATE (the UPDATE waited for it).
            co_await conn->execute(pg::rollback);
            review_conflicts_.inc();
            co_return conflict(req, "VERSION_CONFLICT",
                               "the application changed since expected_version; read its status and retry");
        }
        new_version = applied.get_int(0, 0);
        pg::steps closing{{queries::notify_decided, pg::args(id)}, {pg::commit, {}}};
        co_await conn->pipeline(std::move(closing));
    } catch (const pg::error& e) {
        if (!e.is_unavailable()) throw;
        co_return detail::database_unavailable(req);
    }
    reviews_.inc();
    // Reviews are decisions too: the dashboards' decisions_total by outcome and by whom.
    deps_.metrics
        .get_counter("decisions_total", "Final decisions recorded, by status and by whom",
                     {{"status", status}, {"decided_by", "review"}})
        .inc();
    if (deps_.on_commit) deps_.on_commit();

    json::object body;
    body["application_id"] = id;
    body["status"] = status;
    body["version"] = new_version;
    body["decided_by"] = "review";
    body["reason_codes"] = json::array{json::value(codes.front())};
    body["decision_reason"] = r.reason;
    body["reviewer"] = r.reviewer;
    body["max_approved_amount_inr"] =
        max_approved ? json::value(max_approved->to_string()) : json::value(nullptr);
    co_return detail::json_response(200, json::serialize(body));
}

}  // namespace prequal::decision
