// The `consent` object of POST /applications (contract section 8): every invalid shape names `consent` or
// `consent.<member>`, valid ones parse (given_at up to 5 minutes ahead of a fixed clock), --require-consent,
// the RFC 3339 reader, the flat reader's one level of nesting, and the consent's part in canonical_form.
#include "json_fields.hpp"

#include <prequal/api/application_request.hpp>

#include <catch2/catch.hpp>

#include <algorithm>
#include <chrono>
#include <string>
#include <variant>
#include <vector>

namespace api = prequal::api;
using namespace std::chrono_literals;

namespace {

// 2026-12-04T10:00:00Z, the fixed "now" of these tests.
const std::chrono::system_clock::time_point fixed_now{std::chrono::seconds{1'796'378'400}};

api::validation_options at_fixed_now(bool require_consent = false) {
    api::validation_options o;
    o.now = fixed_now;
    o.require_consent = require_consent;
    return o;
}

std::string body_with_consent(const std::string& consent_json) {
    return R"({"pan_number":"ABCDE1234F","monthly_income_inr":50000,"loan_amount_inr":100000,"consent":)" +
           consent_json + "}";
}

const std::string valid_consent =
    R"({"purpose":"credit-prequalification","given_at":"2026-12-04T09:58:00Z","text_version":"v3","channel":"web"})";

// Sorted detail fields of an invalid body; REQUIREs that it is invalid.
std::vector<std::string> failing_fields(const std::string& body, const api::validation_options& o) {
    INFO("body: " << body.substr(0, 300));
    const auto out = api::parse_application_request(body, o);
    REQUIRE(std::holds_alternative<api::invalid_request>(out));
    std::vector<std::string> fields;
    for (const auto& d : std::get<api::invalid_request>(out).details) {
        UNSCOPED_INFO(d.field << ": " << d.issue);
        CHECK_FALSE(d.issue.empty());
        fields.push_back(d.field);
    }
    std::sort(fields.begin(), fields.end());
    return fields;
}

api::application_request expect_valid(const std::string& body, const api::validation_options& o) {
    INFO("body: " << body.substr(0, 300));
    const auto out = api::parse_application_request(body, o);
    if (const auto* bad = std::get_if<api::invalid_request>(&out))
        for (const auto& d : bad->details) UNSCOPED_INFO(d.field << ": " << d.issue);
    REQUIRE(std::holds_alternative<api::application_request>(out));
    return std::get<api::application_request>(out);
}

std::string chars(std::size_t n, const std::string& one = "a") {
    std::string s;
    for (std::size_t i = 0; i < n; ++i) s += one;
    return s;
}

}  // namespace

TEST_CASE("unit: consent: a valid consent parses, channel is optional, absent is fine by default", "[unit]") {
    const auto full = expect_valid(body_with_consent(valid_consent), at_fixed_now());
    REQUIRE(full.consent.has_value());
    CHECK(full.consent->purpose == "credit-prequalification");
    CHECK(full.consent->text_version == "v3");
    CHECK(full.consent->channel == "web");
    CHECK(full.consent->given_at_micros == 1'796'378'280'000'000);

    const auto minimal = expect_valid(
        body_with_consent(R"({"text_version":"1","given_at":"2020-01-01T00:00:00+05:30","purpose":"p"})"),
        at_fixed_now());
    REQUIRE(minimal.consent.has_value());
    CHECK(minimal.consent->channel.empty());

    const auto none = expect_valid(
        R"({"pan_number":"ABCDE1234F","monthly_income_inr":1,"loan_amount_inr":2})", at_fixed_now());
    CHECK_FALSE(none.consent.has_value());
}

TEST_CASE("unit: consent: lengths are 1-64 (purpose, text_version) and 1-32 (channel) characters", "[unit]") {
    const std::string devanagari_a = "\xe0\xa4\x85";  // one character, three bytes
    struct row {
        std::string member;
        std::size_t max;
    };
    for (const auto& r : std::vector<row>{{"purpose", 64}, {"text_version", 64}, {"channel", 32}}) {
        const std::string& member = r.member;
        const std::size_t max = r.max;
        auto with = [&](const std::string& value) {
            const std::string purpose = member == "purpose" ? value : "p";
            const std::string version = member == "text_version" ? value : "v";
            std::string c = R"({"purpose":")" + purpose +
                            R"(","given_at":"2026-12-04T09:00:00Z","text_version":")" + version + "\"";
            if (member == "channel") c += R"(,"channel":")" + value + "\"";
            return body_with_consent(c + "}");
        };
        INFO(member);
        expect_valid(with("a"), at_fixed_now());
        expect_valid(with(chars(max)), at_fixed_now());
        expect_valid(with(chars(max, devanagari_a)), at_fixed_now());  // counted in characters, not bytes
        expect_valid(with(" padded "), at_fixed_now());                // kept as sent, not trimmed
        const std::string field = "consent." + member;
        CHECK(failing_fields(with(""), at_fixed_now()) == std::vector<std::string>{field});
        CHECK(failing_fields(with(chars(max + 1)), at_fixed_now()) == std::vector<std::string>{field});
        CHECK(failing_fields(with(chars(max + 1, devanagari_a)), at_fixed_now()) ==
              std::vector<std::string>{field});
        for (const std::string& control :
             {std::string("a\\u0001b"), std::string("a\\tb"), std::string("a\\nb"), std::string("a\\u007fb"),
              std::string("a\\u0085b"), std::string("\\u0000")})
            CHECK(failing_fields(with(control), at_fixed_now()) == std::vector<std::string>{field});
    }
}

TEST_CASE("unit: consent: every invalid shape names consent or the failing member", "[unit]") {
    const std::string g = R"("given_at":"2026-12-04T09:00:00Z")";
    struct row {
        std::string consent;  // raw JSON of the consent member
        std::vector<std::string> fields;
    };
    const std::vector<row> rows{
        {"null", {"consent"}},
        {R"("yes")", {"consent"}},
        {"42", {"consent"}},
        {"true", {"consent"}},
        {R"(["purpose"])", {"consent"}},
        {"{}", {"consent.given_at", "consent.purpose", "consent.text_version"}},
        {R"({"given_at":"2026-12-04T09:00:00Z","text_version":"v"})", {"consent.purpose"}},
        {R"({"purpose":"p","text_version":"v"})", {"consent.given_at"}},
        {R"({"purpose":"p",)" + g + "}", {"consent.text_version"}},
        {R"({"purpose":null,"text_version":"v",)" + g + "}", {"consent.purpose"}},
        {R"({"purpose":"p","text_version":null,)" + g + "}", {"consent.text_version"}},
        {R"({"purpose":"p","text_version":"v","given_at":null})", {"consent.given_at"}},
        {R"({"purpose":"p","text_version":"v","channel":null,)" + g + "}", {"consent.channel"}},
        {R"({"purpose":1,"text_version":"v",)" + g + "}", {"consent.purpose"}},
        {R"({"purpose":"p","text_version":true,)" + g + "}", {"consent.text_version"}},
        {R"({"purpose":"p","text_version":"v","given_at":1796378400})", {"consent.given_at"}},
        {R"({"purpose":"p","text_version":"v","channel":{},)" + g + "}", {"consent.channel"}},
        {R"({"purpose":"p","text_version":"v","channel":["web"],)" + g + "}", {"consent.channel"}},
        {R"({"purpose":"p","text_version":"v","scope":"all",)" + g + "}", {"consent.scope"}},
        {R"({"purpose":"p","text_version":"v","Purpose":"x",)" + g + "}", {"consent.Purpose"}},
        {R"({"purpose":"p","text_version":"v","a\u0001b":1,)" + g + "}", {"consent.a?b"}},
        {R"({"purpose":"p","purpose":"q","text_version":"v",)" + g + "}", {"consent.purpose"}},
        {R"({"purpose":"p","pur\u0070ose":"q","text_version":"v",)" + g + "}", {"consent.purpose"}},
        // Everything wrong at once: each member named once.
        {R"({"purpose":"","text_version":7,"channel":"","given_at":"soon","x":1})",
         {"consent.channel", "consent.given_at", "consent.purpose", "consent.text_version", "consent.x"}},
    };
    for (const auto& r : rows) {
        INFO("consent: " << r.consent);
        CHECK(failing_fields(body_with_consent(r.consent), at_fixed_now()) == r.fields);
    }
    // consent given twice at the top level, and alongside other failing fields.
    CHECK(failing_fields(body_with_consent(valid_consent + R"(,"consent":)" + valid_consent),
                         at_fixed_now()) == std::vector<std::string>{"consent"});
    CHECK(failing_fields(
              R"({"pan_number":"bad","monthly_income_inr":1,"loan_amount_inr":2,"consent":{"purpose":""}})",
              at_fixed_now()) == std::vector<std::string>{"consent.given_at", "consent.purpose",
                                                          "consent.text_version", "pan_number"});
    // Members nested deeper than consent's own are values of the wrong type, never read as consent members.
    CHECK(failing_fields(body_with_consent(R"({"purpose":{"purpose":"p"},"text_version":"v",)" + g + "}"),
                         at_fixed_now()) == std::vector<std::string>{"consent.purpose"});
}

TEST_CASE("unit: consent: given_at is RFC 3339 and at most 5 minutes in the future", "[unit]") {
    auto with = [](const std::string& given_at) {
        return body_with_consent(R"({"purpose":"p","text_version":"v","given_at":")" + given_at + "\"}");
    };
    for (const std::string& ok :
         {std::string("2026-12-04T10:04:00Z"),  // 4 minutes ahead
          std::string("2026-12-04T10:05:00Z"),  // exactly 5
          std::string("2026-12-04T15:35:00+05:30"), std::string("2026-12-04T05:05:00-04:55"),
          std::string("2026-12-04t09:00:00z"), std::string("2026-12-04T09:00:00.123456789Z"),
          std::string("2016-12-31T23:59:60Z"), std::string("2017-01-01T05:29:60+05:30"),
          std::string("2024-02-29T00:00:00Z"), std::string("0001-01-01T00:00:00Z"),
          std::string("0001-01-01T23:59:00+23:59"), std::string("1970-01-01T00:00:00+23:59")}) {
        INFO(ok);
        expect_valid(with(ok), at_fixed_now());
    }
    for (const std::string& bad : {std::string("2026-12-04T10:05:00.000001Z"),  // just over 5 minutes
                                   std::string("2026-12-04T10:06:00Z"),
                                   std::string("2026-12-04T15:36:00+05:30"),
                                   std::string("2099-01-01T00:00:00Z"),
                                   std::string(""),
                                   std::string("soon"),
                                   std::string("2026-12-04"),
                                   std::string("2026-12-04T09:00:00"),
                                   std::string("2026-12-04 09:00:00Z"),
                                   std::string("2026-12-04T09:00Z"),
                                   std::string("2026-12-04T9:00:00Z"),
                                   std::string("2026-13-01T00:00:00Z"),
                                   std::string("2026-00-01T00:00:00Z"),
                                   std::string("2026-02-29T00:00:00Z"),
                                   std::string("2026-04-31T00:00:00Z"),
                                   std::string("2026-12-00T00:00:00Z"),
                                   std::string("2026-12-04T24:00:00Z"),
                                   std::string("2026-12-04T09:60:00Z"),
                                   std::string("2026-12-04T09:00:60Z"),  // a leap second only at 23:59:60 UTC
                                   std::string("2016-12-31T23:59:61Z"),
                                   std::string("2026-12-04T09:00:00.Z"),
                                   std::string("2026-12-04T09:00:00+0530"),
                                   std::string("2026-12-04T09:00:00+5:30"),
                                   std::string("2026-12-04T09:00:00+24:00"),
                                   std::string("2026-12-04T09:00:00+05:60"),
                                   std::string("2026-12-04T09:00:00ZZ"),
                                   std::string(" 2026-12-04T09:00:00Z"),
                                   std::string("2026-12-04T09:00:00Z "),
                                   std::string("0000-01-01T00:00:00Z"),
                                   std::string("+2026-12-04T09:00:00Z"),
                                   std::string("2026-12-04T09:00:00UTC"),
                                   std::string("2026-1a-04T09:00:00Z"),
                                   std::string("1796378400")}) {
        INFO(bad);
        CHECK(failing_fields(with(bad), at_fixed_now()) == std::vector<std::string>{"consent.given_at"});
    }
}

TEST_CASE("unit: consent: the RFC 3339 reader computes the instant, in microseconds", "[unit]") {
    CHECK(api::parse_rfc3339("2026-12-04t15:30:00.1234567+05:30") ==
          1'796'378'400'123'456);  // cut, not rounded
    CHECK(api::parse_rfc3339("2026-12-04T10:00:00Z") == 1'796'378'400'000'000);
    CHECK(api::parse_rfc3339("2026-12-04T05:05:00-04:55") == 1'796'378'400'000'000);
    CHECK(api::parse_rfc3339("1970-01-01T00:00:00z") == 0);
    CHECK(api::parse_rfc3339("1969-12-31T23:59:59.5Z") == -500'000);
    CHECK(api::parse_rfc3339("2016-12-31T23:59:60Z") == api::parse_rfc3339("2017-01-01T00:00:00Z"));
    CHECK(api::parse_rfc3339("0001-01-01T00:00:00Z") == -62'135'596'800'000'000);
    CHECK(api::parse_rfc3339("9999-12-31T23:59:59.999999Z") == 253'402'300'799'999'999);
    // Years 0001-9999 in UTC too: an offset must not move the instant out of them.
    CHECK_FALSE(api::parse_rfc3339("0001-01-01T00:00:00+00:01").has_value());
    CHECK_FALSE(api::parse_rfc3339("9999-12-31T23:59:59-00:01").has_value());
    CHECK_FALSE(api::parse_rfc3339("2026-12-04T09:00:00").has_value());
}

TEST_CASE("unit: consent: --require-consent makes a body without consent invalid, naming consent", "[unit]") {
    const std::string none = R"({"pan_number":"ABCDE1234F","monthly_income_inr":1,"loan_amount_inr":2})";
    expect_valid(none, at_fixed_now(false));
    CHECK(failing_fields(none, at_fixed_now(true)) == std::vector<std::string>{"consent"});
    expect_valid(body_with_consent(valid_consent), at_fixed_now(true));
    CHECK(failing_fields(body_with_consent("null"), at_fixed_now(true)) ==
          std::vector<std::string>{"consent"});
    // Named with every other failing field.
    CHECK(failing_fields(R"({"pan_number":"bad","monthly_income_inr":1,"loan_amount_inr":2})",
                         at_fixed_now(true)) == std::vector<std::string>{"consent", "pan_number"});
}

TEST_CASE("unit: consent: the flat reader reads a top-level object one level deep", "[unit]") {
    std::string error;
    const auto o = api::detail::read_flat_object(
        R"({"c":{"a":"x","n":1.50,"d":{"z":1},"l":[1,{"q":2}],"a":"y"},"c":{"b":1},"k":[{"m":1}]})", 16,
        error);
    REQUIRE(o.has_value());
    REQUIRE(o->members.size() == 2);
    const auto& c = o->members[0];
    CHECK(c.kind == api::detail::json_kind::object);
    REQUIRE(c.members.size() == 4);
    CHECK(c.members[0].key == "a");
    CHECK(c.members[0].text == "x");  // the first occurrence
    CHECK(c.members[1].text == "1.50");
    CHECK(c.members[2].kind == api::detail::json_kind::object);
    CHECK(c.members[2].members.empty());  // deeper levels are only a kind
    CHECK(c.members[3].kind == api::detail::json_kind::array);
    CHECK(c.duplicate_keys == std::vector<std::string>{"a"});
    CHECK(o->duplicate_keys == std::vector<std::string>{"c"});  // the duplicate's members are not mixed in
    CHECK(o->members[1].key == "k");
    CHECK(o->members[1].members.empty());
}

TEST_CASE("unit: consent: canonical_form covers the consent, by meaning", "[unit]") {
    const auto base = expect_valid(body_with_consent(valid_consent), at_fixed_now());
    const auto same = expect_valid(
        body_with_consent(
            R"({ "channel":"web", "text_version":"v3", "given_at":"2026-12-04T15:28:00.000+05:30", "purpose":"credit-prequalification" })"),
        at_fixed_now());
    CHECK(api::canonical_form(base) == api::canonical_form(same));
    // Without consent: the text it had before consent existed.
    api::application_request none = base;
    none.consent.reset();
    CHECK(api::canonical_form(none).find("consent") == std::string::npos);
    CHECK(api::canonical_form(none) != api::canonical_form(base));

    auto differs = [&](auto change) {
        api::application_request r = base;
        change(*r.consent);
        return api::canonical_form(r) != api::canonical_form(base);
    };
    CHECK(differs([](auto& c) { c.purpose = "marketing"; }));
    CHECK(differs([](auto& c) { c.text_version = "v4"; }));
    CHECK(differs([](auto& c) { c.channel.clear(); }));
    CHECK(differs([](auto& c) { c.channel = "branch"; }));
    CHECK(differs([](auto& c) { c.given_at_micros += 1; }));
    // A value containing the separators cannot imitate the members after it.
    api::application_request a = base, b = base;
    a.consent->purpose = "p|1:v";
    a.consent->text_version = "x";
    b.consent->purpose = "p";
    b.consent->text_version = "v|1:x";
    CHECK(api::canonical_form(a) != api::canonical_form(b));
}
