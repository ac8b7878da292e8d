// decision::parse_review_request: a valid review, and every invalid body naming each failing field.
#include <prequal/decision/review_request.hpp>

#include <catch2/catch.hpp>

#include <algorithm>
#include <string>
#include <vector>

namespace decision = prequal::decision;

namespace {

std::vector<std::string> failing_fields(const std::string& body) {
    const auto parsed = decision::parse_review_request(body);
    const auto* bad = std::get_if<decision::review_invalid>(&parsed);
    if (bad == nullptr) return {"(not invalid)"};
    std::vector<std::string> out;
    for (const auto& d : bad->details) out.push_back(d.field);
    return out;
}

}  // namespace

TEST_CASE("unit: review request: a valid body is read and trimmed", "[unit]") {
    const auto parsed = decision::parse_review_request(
        R"({"outcome":"PRE_APPROVED","reason":"  salary slips verified  ","reviewer":"Priya N","expected_version":2})");
    const auto* r = std::get_if<decision::review_request>(&parsed);
    REQUIRE(r != nullptr);
    CHECK(r->result == decision::outcome::pre_approved);
    CHECK(r->reason == "salary slips verified");
    CHECK(r->reviewer == "Priya N");
    CHECK(r->expected_version == 2);

    const auto rejected = decision::parse_review_request(
        R"({"outcome":"REJECTED","reason":"r","reviewer":"x","expected_version":7})");
    REQUIRE(std::get_if<decision::review_request>(&rejected) != nullptr);
    CHECK(std::get<decision::review_request>(rejected).result == decision::outcome::rejected);
}

TEST_CASE("unit: review request: every failing field is named", "[unit]") {
    const std::string ok_reason = R"("reason":"ok","reviewer":"me","expected_version":1)";
    struct bad_case {
        std::string body;
        std::vector<std::string> fields;
    };
    const std::vector<bad_case> cases{
        {"{}", {"outcome", "reason", "reviewer", "expected_version"}},
        {R"({"outcome":"MANUAL_REVIEW",)" + ok_reason + "}", {"outcome"}},
        {R"({"outcome":"PENDING",)" + ok_reason + "}", {"outcome"}},
        {R"({"outcome":"pre_approved",)" + ok_reason + "}", {"outcome"}},
        {R"({"outcome":null,)" + ok_reason + "}", {"outcome"}},
        {R"({"outcome":1,)" + ok_reason + "}", {"outcome"}},
        {R"({"outcome":"REJECTED","reason":"","reviewer":"me","expected_version":1})", {"reason"}},
        {R"({"outcome":"REJECTED","reason":"   ","reviewer":"me","expected_version":1})", {"reason"}},
        {R"({"outcome":"REJECTED","reason":")" + std::string(501, 'a') +
             R"(","reviewer":"me","expected_version":1})",
         {"reason"}},
        {R"({"outcome":"REJECTED","reason":"a\u0001b","reviewer":"me","expected_version":1})", {"reason"}},
        {R"({"outcome":"REJECTED","reason":null,"reviewer":"me","expected_version":1})", {"reason"}},
        {R"({"outcome":"REJECTED","reason":"ok","reviewer":")" + std::string(101, 'b') +
             R"(","expected_version":1})",
         {"reviewer"}},
        {R"({"outcome":"REJECTED","reason":"ok","reviewer":["me"],"expected_version":1})", {"reviewer"}},
        {R"({"outcome":"REJECTED","reason":"ok","reviewer":"me","expected_version":"1"})",
         {"expected_version"}},
        {R"({"outcome":"REJECTED","reason":"ok","reviewer":"me","expected_version":1.5})",
         {"expected_version"}},
        {R"({"outcome":"REJECTED","reason":"ok","reviewer":"me","expected_version":1.0})",
         {"expected_version"}},
        {R"({"outcome":"REJECTED","reason":"ok","reviewer":"me","expected_version":0})",
         {"expected_version"}},
        {R"({"outcome":"REJECTED","reason":"ok","reviewer":"me","expected_version":-3})",
         {"expected_version"}},
        {R"({"outcome":"REJECTED","reason":"ok","reviewer":"me","expected_version":99999999999})",
         {"expected_version"}},
        {R"({"outcome":"REJECTED","reason":"ok","reviewer":"me","expected_version":null})",
         {"expected_version"}},
        {R"({"outcome":"REJECTED",)" + ok_reason + R"(,"extra":true})", {"extra"}},
        {R"({"outcome":"REJECTED",)" + ok_reason + R"(,"reason":"again"})", {"reason"}},
        {R"({"outcome":7,"reason":"","reviewer":null,"expected_version":"x"})",
         {"outcome", "reason", "reviewer", "expected_version"}},
        {"[]", {"body"}},
    };
    for (const auto& c : cases) {
        INFO(c.body);
        auto fields = failing_fields(c.body);
        auto expected = c.fields;
        std::sort(fields.begin(), fields.end());
        std::sort(expected.begin(), expected.end());
        CHECK(fields == expected);
    }
    // Limits count characters, not bytes: 500 two-byte characters are fine.
    std::string accents;
    for (int i = 0; i < 500; ++i) accents += "\xC3\xA9";
    const auto long_ok = decision::parse_review_request(R"({"outcome":"REJECTED","reason":")" + accents +
                                                        R"(","reviewer":"me","expected_version":1})");
    CHECK(std::get_if<decision::review_request>(&long_ok) != nullptr);
}

TEST_CASE("unit: review request: a body that is not JSON is malformed", "[unit]") {
    for (const std::string body : {"", "{", "{\"outcome\":}", "nope", "{} {}"}) {
        INFO(body);
        const auto parsed = decision::parse_review_request(body);
        CHECK(std::get_if<decision::review_malformed>(&parsed) != nullptr);
    }
}
