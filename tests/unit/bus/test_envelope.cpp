// bus::decode_envelope and the field readers: a valid message decodes; anything else is a poison_message
// whose text says what is wrong, so the dead-letter entry explains itself.
#include <prequal/bus/envelope.hpp>
#include <prequal/bus/message.hpp>
#include <prequal/events/topics.hpp>

#include <boost/json/parse.hpp>
#include <boost/json/serialize.hpp>
#include <catch2/catch.hpp>

#include <cstdint>
#include <limits>
#include <string>
#include <utility>
#include <vector>

namespace bus = prequal::bus;
namespace json = boost::json;

namespace {

constexpr const char* event = "loan_application_submitted";
constexpr const char* message_id = "9b2f3c1e-4d5a-4b6c-8d7e-0f1a2b3c4d5e";
constexpr const char* application_id = "3f1c0b9e-8a3e-4c55-9a43-2a8d2c1f9b70";

json::object valid_object() {
    return json::object{{"message_id", message_id},
                        {"message_version", 1},
                        {"event_type", event},
                        {"occurred_at", "2026-11-21T10:00:00.123Z"},
                        {"application_id", application_id},
                        {"request_id", "req-1"},
                        {"monthly_income_inr", "120000.00"}};
}

std::string text(const json::object& o) { return json::serialize(o); }

// Decoding `payload` throws poison_message whose what() contains `needle`.
void expect_poison(const std::string& payload, const std::string& needle,
                   const char* expected_event = event) {
    INFO("payload: " << payload.substr(0, 200));
    try {
        bus::decode_envelope(payload, expected_event);
        FAIL("decoded without a poison_message");
    } catch (const bus::poison_message& e) {
        const std::string what = e.what();
        INFO("what(): " << what);
        CHECK(what.find(needle) != std::string::npos);
    }
}

json::object object_of(const char* text) { return json::parse(text).as_object(); }

}  // namespace

TEST_CASE("unit: a valid message decodes into its envelope", "[unit]") {
    const auto e = bus::decode_envelope(text(valid_object()), event);
    CHECK(e.message_id == message_id);
    CHECK(e.event_type == event);
    CHECK(e.occurred_at == "2026-11-21T10:00:00.123Z");
    CHECK(e.application_id == application_id);
    CHECK(e.request_id == "req-1");
    REQUIRE(e.body.contains("monthly_income_inr"));
    CHECK(e.body.at("monthly_income_inr").as_string() == "120000.00");

    // request_id is optional: absent or null is empty. Upper-case UUIDs are UUIDs too.
    auto o = valid_object();
    o.erase("request_id");
    o["application_id"] = "3F1C0B9E-8A3E-4C55-9A43-2A8D2C1F9B70";
    CHECK(bus::decode_envelope(text(o), event).request_id.empty());
    o["request_id"] = nullptr;
    CHECK(bus::decode_envelope(text(o), event).request_id.empty());
    CHECK(bus::message_version == 1);
}

TEST_CASE("unit: a message that is not a JSON object is poison", "[unit]") {
    for (const std::string& payload :
         std::vector<std::string>{std::string{}, std::string("{"), std::string("nul"), std::string("{}x"),
                                  std::string("{\"a\":1,}"), std::string("\xFF")}) {
        expect_poison(payload, "invalid JSON");
    }
    for (const char* payload : {"[]", "1", "\"s\"", "null", "true"}) {
        expect_poison(payload, "must be a JSON object");
    }
}

TEST_CASE("unit: each missing required field is poison naming the field", "[unit]") {
    for (const char* field :
         {"message_id", "message_version", "event_type", "occurred_at", "application_id"}) {
        auto o = valid_object();
        o.erase(field);
        expect_poison(text(o), std::string("missing field ") + field);
    }
}

TEST_CASE("unit: required fields of the wrong type are poison naming the field", "[unit]") {
    struct row {
        const char* field;
        json::value value;
        const char* needle;
    };
    const std::vector<row> rows{
        {"message_id", 12, "field message_id must be a string"},
        {"message_id", nullptr, "field message_id must be a string"},
        {"event_type", json::array{event}, "field event_type must be a string"},
        {"occurred_at", true, "field occurred_at must be a string"},
        {"occurred_at", nullptr, "field occurred_at must be a string"},
        {"application_id", json::object{}, "field application_id must be a string"},
        {"request_id", 7, "field request_id must be a string or null"},
        {"message_version", "1", "field message_version must be an integer"},
        {"message_version", 1.0, "field message_version must be an integer"},
        {"message_version", nullptr, "field message_version must be an integer"},
        {"message_version", true, "field message_version must be an integer"},
    };
    for (const auto& r : rows) {
        auto o = valid_object();
        o[r.field] = r.value;
        expect_poison(text(o), r.needle);
    }
}

TEST_CASE("unit: only message_version 1 is accepted", "[unit]") {
    for (const std::int64_t v : {0, 2, 3, 999'999}) {
        auto o = valid_object();
        o["message_version"] = v;
        expect_poison(text(o), "unsupported message_version " + std::to_string(v));
    }
    auto o = valid_object();
    o["message_version"] = -1;
    expect_poison(text(o), "message_version out of range");
    o["message_version"] = std::uint64_t{18'446'744'073'709'551'615ULL};
    expect_poison(text(o), "message_version out of range");
}

TEST_CASE("unit: ids that are not UUIDs are poison", "[unit]") {
    for (const char* bad :
         {"", "not-a-uuid", "3f1c0b9e8a3e4c559a432a8d2c1f9b70", "3f1c0b9e-8a3e-4c55-9a43-2a8d2c1f9b7",
          "3f1c0b9e-8a3e-4c55-9a43-2a8d2c1f9b700", "3f1c0b9g-8a3e-4c55-9a43-2a8d2c1f9b70",
          "{3f1c0b9e-8a3e-4c55-9a43-2a8d2c1f9b70}", " 3f1c0b9e-8a3e-4c55-9a43-2a8d2c1f9b70"}) {
        INFO(bad);
        auto o = valid_object();
        o["message_id"] = bad;
        expect_poison(text(o), "message_id must be a UUID");
        o = valid_object();
        o["application_id"] = bad;
        expect_poison(text(o), "application_id must be a UUID");
    }
}

TEST_CASE("unit: a message of another event type is poison naming the type", "[unit]") {
    expect_poison(text(valid_object()), "unexpected event_type loan_application_submitted",
                  "credit_report_generated");
    auto o = valid_object();
    o["event_type"] = "";
    expect_poison(text(o), "unexpected event_type");
    // A huge event type is echoed only in part.
    o["event_type"] = std::string(10'000, 'e');
    try {
        bus::decode_envelope(text(o), event);
        FAIL("decoded without a poison_message");
    } catch (const bus::poison_message& e) {
        CHECK(std::string(e.what()).size() < 200);
    }
}

TEST_CASE("unit: require_int checks presence, type and range", "[unit]") {
    const auto o = object_of(
        R"({"n":42,"neg":-7,"big":18446744073709551615,"max":9223372036854775807,"d":4.0,"s":"42","z":null})");
    CHECK(bus::require_int(o, "n", 0, 100) == 42);
    CHECK(bus::require_int(o, "n", 42, 42) == 42);
    CHECK(bus::require_int(o, "neg", -10, 0) == -7);
    CHECK(bus::require_int(o, "max", 0, std::numeric_limits<std::int64_t>::max()) ==
          std::numeric_limits<std::int64_t>::max());
    CHECK_THROWS_WITH(bus::require_int(o, "n", 43, 100), "field n out of range");
    CHECK_THROWS_WITH(bus::require_int(o, "n", 0, 41), "field n out of range");
    CHECK_THROWS_WITH(bus::require_int(o, "neg", 0, 100), "field neg out of range");
    CHECK_THROWS_WITH(bus::require_int(o, "big", 0, 100), "field big out of range");
    CHECK_THROWS_WITH(bus::require_int(o, "big", std::numeric_limits<std::int64_t>::min(), -1),
                      "field big out of range");
    // A value built in code as unsigned (not by the parser) is still an ordinary integer.
    json::object built{{"u", std::uint64_t{5}}};
    CHECK(bus::require_int(built, "u", 0, 10) == 5);
    CHECK_THROWS_WITH(bus::require_int(built, "u", 6, 10), "field u out of range");
    CHECK_THROWS_WITH(bus::require_int(o, "d", 0, 100), "field d must be an integer");
    CHECK_THROWS_WITH(bus::require_int(o, "s", 0, 100), "field s must be an integer");
    CHECK_THROWS_WITH(bus::require_int(o, "z", 0, 100), "field z must be an integer");
    CHECK_THROWS_WITH(bus::require_int(o, "absent", 0, 100), "missing field absent");
    CHECK_THROWS_AS(bus::require_int(o, "absent", 0, 100), bus::poison_message);
}

TEST_CASE("unit: require_string and optional_string read strings strictly", "[unit]") {
    const auto o = object_of(R"({"s":"x","e":"","n":null,"i":1,"a":[],"o":{}})");
    CHECK(bus::require_string(o, "s") == "x");
    CHECK(bus::require_string(o, "e").empty());
    CHECK_THROWS_WITH(bus::require_string(o, "absent"), "missing field absent");
    CHECK_THROWS_WITH(bus::require_string(o, "n"), "field n must be a string");
    CHECK_THROWS_WITH(bus::require_string(o, "i"), "field i must be a string");
    CHECK_THROWS_AS(bus::require_string(o, "o"), bus::poison_message);

    CHECK(bus::optional_string(o, "s") == "x");
    CHECK(bus::optional_string(o, "absent").empty());
    CHECK(bus::optional_string(o, "n").empty());
    CHECK_THROWS_WITH(bus::optional_string(o, "i"), "field i must be a string or null");
    CHECK_THROWS_AS(bus::optional_string(o, "a"), bus::poison_message);
}

TEST_CASE("unit: poison_message is a runtime_error", "[unit]") {
    try {
        bus::decode_envelope("[]", event);
        FAIL("decoded without a poison_message");
    } catch (const std::runtime_error& e) {
        CHECK(dynamic_cast<const bus::poison_message*>(&e) != nullptr);
    }
}

TEST_CASE("unit: require_money accepts exact amounts within bounds and rejects the rest as poison",
          "[unit]") {
    using prequal::core::money;
    const auto body =
        json::parse(R"({"ok":"120000.50","low":"0.00","neg":"-1.00","huge":"1.5e12","x":"1.001","n":5})")
            .as_object();
    const money one_paisa = money::from_paise(1);
    CHECK(bus::require_money(body, "ok", money{}, bus::max_amount) == money::from_paise(12000050));
    CHECK(bus::require_money(body, "low", money{}, bus::max_amount) == money{});
    CHECK_THROWS_WITH(bus::require_money(body, "low", one_paisa, bus::max_amount),
                      Catch::Contains("low") && Catch::Contains("out of range"));
    CHECK_THROWS_AS(bus::require_money(body, "neg", money{}, bus::max_amount), bus::poison_message);
    CHECK_THROWS_WITH(bus::require_money(body, "huge", money{}, bus::max_amount),
                      Catch::Contains("out of range"));
    CHECK_THROWS_AS(bus::require_money(body, "x", money{}, bus::max_amount), bus::poison_message);
    CHECK_THROWS_AS(bus::require_money(body, "n", money{}, bus::max_amount), bus::poison_message);
    CHECK_THROWS_WITH(bus::require_money(body, "missing", money{}, bus::max_amount),
                      Catch::Contains("missing"));
}

TEST_CASE("unit: encode_envelope writes the common fields first, then the event's, as compact JSON",
          "[unit]") {
    const bus::outgoing_envelope e{message_id, event, "2026-11-21T10:00:00.123Z", application_id, "req-1"};
    json::object fields;
    fields["pan_number_encrypted"] = "AAECAwQFBgcICQoLDA0ODw==";
    fields["pan_key_id"] = "k1";
    fields["monthly_income_inr"] = "75000.00";
    fields["loan_amount_inr"] = "500000.50";
    fields["loan_type"] = nullptr;
    // Byte for byte what api and credit wrote by hand before there was an encoder.
    CHECK(bus::encode_envelope(e, fields) ==
          std::string(
              "{\"message_id\":\"9b2f3c1e-4d5a-4b6c-8d7e-0f1a2b3c4d5e\",\"message_version\":1,"
              "\"event_type\":\"loan_application_submitted\",\"occurred_at\":\"2026-11-21T10:00:00.123Z\","
              "\"application_id\":\"3f1c0b9e-8a3e-4c55-9a43-2a8d2c1f9b70\",\"request_id\":\"req-1\","
              "\"pan_number_encrypted\":\"AAECAwQFBgcICQoLDA0ODw==\",\"pan_key_id\":\"k1\","
              "\"monthly_income_inr\":\"75000.00\",\"loan_amount_inr\":\"500000.50\",\"loan_type\":null}"));
    // An empty request id is written as "", and no fields at all is a valid message too.
    const bus::outgoing_envelope bare{message_id, event, "2026-11-21T10:00:00.123Z", application_id, ""};
    CHECK(bus::encode_envelope(bare, {}) ==
          std::string(
              "{\"message_id\":\"9b2f3c1e-4d5a-4b6c-8d7e-0f1a2b3c4d5e\",\"message_version\":1,"
              "\"event_type\":\"loan_application_submitted\",\"occurred_at\":\"2026-11-21T10:00:00.123Z\","
              "\"application_id\":\"3f1c0b9e-8a3e-4c55-9a43-2a8d2c1f9b70\",\"request_id\":\"\"}"));
}

TEST_CASE("unit: decode_envelope reads back what encode_envelope wrote", "[unit]") {
    const bus::outgoing_envelope e{message_id, "credit_report_generated", "2026-11-22T01:00:00.000Z",
                                   application_id, "req-\"quoted\"\n"};
    json::object fields;
    fields["cibil_score"] = 790;
    fields["loan_type"] = "HOME";
    const auto in = bus::decode_envelope(bus::encode_envelope(e, fields), "credit_report_generated");
    CHECK(in.message_id == message_id);
    CHECK(in.event_type == "credit_report_generated");
    CHECK(in.occurred_at == "2026-11-22T01:00:00.000Z");
    CHECK(in.application_id == application_id);
    CHECK(in.request_id == "req-\"quoted\"\n");
    CHECK(bus::require_int(in.body, "message_version", 0, 10) == bus::message_version);
    CHECK(bus::require_int(in.body, "cibil_score", 300, 900) == 790);
    CHECK(bus::optional_string(in.body, "loan_type") == "HOME");
    CHECK(in.body.size() == 8);
}

TEST_CASE("unit: headers_for gives the bus headers of an event in their fixed order", "[unit]") {
    const auto h = bus::headers_for(message_id, event, "req-1");
    REQUIRE(h.size() == 4);
    CHECK(h[0] == std::pair<std::string, std::string>{"message_id", message_id});
    CHECK(h[1] == std::pair<std::string, std::string>{"event_type", event});
    CHECK(h[2] == std::pair<std::string, std::string>{"message_version", "1"});
    CHECK(h[3] == std::pair<std::string, std::string>{"request_id", "req-1"});
    CHECK(bus::headers_for(message_id, event, "")[3].second.empty());
}

TEST_CASE("unit: the dead-letter topic names are the bus's dead-letter topics of the event topics",
          "[unit]") {
    namespace events = prequal::events;
    CHECK(bus::dlq_topic(events::submitted_topic) == events::submitted_dlq_topic);
    CHECK(bus::dlq_topic(events::credit_reports_topic) == events::credit_reports_dlq_topic);
    CHECK(events::submitted_topic == "loan_applications_submitted");  // contract section 3
    CHECK(events::credit_reports_topic == "credit_reports_generated");
    CHECK(events::application_submitted == "loan_application_submitted");
    CHECK(events::credit_report_generated == "credit_report_generated");
}
