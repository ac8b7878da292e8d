// Strict decoding of the common message fields (every failure is a poison_message with a specific reason),
// and their one encoder.
#include <prequal/bus/envelope.hpp>
#include <prequal/core/ids.hpp>

#include <boost/json/parse.hpp>
#include <boost/json/serialize.hpp>

#include <cassert>
#include <limits>

namespace prequal::bus {

namespace json = boost::json;

std::string require_string(const json::object& body, std::string_view key) {
    const json::value* v = body.if_contains(key);
    if (!v) throw poison_message("missing field " + std::string(key));
    if (!v->is_string()) throw poison_message("field " + std::string(key) + " must be a string");
    return std::string(v->get_string());
}

std::int64_t require_int(const json::object& body, std::string_view key, std::int64_t lo, std::int64_t hi) {
    const json::value* v = body.if_contains(key);
    if (!v) throw poison_message("missing field " + std::string(key));
    const auto out_of_range = [&] { return poison_message("field " + std::string(key) + " out of range"); };
    std::int64_t n = 0;
    if (v->is_int64()) {
        n = v->get_int64();
    } else if (v->is_uint64()) {
        // Above INT64_MAX (the parser's only reason for uint64) is beyond any bound; never narrow it.
        if (v->get_uint64() > static_cast<std::uint64_t>(std::numeric_limits<std::int64_t>::max()))
            throw out_of_range();
        n = static_cast<std::int64_t>(v->get_uint64());
    } else {
        throw poison_message("field " + std::string(key) + " must be an integer");
    }
    if (n < lo || n > hi) throw out_of_range();
    return n;
}

std::string optional_string(const json::object& body, std::string_view key) {
    const json::value* v = body.if_contains(key);
    if (!v || v->is_null()) return {};
    if (!v->is_string()) throw poison_message("field " + std::string(key) + " must be a string or null");
    return std::string(v->get_string());
}

core::money require_money(const json::object& body, std::string_view key, core::money lo, core::money hi) {
    core::money m;
    if (core::money::parse(require_string(body, key), m) != core::money_error::none)
        throw poison_message("field " + std::string(key) + " is not a decimal amount");
    if (m < lo || m > hi) throw poison_message("field " + std::string(key) + " out of range");
    return m;
}

envelope decode_envelope(std::string_view payload, std::string_view expected_event_type) {
    json::error_code ec;
    json::value v = json::parse(payload, ec);
    if (ec) throw poison_message("invalid JSON: " + ec.message());
    if (!v.is_object()) throw poison_message("message value must be a JSON object");
    envelope e;
    e.body = std::move(v.as_object());
    const auto version = require_int(e.body, "message_version", 0, 1'000'000);
    if (version != message_version)
        throw poison_message("unsupported message_version " + std::to_string(version));
    e.message_id = require_string(e.body, "message_id");
    if (!core::is_uuid(e.message_id)) throw poison_message("message_id must be a UUID");
    e.event_type = require_string(e.body, "event_type");
    if (e.event_type != expected_event_type)
        throw poison_message("unexpected event_type " + e.event_type.substr(0, 64));
    e.occurred_at = require_string(e.body, "occurred_at");
    e.application_id = require_string(e.body, "application_id");
    if (!core::is_uuid(e.application_id)) throw poison_message("application_id must be a UUID");
    e.request_id = optional_string(e.body, "request_id");
    return e;
}

std::string encode_envelope(const outgoing_envelope& e, const json::object& fields) {
    json::object out(6 + fields.size());
    out.emplace("message_id", e.message_id);
    out.emplace("message_version", message_version);
    out.emplace("event_type", e.event_type);
    out.emplace("occurred_at", e.occurred_at);
    out.emplace("application_id", e.application_id);
    out.emplace("request_id", e.request_id);
    for (const auto& field : fields) {
        [[maybe_unused]] const bool added = out.emplace(field.key(), field.value()).second;
        assert(added && "an event field repeats a common envelope field");
    }
    return json::serialize(out);
}

std::vector<std::pair<std::string, std::string>> headers_for(std::string_view message_id,
                                                             std::string_view event_type,
                                                             std::string_view request_id) {
    return {{"message_id", std::string(message_id)},
            {"event_type", std::string(event_type)},
            {"message_version", std::to_string(message_version)},
            {"request_id", std::string(request_id)}};
}

}  // namespace prequal::bus
