// Consent (contract section 8) over real sockets against real PostgreSQL: every invalid shape of the
// `consent` object is a 422 naming the failing member and stores nothing; a valid one is stored with the
// application, shown as consent_recorded (also after erasure), and referenced by the credit module's audit
// row for the score pull; --require-consent; Idempotency-Key retries cover the consent.
#include "service_fixture.hpp"

#include <boost/json/parse.hpp>
#include <boost/json/serialize.hpp>
#include <catch2/catch.hpp>

#include <algorithm>
#include <chrono>
#include <ctime>
#include <string>
#include <vector>

using namespace prequal;
using namespace prequal::test;
namespace json = boost::json;

namespace {

json::object body_of(const http_result& r) { return json::parse(r.body).as_object(); }

std::string application_with(const std::string& pan, const std::string& consent_json) {
    std::string b = R"({"pan_number":")" + pan + R"(","monthly_income_inr":90000,"loan_amount_inr":500000)";
    if (!consent_json.empty()) b += R"(,"consent":)" + consent_json;
    return b + "}";
}

// RFC 3339 (UTC, whole seconds) of now + `ahead`.
std::string utc_in(std::chrono::seconds ahead) {
    const std::time_t t = std::chrono::system_clock::to_time_t(std::chrono::system_clock::now() + ahead);
    std::tm tm{};
    gmtime_r(&t, &tm);
    char out[32];
    std::strftime(out, sizeof out, "%Y-%m-%dT%H:%M:%SZ", &tm);
    return out;
}

// The sorted `field`s of a 422 VALIDATION_ERROR; REQUIREs that the answer is one.
std::vector<std::string> failing_fields(const http_result& r) {
    INFO(r.body);
    REQUIRE(r.status == 422);
    const auto body = body_of(r);
    REQUIRE(body.at("error_code").as_string() == "VALIDATION_ERROR");
    std::vector<std::string> fields;
    for (const auto& d : body.at("details").as_array()) fields.emplace_back(d.at("field").as_string());
    std::sort(fields.begin(), fields.end());
    return fields;
}

std::string accepted_id(const http_result& r) {
    INFO(r.body);
    REQUIRE(r.status == 202);
    return std::string(body_of(r).at("application_id").as_string());
}

const std::string valid_consent =
    R"({"purpose":"credit-prequalification","given_at":"2024-12-01T09:30:00+05:30","text_version":"v3","channel":"web"})";

}  // namespace

TEST_CASE(
    "integration: consent: every invalid shape is a 422 naming consent or its member, and stores nothing",
    "[integration][pg]") {
    service_fixture f;
    const std::string g = R"("given_at":"2024-12-01T00:00:00Z")";
    const std::string p64(64, 'p');
    const std::string c32(32, 'c');
    struct row {
        std::string consent;
        std::vector<std::string> fields;
    };
    const std::vector<row> rows{
        {"null", {"consent"}},
        {R"("granted")", {"consent"}},
        {"1", {"consent"}},
        {"[]", {"consent"}},
        {"{}", {"consent.given_at", "consent.purpose", "consent.text_version"}},
        // Each required member missing.
        {R"({"text_version":"v",)" + g + "}", {"consent.purpose"}},
        {R"({"purpose":"p","text_version":"v"})", {"consent.given_at"}},
        {R"({"purpose":"p",)" + g + "}", {"consent.text_version"}},
        // Each length bound, just outside.
        {R"({"purpose":"","text_version":"v",)" + g + "}", {"consent.purpose"}},
        {R"({"purpose":")" + p64 + R"(p","text_version":"v",)" + g + "}", {"consent.purpose"}},
        {R"({"purpose":"p","text_version":"",)" + g + "}", {"consent.text_version"}},
        {R"({"purpose":"p","text_version":")" + p64 + R"(v",)" + g + "}", {"consent.text_version"}},
        {R"({"purpose":"p","text_version":"v","channel":"",)" + g + "}", {"consent.channel"}},
        {R"({"purpose":"p","text_version":"v","channel":")" + c32 + R"(c",)" + g + "}", {"consent.channel"}},
        // null for each member.
        {R"({"purpose":null,"text_version":"v",)" + g + "}", {"consent.purpose"}},
        {R"({"purpose":"p","text_version":null,)" + g + "}", {"consent.text_version"}},
        {R"({"purpose":"p","text_version":"v","given_at":null})", {"consent.given_at"}},
        {R"({"purpose":"p","text_version":"v","channel":null,)" + g + "}", {"consent.channel"}},
        // Wrong types.
        {R"({"purpose":7,"text_version":"v",)" + g + "}", {"consent.purpose"}},
        {R"({"purpose":"p","text_version":["v"],)" + g + "}", {"consent.text_version"}},
        {R"({"purpose":"p","text_version":"v","given_at":1764547200})", {"consent.given_at"}},
        {R"({"purpose":"p","text_version":"v","channel":false,)" + g + "}", {"consent.channel"}},
        // Unknown and duplicate keys, control characters.
        {R"({"purpose":"p","text_version":"v","ip":"10.0.0.1",)" + g + "}", {"consent.ip"}},
        {R"({"purpose":"p","purpose":"q","text_version":"v",)" + g + "}", {"consent.purpose"}},
        {R"({"purpose":"a\u0001b","text_version":"v",)" + g + "}", {"consent.purpose"}},
        {R"({"purpose":"p","text_version":"v\u007f",)" + g + "}", {"consent.text_version"}},
        {R"({"purpose":"p","text_version":"v","channel":"web\u0085",)" + g + "}", {"consent.channel"}},
        // given_at: in the future beyond 5 minutes, and strings that are not RFC 3339.
        {R"({"purpose":"p","text_version":"v","given_at":")" + utc_in(std::chrono::seconds{6 * 60}) + "\"}",
         {"consent.given_at"}},
        {R"({"purpose":"p","text_version":"v","given_at":"2126-01-01T00:00:00Z"})", {"consent.given_at"}},
    };
    std::vector<row> all = rows;
    for (const char* bad :
         {"", "yesterday", "2024-12-01", "2024-12-01T10:00:00", "2024-12-01 10:00:00Z",
          "2025-02-29T10:00:00Z", "2024-12-01T25:00:00Z", "2024-12-01T10:00:60Z", "2024-12-01T10:00:00+05",
          "01/12/2026 10:00", "0000-01-01T00:00:00Z", "0001-01-01T00:00:00+00:01"})
        all.push_back({R"({"purpose":"p","text_version":"v","given_at":")" + std::string(bad) + "\"}",
                       {"consent.given_at"}});
    for (const auto& r : all) {
        INFO("consent: " << r.consent);
        CHECK(failing_fields(post_json(f.port(), "/applications",
                                       application_with(unique_pan(), r.consent))) == r.fields);
    }
    // With other failing fields: all are named.
    CHECK(failing_fields(post_json(f.port(), "/applications",
                                   R"({"pan_number":"nope","monthly_income_inr":1,"loan_amount_inr":2,)"
                                   R"("consent":{"purpose":"","text_version":"v",)" +
                                       g + "}}")) ==
          std::vector<std::string>{"consent.purpose", "pan_number"});
    CHECK(sql_count(f.conninfo(), "SELECT count(*) FROM applications") == 0);
    CHECK(sql_count(f.conninfo(), "SELECT count(*) FROM consents") == 0);
}

TEST_CASE("integration: consent: the bounds and spellings inside the rules are accepted and stored",
          "[integration][pg]") {
    service_fixture f;
    const std::string g = R"("given_at":"2024-12-01T00:00:00Z")";
    const std::string devanagari64 = [] {
        std::string s;
        for (int i = 0; i < 64; ++i) s += "\xe0\xa4\x85";
        return s;
    }();
    for (const std::string& consent : {
             R"({"purpose":"p","text_version":"v",)" + g + "}",
             R"({"purpose":")" + std::string(64, 'p') + R"(","text_version":")" + std::string(64, 'v') +
                 R"(","channel":")" + std::string(32, 'c') + R"(",)" + g + "}",
             R"({"purpose":")" + devanagari64 + R"(","text_version":"v",)" + g + "}",
             R"({"purpose":"p","text_version":"v","given_at":")" + utc_in(std::chrono::seconds{4 * 60}) +
                 "\"}",
             std::string(R"({"purpose":"p","text_version":"v","given_at":"2024-12-01t10:00:00.123456789z"})"),
             std::string(R"({"purpose":"p","text_version":"v","given_at":"2016-12-31T23:59:60Z"})"),
             std::string(R"({"purpose":"p","text_version":"v","given_at":"0001-01-01T23:59:00+23:59"})"),
             std::string(R"({"purpose":"p","text_version":"v","given_at":"2024-12-01T10:00:00-23:59"})"),
         }) {
        INFO("consent: " << consent);
        const std::string id =
            accepted_id(post_json(f.port(), "/applications", application_with(unique_pan(), consent)));
        CHECK(sql_count(f.conninfo(), "SELECT count(*) FROM consents WHERE application_id = '" + id + "'") ==
              1);
        const auto status = http_request(f.port(), "GET", "/applications/" + id + "/status");
        REQUIRE(status.status == 200);
        CHECK(body_of(status).at("consent_recorded").as_bool());
    }
    // The stored instants: the leap second is the next day's first, the fraction kept to microseconds.
    CHECK(sql_count(f.conninfo(), "SELECT count(*) FROM consents WHERE given_at = '2017-01-01T00:00:00Z'") ==
          1);
    CHECK(sql_count(f.conninfo(),
                    "SELECT count(*) FROM consents WHERE given_at = '2024-12-01T10:00:00.123456Z'") == 1);
    CHECK(sql_count(f.conninfo(), "SELECT count(*) FROM consents WHERE given_at = '0001-01-01T00:00:00Z'") ==
          1);
    CHECK(sql_count(f.conninfo(), "SELECT count(*) FROM consents WHERE given_at = '2024-12-02T09:59:00Z'") ==
          1);
}

TEST_CASE(
    "integration: consent: stored with the application, shown as consent_recorded, referenced by the "
    "credit audit row, kept after erasure",
    "[integration][pg]") {
    service_fixture f;
    const std::string with_id =
        accepted_id(post_json(f.port(), "/applications", application_with(unique_pan(), valid_consent)));
    const std::string without_id =
        accepted_id(post_json(f.port(), "/applications", application_with(unique_pan(), "")));
    const auto decided = f.wait_final(with_id);
    const auto decided_without = f.wait_final(without_id);
    CHECK(decided.at("consent_recorded").as_bool());
    CHECK_FALSE(decided_without.at("consent_recorded").as_bool());

    // The row, as sent (given_at the same instant).
    const std::string where = " FROM consents WHERE application_id = '" + with_id + "'";
    CHECK(sql_value(f.conninfo(), "SELECT purpose" + where) == "credit-prequalification");
    CHECK(sql_value(f.conninfo(), "SELECT text_version" + where) == "v3");
    CHECK(sql_value(f.conninfo(), "SELECT channel" + where) == "web");
    CHECK(sql_value(f.conninfo(), "SELECT given_at = '2024-12-01T04:00:00Z'::timestamptz" + where) == "t");
    CHECK(sql_count(f.conninfo(),
                    "SELECT count(*) FROM consents WHERE application_id = '" + without_id + "'") == 0);

    // The score pull's audit row names the consent it relied on, or says there was none.
    const std::string report =
        "SELECT detail->'consent' FROM audit_log WHERE action = 'CREDIT_REPORT_GENERATED' AND application_id "
        "= '";
    const auto consent = json::parse(sql_value(f.conninfo(), report + with_id + "'"));
    INFO(json::serialize(consent));
    REQUIRE(consent.is_object());
    CHECK(consent.at("purpose").as_string() == "credit-prequalification");
    CHECK(consent.at("text_version").as_string() == "v3");
    CHECK(consent.at("channel").as_string() == "web");
    CHECK(consent.at("given_at").as_string() == "2024-12-01T04:00:00.000000Z");
    CHECK(sql_value(f.conninfo(), report + without_id + "'") == "null");

    // Erasure removes personal data, not the consent record.
    const auto erased = http_request(f.port(), "DELETE", "/applications/" + with_id + "/personal-data");
    INFO(erased.body);
    REQUIRE(erased.status == 200);
    CHECK(body_of(erased).at("personal_data").as_string() == "ERASED");
    CHECK(body_of(erased).at("consent_recorded").as_bool());
    const auto later = body_of(http_request(f.port(), "GET", "/applications/" + with_id + "/status"));
    CHECK(later.at("consent_recorded").as_bool());
    CHECK(sql_value(f.conninfo(), "SELECT purpose" + where) == "credit-prequalification");
    const auto erased_without =
        http_request(f.port(), "DELETE", "/applications/" + without_id + "/personal-data");
    REQUIRE(erased_without.status == 200);
    CHECK_FALSE(body_of(erased_without).at("consent_recorded").as_bool());
}

TEST_CASE("integration: consent: --require-consent refuses a POST without consent, naming consent",
          "[integration][pg]") {
    service_fixture f{[](app::service_config& c) { c.require_consent = true; }};
    CHECK(failing_fields(post_json(f.port(), "/applications", application_with(unique_pan(), ""))) ==
          std::vector<std::string>{"consent"});
    CHECK(failing_fields(post_json(f.port(), "/applications", application_with(unique_pan(), "null"))) ==
          std::vector<std::string>{"consent"});
    CHECK(sql_count(f.conninfo(), "SELECT count(*) FROM applications") == 0);
    const std::string id =
        accepted_id(post_json(f.port(), "/applications", application_with(unique_pan(), valid_consent)));
    CHECK(f.wait_final(id).at("consent_recorded").as_bool());
}

TEST_CASE("integration: consent: an Idempotency-Key retry must carry the same consent", "[integration][pg]") {
    service_fixture f;
    const std::string pan = unique_pan();
    const std::vector<std::pair<std::string, std::string>> key{{"Idempotency-Key", "consent-retry-1"}};
    const std::string id =
        accepted_id(post_json(f.port(), "/applications", application_with(pan, valid_consent), key));
    // The same meaning, spelled differently (key order, the same instant in UTC): the same application.
    const std::string same =
        R"({"given_at":"2024-12-01T04:00:00.000Z","channel":"web","text_version":"v3","purpose":"credit-prequalification"})";
    CHECK(accepted_id(post_json(f.port(), "/applications", application_with(pan, same), key)) == id);
    for (
        const std::string& other :
        {std::string(
             R"({"purpose":"marketing","given_at":"2024-12-01T09:30:00+05:30","text_version":"v3","channel":"web"})"),
         std::string(
             R"({"purpose":"credit-prequalification","given_at":"2024-12-01T09:30:01+05:30","text_version":"v3","channel":"web"})"),
         std::string(
             R"({"purpose":"credit-prequalification","given_at":"2024-12-01T09:30:00+05:30","text_version":"v4","channel":"web"})"),
         std::string(
             R"({"purpose":"credit-prequalification","given_at":"2024-12-01T09:30:00+05:30","text_version":"v3"})"),
         std::string()}) {
        INFO("consent: " << other);
        const auto r = post_json(f.port(), "/applications", application_with(pan, other), key);
        INFO(r.body);
        CHECK(r.status == 422);
        CHECK(body_of(r).at("error_code").as_string() == "IDEMPOTENCY_KEY_REUSED");
    }
    // And the other way round: a key first used without consent.
    const std::string pan2 = unique_pan();
    const std::vector<std::pair<std::string, std::string>> key2{{"Idempotency-Key", "consent-retry-2"}};
    const std::string id2 =
        accepted_id(post_json(f.port(), "/applications", application_with(pan2, ""), key2));
    CHECK(accepted_id(post_json(f.port(), "/applications", application_with(pan2, ""), key2)) == id2);
    const auto r = post_json(f.port(), "/applications", application_with(pan2, valid_consent), key2);
    CHECK(r.status == 422);
    CHECK(sql_count(f.conninfo(), "SELECT count(*) FROM consents") == 1);
}
