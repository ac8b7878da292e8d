// /openapi.json is as strict as the service (contract section 9): for every constraint of the request schema,
// values just inside and just outside it are sent, and the service answers 202 exactly when the document
// accepts the value. The document's patterns are evaluated by JavaScript's RegExp (Node.js), the engine of
// the validators integrators use (e.g. Prism), not by our code.
#include "http_client.hpp"
#include "service_fixture.hpp"
#include "support/tls_pki.hpp"

#include <boost/json/parse.hpp>
#include <boost/json/serialize.hpp>
#include <boost/json/value.hpp>
#include <catch2/catch.hpp>

#include <algorithm>
#include <cstdint>
#include <filesystem>
#include <fstream>
#include <string>
#include <tuple>
#include <vector>

using namespace prequal::test;
namespace json = boost::json;

namespace {

// For each (pattern, candidate): does the document's pattern accept it? One Node.js process for all.
std::vector<bool> js_pattern_verdicts(const std::vector<std::pair<std::string, std::string>>& cases) {
    json::array input;
    for (const auto& [pattern, text] : cases)
        input.push_back(json::array{json::string(pattern), json::string(text)});
    const auto file = std::filesystem::temp_directory_path() / "prequal-openapi-patterns.json";
    std::ofstream(file) << json::serialize(input);
    const auto run = run_shell(
        "node -e 'const c = JSON.parse(require(\"fs\").readFileSync(process.argv[1], \"utf8\"));"
        " console.log(JSON.stringify(c.map(([p, s]) => new RegExp(p, \"u\").test(s))))' " +
        shell_quote(file.string()));
    std::filesystem::remove(file);
    INFO(run.output);
    REQUIRE(run.status == 0);
    std::vector<bool> out;
    const auto parsed = json::parse(run.output);  // named: the loop would dangle over a temporary's array
    for (const auto& v : parsed.as_array()) out.push_back(v.as_bool());
    REQUIRE(out.size() == cases.size());
    return out;
}

}  // namespace

TEST_CASE(
    "integration: every constraint of /openapi.json's request schema holds at its boundaries (202 just "
    "inside, "
    "422 just outside)",
    "[integration][pg][openapi]") {
    REQUIRE(run_shell("command -v node").status == 0);  // scripts/test installs it (npm)
    service_fixture f;
    const auto doc = json::parse(http_request(f.port(), "GET", "/openapi.json").body);
    const auto& props =
        doc.at("components").at("schemas").at("ApplicationRequest").at("properties").as_object();

    // Sends the base application with `field` set to the raw JSON `value` (or removed when empty).
    auto status_with = [&](const std::string& field, const std::string& raw_value) {
        json::object body{{"pan_number", unique_pan()},
                          {"applicant_name", "Asha Verma"},
                          {"monthly_income_inr", "50000.00"},
                          {"loan_amount_inr", "100000.00"},
                          {"loan_type", "PERSONAL"}};
        body.erase(field);
        std::string text = json::serialize(body);
        text.insert(1, "\"" + field + "\":" + raw_value + ",");
        return post_json(f.port(), "/applications", text).status;
    };
    auto expect = [&](const std::string& field, const std::string& raw_value, bool accepted) {
        INFO(field << " = " << raw_value);
        CHECK(status_with(field, raw_value) == (accepted ? 202 : 422));
    };

    // Patterns: PAN, money strings, names (the candidates straddle each pattern's edges).
    const std::string pan_pattern{props.at("pan_number").at("pattern").as_string()};
    const auto money_pattern = [&](const char* field) {
        for (const auto& alt : props.at(field).at("oneOf").as_array())
            if (alt.at("type") == "string") return std::string(alt.at("pattern").as_string());
        FAIL("no string form for " << field);
        return std::string{};
    };
    const std::string name_pattern{props.at("applicant_name").at("pattern").as_string()};
    std::vector<std::tuple<std::string, std::string, std::string>> cases;  // field, pattern, candidate
    for (const char* pan :
         {"ABCDE1234", "ABCDE12345", "abcde1234f", "ABCD11234F", "ABCDE1234F ", "ABCDE1234\u00c9"})
        cases.emplace_back("pan_number", pan_pattern, pan);
    for (const char* field : {"monthly_income_inr", "loan_amount_inr"})
        for (const char* m : {"0", "0.00", "0.01", "-0.01", "100000000", "100000000.00", "100000000.01",
                              "99999999.99", "1.234", "1.", ".5", "01", "1e3x", " 5", "5 "})
            cases.emplace_back(field, money_pattern(field), m);
    const std::string n255(255, 'n');
    for (const std::string& name :
         {std::string("A"), n255, n255 + "n", "  " + n255 + "  ", std::string(""), std::string("   "),
          std::string("a\x01z"), std::string("a\x7fz"), std::string("a\xc2\x85z"), std::string("Asha\tVerma"),
          std::string("\xe0\xa4\x86\xe0\xa4\xb6\xe0\xa4\xbe")})
        cases.emplace_back("applicant_name", name_pattern, name);
    std::vector<std::pair<std::string, std::string>> pattern_cases;
    for (const auto& [field, pattern, text] : cases) pattern_cases.emplace_back(pattern, text);
    const auto verdicts = js_pattern_verdicts(pattern_cases);
    int accepted = 0;
    int refused = 0;
    for (std::size_t i = 0; i < cases.size(); ++i) {
        const auto& [field, pattern, text] = cases[i];
        expect(field, json::serialize(json::string(text)), verdicts[i]);
        (verdicts[i] ? accepted : refused) += 1;
    }
    CHECK(accepted >= 10);  // the candidates really straddle the edges
    CHECK(refused >= 20);

    // Number bounds of the money fields, read from the document.
    for (const char* field : {"monthly_income_inr", "loan_amount_inr"}) {
        for (const auto& alt : props.at(field).at("oneOf").as_array()) {
            if (alt.at("type") != "number") continue;
            const auto& o = alt.as_object();
            const double min = o.at("minimum").to_number<double>();
            const double max = o.at("maximum").to_number<double>();
            const bool exclusive = o.contains("exclusiveMinimum") && o.at("exclusiveMinimum").as_bool();
            auto num = [](double v) { return json::serialize(json::value(v)); };
            expect(field, num(min), !exclusive);
            expect(field, num(min + 0.01), true);
            expect(field, num(min - 0.01), false);
            expect(field, num(max), true);
            expect(field, num(max + 0.01), false);
        }
    }
    // Enumerations, nullability, required fields, unknown fields.
    for (const auto& v : props.at("loan_type").at("enum").as_array())
        expect("loan_type", json::serialize(v), true);
    expect("loan_type", "\"BOAT\"", false);
    expect("applicant_name", "null", props.at("applicant_name").at("nullable").as_bool());
    expect("applicant_name", "42", false);
    for (const auto& r :
         doc.at("components").at("schemas").at("ApplicationRequest").at("required").as_array()) {
        const std::string field{r.as_string()};
        expect(field, "null", false);
    }
    expect("surprise", "1", false);  // additionalProperties: false

    // The consent object (section 8): each text member's length bounds (in characters) and pattern, its
    // date-time, its required members, null and unknown members, all read from the document.
    REQUIRE(props.at("consent").at("$ref") == "#/components/schemas/Consent");
    const auto& consent_schema = doc.at("components").at("schemas").at("Consent").as_object();
    CHECK(consent_schema.at("additionalProperties") == false);
    const auto& consent_props = consent_schema.at("properties").as_object();
    const json::object base_consent{{"purpose", "credit"},
                                    {"given_at", "2024-12-01T10:00:00Z"},
                                    {"text_version", "v1"},
                                    {"channel", "web"}};
    auto consent_expect = [&](const json::value& consent, bool accepted) {
        json::object body{{"pan_number", unique_pan()},
                          {"monthly_income_inr", "50000.00"},
                          {"loan_amount_inr", "100000.00"},
                          {"consent", consent}};
        INFO("consent = " << json::serialize(consent));
        CHECK(post_json(f.port(), "/applications", json::serialize(body)).status == (accepted ? 202 : 422));
    };
    auto code_points = [](const std::string& s) {
        return static_cast<std::int64_t>(std::count_if(
            s.begin(), s.end(), [](char c) { return (static_cast<unsigned char>(c) & 0xC0) != 0x80; }));
    };
    std::vector<std::tuple<std::string, std::string, bool>> consent_cases;  // member, value, length allows it
    std::vector<std::pair<std::string, std::string>> consent_patterns;
    for (const char* member : {"purpose", "text_version", "channel"}) {
        const auto& m = consent_props.at(member).as_object();
        const std::int64_t min = m.at("minLength").to_number<std::int64_t>();
        const std::int64_t max = m.at("maxLength").to_number<std::int64_t>();
        const std::string pattern{m.at("pattern").as_string()};
        std::string wide_max;  // max characters of three bytes each
        for (std::int64_t i = 0; i < max; ++i) wide_max += "\xe0\xa4\x85";
        for (const std::string& v :
             {std::string(static_cast<std::size_t>(min), 'a'),
              std::string(static_cast<std::size_t>(min) - 1, 'a'),
              std::string(static_cast<std::size_t>(max), 'a'),
              std::string(static_cast<std::size_t>(max) + 1, 'a'), wide_max, wide_max + "\xe0\xa4\x85",
              std::string("a\x01z"), std::string("a\x7fz"), std::string("a\xc2\x85z"), std::string("a\tb"),
              std::string(" padded "), std::string("v3.1-web")}) {
            const std::int64_t n = code_points(v);
            consent_cases.emplace_back(member, v, n >= min && n <= max);
            consent_patterns.emplace_back(pattern, v);
        }
    }
    const auto consent_verdicts = js_pattern_verdicts(consent_patterns);
    int consent_accepted = 0;
    for (std::size_t i = 0; i < consent_cases.size(); ++i) {
        const auto& [member, value, length_ok] = consent_cases[i];
        json::object c = base_consent;
        c[member] = value;
        const bool accepted = length_ok && consent_verdicts[i];
        consent_expect(c, accepted);
        consent_accepted += accepted ? 1 : 0;
    }
    CHECK(consent_accepted >= 9);
    CHECK(consent_cases.size() - static_cast<std::size_t>(consent_accepted) >= 18);
    CHECK(consent_props.at("given_at").at("format") == "date-time");
    for (const char* ok : {"2024-12-01T10:00:00Z", "2024-12-01T15:30:00.5+05:30", "2024-12-01t10:00:00z"}) {
        json::object c = base_consent;
        c["given_at"] = ok;
        consent_expect(c, true);
    }
    for (const char* bad :
         {"2024-12-01", "2024-12-01T10:00:00", "2024-12-01T10:00Z", "2024-13-01T10:00:00Z"}) {
        json::object c = base_consent;
        c["given_at"] = bad;
        consent_expect(c, false);
    }
    for (const auto& r : consent_schema.at("required").as_array()) {
        json::object c = base_consent;
        c.erase(r.as_string());
        consent_expect(c, false);
    }
    for (const auto& kv : consent_props) {
        CHECK_FALSE(kv.value().as_object().contains("nullable"));
        json::object c = base_consent;
        c[kv.key()] = nullptr;
        consent_expect(c, false);
    }
    json::object unknown = base_consent;
    unknown["surprise"] = 1;
    consent_expect(unknown, false);
    consent_expect(nullptr, false);
    consent_expect(base_consent, true);
}
