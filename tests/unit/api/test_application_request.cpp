// api::parse_application_request and its helpers: every field rule of contract section 1, every failing
// field reported at once, malformed versus invalid bodies, and hostile inputs that must not crash.
#include "json_fields.hpp"

#include <prequal/api/application_request.hpp>

#include <catch2/catch.hpp>

#include <algorithm>
#include <cstdint>
#include <string>
#include <utility>
#include <variant>
#include <vector>

namespace api = prequal::api;
using prequal::core::money;

namespace {

const std::string valid_pan = "ABCDE1234F";

// A body with the required fields, plus `extra` members spliced in verbatim (e.g. R"("loan_type":"HOME")").
std::string body_with(const std::string& extra = {}) {
    std::string b = R"({"pan_number":"ABCDE1234F","monthly_income_inr":50000,"loan_amount_inr":100000)";
    if (!extra.empty()) b += "," + extra;
    return b + "}";
}

// The three required members with one replaced by `member` (its raw JSON, or empty to drop it).
std::string body_replacing(const std::string& field, const std::string& member) {
    std::vector<std::pair<std::string, std::string>> fields{
        {"pan_number", R"("ABCDE1234F")"}, {"monthly_income_inr", "50000"}, {"loan_amount_inr", "100000"}};
    std::string b = "{";
    bool first = true;
    for (const auto& [k, v] : fields) {
        std::string m = k == field ? member : "\"" + k + "\":" + v;
        if (m.empty()) continue;
        if (!first) b += ",";
        b += m;
        first = false;
    }
    return b + "}";
}

api::application_request expect_valid(const std::string& body) {
    INFO("body: " << body.substr(0, 300));
    const auto out = api::parse_application_request(body);
    if (const auto* bad = std::get_if<api::invalid_request>(&out)) {
        for (const auto& d : bad->details) UNSCOPED_INFO(d.field << ": " << d.issue);
    }
    REQUIRE(std::holds_alternative<api::application_request>(out));
    return std::get<api::application_request>(out);
}

std::vector<prequal::http::error_detail> expect_invalid(const std::string& body) {
    INFO("body: " << body.substr(0, 300));
    const auto out = api::parse_application_request(body);
    REQUIRE(std::holds_alternative<api::invalid_request>(out));
    return std::get<api::invalid_request>(out).details;
}

// The body fails with exactly one detail, naming `field`.
std::string expect_single_failure(const std::string& body, const std::string& field) {
    const auto details = expect_invalid(body);
    INFO("body: " << body.substr(0, 300));
    for (const auto& d : details) UNSCOPED_INFO(d.field << ": " << d.issue);
    REQUIRE(details.size() == 1);
    CHECK(details[0].field == field);
    CHECK_FALSE(details[0].issue.empty());
    return details[0].issue;
}

void expect_malformed(const std::string& body) {
    INFO("body: " << body.substr(0, 300));
    const auto out = api::parse_application_request(body);
    REQUIRE(std::holds_alternative<api::malformed_json>(out));
    CHECK_FALSE(std::get<api::malformed_json>(out).reason.empty());
}

std::string utf8_e_acute(std::size_t n) {
    std::string s;
    for (std::size_t i = 0; i < n; ++i) s += "\xC3\xA9";
    return s;
}

}  // namespace

TEST_CASE("unit: a minimal valid body parses", "[unit]") {
    const auto r =
        expect_valid(R"({"pan_number":"ABCDE1234F","monthly_income_inr":120000,"loan_amount_inr":500000})");
    CHECK(r.pan_number == valid_pan);
    CHECK(r.applicant_name.empty());
    CHECK(r.monthly_income == money::from_rupees(120'000));
    CHECK(r.loan_amount == money::from_rupees(500'000));
    CHECK(r.loan_type.empty());
}

TEST_CASE("unit: a body with every field parses, whatever the whitespace and key order", "[unit]") {
    const auto r = expect_valid(
        "\n{ \"loan_type\" : \"HOME\",\t\"applicant_name\": \"  Asha Rao \",\r\n"
        " \"loan_amount_inr\": \"500000.00\", \"monthly_income_inr\": 120000.5, \"pan_number\": "
        "\"ZZZZZ0000Z\" }\n");
    CHECK(r.pan_number == "ZZZZZ0000Z");
    CHECK(r.applicant_name == "Asha Rao");
    CHECK(r.monthly_income == money::from_paise(12'000'050));
    CHECK(r.loan_amount == money::from_rupees(500'000));
    CHECK(r.loan_type == "HOME");
}

TEST_CASE("unit: money is exact as a JSON number and as a decimal string", "[unit]") {
    struct row {
        const char* json;
        std::int64_t paise;
    };
    for (const auto& r : std::vector<row>{{"120000.50", 12'000'050},
                                          {R"("120000.50")", 12'000'050},
                                          {"1.15", 115},
                                          {R"("1.15")", 115},
                                          {"0.07", 7},
                                          {"99999999.99", 9'999'999'999},
                                          {R"("99999999.99")", 9'999'999'999},
                                          {"1.500", 150},
                                          {R"("1e3")", 100'000},
                                          {"1e3", 100'000},
                                          {"1.2345E+2", 12'345},
                                          {"12345e-2", 12'345}}) {
        INFO(r.json);
        const auto income = expect_valid(
            body_replacing("monthly_income_inr", std::string("\"monthly_income_inr\":") + r.json));
        CHECK(income.monthly_income.paise() == r.paise);
        const auto loan =
            expect_valid(body_replacing("loan_amount_inr", std::string("\"loan_amount_inr\":") + r.json));
        CHECK(loan.loan_amount.paise() == r.paise);
    }
}

TEST_CASE("unit: pan_number failures each give one pan_number detail", "[unit]") {
    for (const char* member :
         {R"("pan_number":null)", R"("pan_number":1234567890)", R"("pan_number":"abcde1234f")",
          R"("pan_number":"ABCDE1234")", R"("pan_number":"ABCDE1234FG")", R"("pan_number":"ABCD12345F")",
          R"("pan_number":"ABCDE12345")", R"("pan_number":"1BCDE1234F")", R"("pan_number":"ABCDE1234f")",
          R"("pan_number":" ABCDE1234F")", R"("pan_number":"ABCDE1234F ")", R"("pan_number":"")",
          R"("pan_number":["ABCDE1234F"])", R"("pan_number":true)", R"("pan_number":"ABCDÉ1234F")",
          R"("pan_number":"ABCDE\u00001234F")"}) {
        INFO(member);
        expect_single_failure(body_replacing("pan_number", member), "pan_number");
    }
    INFO("missing");
    CHECK(expect_single_failure(body_replacing("pan_number", ""), "pan_number") == "is required");
    CHECK(expect_single_failure(body_replacing("pan_number", R"("pan_number":"abcde1234f")"), "pan_number") ==
          "must match ^[A-Z]{5}[0-9]{4}[A-Z]$");
    CHECK(expect_single_failure(body_replacing("pan_number", R"("pan_number":null)"), "pan_number") ==
          "must not be null");
}

TEST_CASE("unit: applicant_name is 1-255 characters after trimming, without control characters", "[unit]") {
    SECTION("failures") {
        const std::string n256(256, 'a');
        for (const std::string& member : std::vector<std::string>{
                 R"("applicant_name":12)", R"("applicant_name":true)", R"("applicant_name":{})",
                 R"("applicant_name":["a"])", R"("applicant_name":"")", R"("applicant_name":"   ")",
                 R"("applicant_name":"\t\n ")", "\"applicant_name\":\"" + n256 + "\"",
                 "\"applicant_name\":\"  " + n256 + "  \"", R"("applicant_name":"Asha\u0007Rao")",
                 R"("applicant_name":"Asha\u0000Rao")", R"("applicant_name":"Asha\u007fRao")",
                 R"("applicant_name":"Asha\u0085Rao")", R"("applicant_name":"Asha\u0080Rao")",
                 R"("applicant_name":"Asha\u009fRao")", R"("applicant_name":"Asha\u001fRao")",
                 R"("applicant_name":"Asha\nRao")", "\"applicant_name\":\"" + utf8_e_acute(256) + "\""}) {
            INFO(member.substr(0, 80));
            expect_single_failure(body_with(member), "applicant_name");
        }
    }
    SECTION("accepted") {
        const std::string n255(255, 'a');
        CHECK(expect_valid(body_with("\"applicant_name\":\"" + n255 + "\"")).applicant_name == n255);
        CHECK(expect_valid(body_with("\"applicant_name\":\"   " + n255 + " \\t \"")).applicant_name == n255);
        // 255 characters of two bytes each: counted in characters, not bytes.
        CHECK(expect_valid(body_with("\"applicant_name\":\"" + utf8_e_acute(255) + "\"")).applicant_name ==
              utf8_e_acute(255));
        CHECK(expect_valid(body_with(R"("applicant_name":"\u00e9")")).applicant_name == "\xC3\xA9");
        CHECK(expect_valid(body_with(R"("applicant_name":"  Ravi  Kumar ")")).applicant_name ==
              "Ravi  Kumar");
        CHECK(expect_valid(body_with(R"("applicant_name":"x")")).applicant_name == "x");
        // Just past the control ranges: space, '~', no-break space and 'ÿ' are ordinary characters.
        CHECK(expect_valid(body_with(R"("applicant_name":"A B~\u00a0\u00ff")")).applicant_name ==
              "A B~\xC2\xA0\xC3\xBF");
        // Four-byte characters (an emoji written as a surrogate pair) count once each.
        std::string emoji;
        for (int i = 0; i < 255; ++i) emoji += "\\ud83d\\ude00";
        CHECK(expect_valid(body_with("\"applicant_name\":\"" + emoji + "\"")).applicant_name.size() ==
              255 * 4);
        // null is the same as absent for an optional field.
        CHECK(expect_valid(body_with(R"("applicant_name":null)")).applicant_name.empty());
    }
}

TEST_CASE("unit: monthly_income_inr accepts 0..100000000 with at most 2 decimals", "[unit]") {
    SECTION("failures") {
        for (const std::string& member :
             std::vector<std::string>{"",
                                      R"("monthly_income_inr":null)",
                                      R"("monthly_income_inr":true)",
                                      R"("monthly_income_inr":{})",
                                      R"("monthly_income_inr":[1])",
                                      R"("monthly_income_inr":-1)",
                                      R"("monthly_income_inr":-0.01)",
                                      R"("monthly_income_inr":"-5")",
                                      R"("monthly_income_inr":100000000.01)",
                                      R"("monthly_income_inr":"100000000.01")",
                                      R"("monthly_income_inr":1e9)",
                                      R"("monthly_income_inr":1.005)",
                                      R"("monthly_income_inr":"1.005")",
                                      R"("monthly_income_inr":"abc")",
                                      R"("monthly_income_inr":"")",
                                      R"("monthly_income_inr":" 5")",
                                      R"("monthly_income_inr":"+5")",
                                      R"("monthly_income_inr":"0x10")",
                                      R"("monthly_income_inr":"NaN")",
                                      R"("monthly_income_inr":"01")",
                                      R"("monthly_income_inr":"1.")",
                                      R"("monthly_income_inr":"1,000")",
                                      R"("monthly_income_inr":1e400)",
                                      R"("monthly_income_inr":123456789012345678901234567890)"}) {
            INFO(member);
            expect_single_failure(body_replacing("monthly_income_inr", member), "monthly_income_inr");
        }
        CHECK(expect_single_failure(body_replacing("monthly_income_inr", ""), "monthly_income_inr") ==
              "is required");
    }
    SECTION("accepted") {
        struct row {
            const char* json;
            std::int64_t paise;
        };
        for (const auto& r : std::vector<row>{{"0", 0},
                                              {"0.00", 0},
                                              {"-0", 0},
                                              {"100000000", 10'000'000'000},
                                              {"100000000.00", 10'000'000'000},
                                              {"1e8", 10'000'000'000},
                                              {"1.500", 150},
                                              {R"("1e3")", 100'000},
                                              {R"("0")", 0}}) {
            INFO(r.json);
            CHECK(expect_valid(
                      body_replacing("monthly_income_inr", std::string("\"monthly_income_inr\":") + r.json))
                      .monthly_income.paise() == r.paise);
        }
    }
}

TEST_CASE("unit: loan_amount_inr accepts more than 0 up to 100000000", "[unit]") {
    for (const std::string& member : std::vector<std::string>{
             "", R"("loan_amount_inr":null)", R"("loan_amount_inr":0)", R"("loan_amount_inr":"0.00")",
             R"("loan_amount_inr":-0)", R"("loan_amount_inr":-100)", R"("loan_amount_inr":100000000.01)",
             R"("loan_amount_inr":"100000001")", R"("loan_amount_inr":0.001)", R"("loan_amount_inr":false)",
             R"("loan_amount_inr":"ten")"}) {
        INFO(member);
        expect_single_failure(body_replacing("loan_amount_inr", member), "loan_amount_inr");
    }
    for (const auto& [json, paise] :
         std::vector<std::pair<const char*, std::int64_t>>{{"0.01", 1},
                                                           {R"("0.01")", 1},
                                                           {"100000000", 10'000'000'000},
                                                           {R"("100000000.00")", 10'000'000'000}}) {
        INFO(json);
        CHECK(expect_valid(body_replacing("loan_amount_inr", std::string("\"loan_amount_inr\":") + json))
                  .loan_amount.paise() == paise);
    }
}

TEST_CASE("unit: loan_type is PERSONAL, HOME, AUTO or absent", "[unit]") {
    for (const char* t : {"PERSONAL", "HOME", "AUTO"}) {
        CHECK(expect_valid(body_with(std::string(R"("loan_type":")") + t + "\"")).loan_type == t);
    }
    CHECK(expect_valid(body_with(R"("loan_type":null)")).loan_type.empty());
    for (const char* member : {R"("loan_type":"home")", R"("loan_type":"Home")", R"("loan_type":"")",
                               R"("loan_type":" HOME")", R"("loan_type":"EDUCATION")", R"("loan_type":1)",
                               R"("loan_type":true)", R"("loan_type":["HOME"])", R"("loan_type":{"a":1})"}) {
        INFO(member);
        expect_single_failure(body_with(member), "loan_type");
    }
}

TEST_CASE("unit: unknown fields and duplicate keys are validation errors", "[unit]") {
    CHECK(expect_single_failure(body_with(R"("email":"a@b.c")"), "email") == "is not a known field");
    CHECK(expect_single_failure(body_with(R"("Pan_Number":"ABCDE1234F")"), "Pan_Number") ==
          "is not a known field");
    expect_single_failure(body_with(R"("nested":{"pan_number":"x","deeper":[1,{"a":2}]})"), "nested");
    CHECK(expect_single_failure(body_with(R"("pan_number":"ABCDE1234F")"), "pan_number") ==
          "appears more than once");
    // A duplicate whose second value is bad still counts as a duplicate, not as a silently ignored value.
    expect_single_failure(body_with(R"("loan_amount_inr":"oops")"), "loan_amount_inr");
    // Escaped spelling of a known key is the same key.
    expect_single_failure(body_with(R"("pan\u005fnumber":"ABCDE1234F")"), "pan_number");
    // An unknown key with control characters is echoed safely.
    const auto issue_field = expect_invalid(body_with(R"("a\u0001b":1)"));
    REQUIRE(issue_field.size() == 1);
    CHECK(issue_field[0].field == "a?b");
}

TEST_CASE("unit: every failing field is reported at once", "[unit]") {
    const auto details = expect_invalid(
        R"({"pan_number":"bad","applicant_name":"","monthly_income_inr":-1,"loan_amount_inr":0,"loan_type":"HOME"})");
    std::vector<std::string> fields;
    for (const auto& d : details) fields.push_back(d.field);
    std::sort(fields.begin(), fields.end());
    CHECK(fields ==
          std::vector<std::string>{"applicant_name", "loan_amount_inr", "monthly_income_inr", "pan_number"});

    const auto all =
        expect_invalid(R"({"x":1,"loan_type":"car","pan_number":null,"pan_number":"ABCDE1234F"})");
    fields.clear();
    for (const auto& d : all) fields.push_back(d.field);
    std::sort(fields.begin(), fields.end());
    CHECK(fields == std::vector<std::string>{"loan_amount_inr", "loan_type", "monthly_income_inr",
                                             "pan_number", "pan_number", "x"});

    const auto empty_object = expect_invalid("{}");
    fields.clear();
    for (const auto& d : empty_object) fields.push_back(d.field);
    std::sort(fields.begin(), fields.end());
    CHECK(fields == std::vector<std::string>{"loan_amount_inr", "monthly_income_inr", "pan_number"});
}

TEST_CASE("unit: bodies that are not JSON are malformed_json", "[unit]") {
    for (const std::string& body : std::vector<std::string>{std::string{},
                                                            std::string("{"),
                                                            std::string("nul"),
                                                            std::string("{}x"),
                                                            std::string("{} {}"),
                                                            std::string("{\"pan_number\":\"\xC3\x28\"}"),
                                                            std::string("{\"a\":\"\xFF\xFE\"}"),
                                                            std::string("{\"a\":\"\xED\xA0\x80\"}"),
                                                            std::string("{'pan_number':'x'}"),
                                                            std::string("{\"a\":1,}"),
                                                            std::string("{\"a\":01}"),
                                                            std::string("{\"a\":NaN}"),
                                                            std::string("{\"a\":1} // c"),
                                                            std::string("/* c */ {}"),
                                                            std::string("{\"a\":\"\\x\"}"),
                                                            std::string("{\"a\":\"\\ud800\"}"),
                                                            std::string("{\"a\":\"tab\there\"}"),
                                                            std::string(" "),
                                                            std::string("\xEF\xBB\xBF{}"),
                                                            std::string("{\"a\":1}\0", 8)}) {
        expect_malformed(body);
    }
}

TEST_CASE("unit: JSON that is not an object is invalid_request on the body", "[unit]") {
    for (const char* body :
         {"[]", "1", "\"s\"", "null", "true", "[{\"pan_number\":\"ABCDE1234F\"}]", " 0 "}) {
        INFO(body);
        const auto details = expect_invalid(body);
        REQUIRE(details.size() == 1);
        CHECK(details[0].field == "body");
    }
}

TEST_CASE("unit: nesting deeper than max_json_depth is malformed_json, never a crash", "[unit]") {
    for (std::size_t depth : {api::max_json_depth + 1, std::size_t{1000}, std::size_t{100'000}}) {
        INFO(depth);
        expect_malformed(body_with("\"x\":" + std::string(depth, '[') + std::string(depth, ']')));
        expect_malformed(std::string(depth, '['));
    }
    // Within the limit: valid JSON, merely an unknown field.
    const std::size_t ok_depth = api::max_json_depth - 2;
    expect_single_failure(body_with("\"x\":" + std::string(ok_depth, '[') + std::string(ok_depth, ']')), "x");
}

TEST_CASE("unit: very long strings, keys and numbers do not crash the parser", "[unit]") {
    const std::string long_text(60 * 1024, 'a');
    expect_single_failure(body_with("\"applicant_name\":\"" + long_text + "\""), "applicant_name");
    expect_single_failure(body_replacing("pan_number", "\"pan_number\":\"" + long_text + "\""), "pan_number");
    const auto details = expect_invalid(body_with("\"" + long_text + "\":1"));
    REQUIRE(details.size() == 1);
    CHECK(details[0].field.size() < 100);  // the echoed key is bounded
    expect_single_failure(
        body_replacing("monthly_income_inr", "\"monthly_income_inr\":" + std::string(60 * 1024, '9')),
        "monthly_income_inr");
    // Trailing zeros do not make a third decimal, however many; a far-away non-zero digit does.
    CHECK(expect_valid(body_replacing("monthly_income_inr",
                                      "\"monthly_income_inr\":\"1." + std::string(60 * 1024, '0') + "\""))
              .monthly_income.paise() == 100);
    CHECK(expect_single_failure(body_replacing("monthly_income_inr", "\"monthly_income_inr\":1." +
                                                                         std::string(60 * 1024, '0') + "1"),
                                "monthly_income_inr") == "must have at most 2 decimal places");
    // Many escapes split across the value.
    std::string escaped;
    for (int i = 0; i < 10'000; ++i) escaped += "\\u00e9";
    expect_single_failure(body_with("\"applicant_name\":\"" + escaped + "\""), "applicant_name");
}

TEST_CASE("unit: a valid body beyond the parser's limits is malformed_json with a truthful reason",
          "[unit]") {
    std::string many_members = R"({"pan_number":"ABCDE1234F")";
    for (int i = 0; i < 1000; ++i) many_members += ",\"k" + std::to_string(i) + "\":0";
    const auto too_many = api::parse_application_request(many_members + "}");
    REQUIRE(std::holds_alternative<api::malformed_json>(too_many));
    CHECK(std::get<api::malformed_json>(too_many).reason ==
          "a JSON object, array or string exceeds the size limit");

    const auto exponent = api::parse_application_request(body_with(R"("x":1e99999999999999999999)"));
    REQUIRE(std::holds_alternative<api::malformed_json>(exponent));
    CHECK(std::get<api::malformed_json>(exponent).reason == "a number's exponent is too large");

    const auto deep = api::parse_application_request(std::string(100, '['));
    REQUIRE(std::holds_alternative<api::malformed_json>(deep));
    CHECK(std::get<api::malformed_json>(deep).reason == "JSON nesting exceeds the maximum depth");

    const auto broken = api::parse_application_request("{\"a\":}");
    REQUIRE(std::holds_alternative<api::malformed_json>(broken));
    CHECK(std::get<api::malformed_json>(broken).reason == "body is not valid JSON");

    CHECK(std::get<api::malformed_json>(api::parse_application_request("")).reason ==
          "request body is empty");
}

TEST_CASE("unit: a long unknown key is a validation error echoed truncated", "[unit]") {
    const std::string key(2000, 'k');
    const auto details = expect_invalid(body_with("\"" + key + "\":1"));
    REQUIRE(details.size() == 1);
    CHECK(details[0].field == std::string(64, 'k') + "...");
    CHECK(details[0].issue == "is not a known field");
}

TEST_CASE("unit: the flat reader keeps number text and string contents exactly", "[unit]") {
    std::string error;
    const auto o = api::detail::read_flat_object(
        R"({"a":1.10,"b":"x\"y","c":-0,"d":[1,2],"e":{"f":1},"a":2})", 16, error);
    REQUIRE(o.has_value());
    CHECK(o->is_object);
    REQUIRE(o->members.size() == 5);
    CHECK(o->members[0].key == "a");
    CHECK(o->members[0].text == "1.10");
    CHECK(o->members[1].text == "x\"y");
    CHECK(o->members[1].kind == api::detail::json_kind::string);
    CHECK(o->members[2].text == "-0");
    CHECK(o->members[3].kind == api::detail::json_kind::array);
    CHECK(o->members[4].kind == api::detail::json_kind::object);
    CHECK(o->duplicate_keys == std::vector<std::string>{"a"});
}

TEST_CASE("unit: mask_pan shows only the last 4 characters", "[unit]") {
    CHECK(api::mask_pan("ABCDE1234F") == "XXXXXX234F");
    CHECK(api::mask_pan("FGHIJ5678K") == "XXXXXX678K");
    CHECK(api::mask_pan("ABCD") == "ABCD");
    CHECK(api::mask_pan("") == "");
}

TEST_CASE("unit: is_valid_pan follows the pattern exactly", "[unit]") {
    CHECK(api::is_valid_pan("ABCDE1234F"));
    CHECK(api::is_valid_pan("ZZZZZ9999Z"));
    CHECK(api::is_valid_pan("AAAAA0000A"));
    for (const char* pan :
         {"", "ABCDE1234", "ABCDE1234FF", "abcde1234f", "ABCDE1234f", "ABCD11234F", "ABCDEA234F",
          "ABCDE12345", "ABCDE 234F", "@BCDE1234F", "[BCDE1234F", "ABCDE/234F", "ABCDE:234F"}) {
        INFO(pan);
        CHECK_FALSE(api::is_valid_pan(pan));
    }
    CHECK_FALSE(api::is_valid_pan(std::string("ABCDE1234F\0", 11)));
}

TEST_CASE("unit: Idempotency-Key is 1-255 printable ASCII characters", "[unit]") {
    CHECK(api::is_valid_idempotency_key("a"));
    CHECK(api::is_valid_idempotency_key(std::string(255, 'k')));
    CHECK(api::is_valid_idempotency_key("3f1c0b9e-8a3e-4c55-9a43-2a8d2c1f9b70"));
    CHECK(api::is_valid_idempotency_key("with space ~!@#$%^&*()"));
    CHECK_FALSE(api::is_valid_idempotency_key(""));
    CHECK_FALSE(api::is_valid_idempotency_key(std::string(256, 'k')));
    for (const std::string& key : std::vector<std::string>{
             std::string("a\tb"), std::string("a\nb"), std::string("a\rb"), std::string("a\x7f"),
             std::string("\x01"), std::string("a\0b", 3), std::string("caf\xC3\xA9"), std::string("\x80")}) {
        CHECK_FALSE(api::is_valid_idempotency_key(key));
    }
}

TEST_CASE("unit: canonical_form is equal for the same meaning and differs for any change", "[unit]") {
    const auto base = expect_valid(
        R"({"pan_number":"ABCDE1234F","applicant_name":"Asha","monthly_income_inr":120000,"loan_amount_inr":500000,"loan_type":"HOME"})");
    const auto same = expect_valid(
        R"({ "loan_type":"HOME", "loan_amount_inr":"500000.00", "applicant_name":"  Asha ", "monthly_income_inr":"120000.00", "pan_number":"ABCDE1234F" })");
    const auto same2 = expect_valid(
        R"({"pan_number":"ABCDE1234F","applicant_name":"Asha","monthly_income_inr":1.2e5,"loan_amount_inr":500000.000,"loan_type":"HOME"})");
    CHECK(api::canonical_form(base) == api::canonical_form(same));
    CHECK(api::canonical_form(base) == api::canonical_form(same2));

    const auto minimal =
        expect_valid(R"({"pan_number":"ABCDE1234F","monthly_income_inr":1,"loan_amount_inr":2})");
    const auto minimal_nulls = expect_valid(
        R"({"pan_number":"ABCDE1234F","monthly_income_inr":1,"loan_amount_inr":2,"applicant_name":null,"loan_type":null})");
    CHECK(api::canonical_form(minimal) == api::canonical_form(minimal_nulls));

    auto differs = [&](auto change) {
        api::application_request r = base;
        change(r);
        return api::canonical_form(r) != api::canonical_form(base);
    };
    CHECK(differs([](auto& r) { r.pan_number = "ABCDE1234G"; }));
    CHECK(differs([](auto& r) { r.applicant_name = "Asha R"; }));
    CHECK(differs([](auto& r) { r.applicant_name.clear(); }));
    CHECK(differs([](auto& r) { r.monthly_income = money::from_paise(12'000'001); }));
    CHECK(differs([](auto& r) { r.loan_amount = money::from_paise(49'999'999); }));
    CHECK(differs([](auto& r) { r.loan_type = "AUTO"; }));
    CHECK(differs([](auto& r) { r.loan_type.clear(); }));
    // Income and loan swapped must not collide.
    CHECK(differs([](auto& r) { std::swap(r.monthly_income, r.loan_amount); }));
    // A name containing the separator cannot imitate other fields.
    api::application_request a = base, b = base;
    a.applicant_name = "Asha|120000.00";
    a.monthly_income = money::from_rupees(500'000);
    b.applicant_name = "Asha";
    b.monthly_income = money::from_rupees(120'000);
    b.loan_amount = money::from_rupees(500'000);
    CHECK(api::canonical_form(a) != api::canonical_form(b));
}
