// Encoding of the application_decided event.
#include "decided_event.hpp"

#include <prequal/bus/envelope.hpp>
#include <prequal/core/clock.hpp>
#include <prequal/events/topics.hpp>

#include <boost/json/array.hpp>
#include <boost/json/object.hpp>

namespace prequal::decision::detail {

namespace json = boost::json;

std::string decided_event(const decided_fields& f) {
    const std::string occurred_at = core::now_utc_millis();
    const bus::outgoing_envelope envelope{f.message_id, events::application_decided, occurred_at,
                                          f.application_id, f.request_id};
    json::array codes;
    for (auto c : f.reason_codes) codes.emplace_back(c);
    json::object fields;
    fields["client"] = f.client;
    fields["status"] = f.status;
    fields["cibil_score"] = f.cibil_score ? json::value(*f.cibil_score) : json::value(nullptr);
    fields["reason_codes"] = std::move(codes);
    fields["ruleset_version"] = f.ruleset_version ? json::value(*f.ruleset_version) : json::value(nullptr);
    fields["max_approved_amount_inr"] =
        f.max_approved ? json::value(f.max_approved->to_string()) : json::value(nullptr);
    fields["decided_by"] = f.decided_by;
    return bus::encode_envelope(envelope, fields);
}

}  // namespace prequal::decision::detail
