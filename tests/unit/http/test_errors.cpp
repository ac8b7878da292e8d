// Unit tests for the contract error body builder.
#include <prequal/http/errors.hpp>

#include <boost/json/parse.hpp>
#include <boost/json/value.hpp>
#include <catch2/catch.hpp>

#include <regex>
#include <string>

using namespace prequal::http;

TEST_CASE("unit: http: make_error builds the contract body with details", "[unit][http]") {
    auto res =
        make_error(422, "VALIDATION_ERROR", "request body failed validation", "req-1", "/applications",
                   {{"pan_number", "must match ^[A-Z]{5}[0-9]{4}[A-Z]$"}, {"loan_amount_inr", "required"}});
    CHECK(res.status == 422);
    REQUIRE(find_header(res.headers, "content-type") != nullptr);
    CHECK(*find_header(res.headers, "content-type") == "application/json; charset=utf-8");

    auto body = boost::json::parse(res.body).as_object();
    CHECK(body.size() == 6);
    CHECK(body.at("error_code").as_string() == "VALIDATION_ERROR");
    CHECK(body.at("message").as_string() == "request body failed validation");
    CHECK(body.at("request_id").as_string() == "req-1");
    CHECK(body.at("path").as_string() == "/applications");
    const auto& details = body.at("details").as_array();
    REQUIRE(details.size() == 2);
    CHECK(details[0].as_object().at("field").as_string() == "pan_number");
    CHECK(details[0].as_object().at("issue").as_string() == "must match ^[A-Z]{5}[0-9]{4}[A-Z]$");
    CHECK(details[1].as_object().at("field").as_string() == "loan_amount_inr");
    const std::string ts(body.at("timestamp").as_string());
    CHECK(std::regex_match(ts, std::regex(R"(\d{4}-\d{2}-\d{2}T\d{2}:\d{2}:\d{2}\.\d{3}Z)")));
}

TEST_CASE("unit: http: make_error always has a details array", "[unit][http]") {
    auto res = make_error(404, "NOT_FOUND", "not here", "r", "/x");
    auto body = boost::json::parse(res.body).as_object();
    REQUIRE(body.at("details").is_array());
    CHECK(body.at("details").as_array().empty());
}

TEST_CASE("unit: http: make_error escapes and keeps the body valid JSON for hostile text", "[unit][http]") {
    auto res = make_error(404, "NOT_FOUND", "quote \" backslash \\ newline \n", "r", "/bad\xff\xc3(path");
    auto body = boost::json::parse(res.body).as_object();
    CHECK(body.at("message").as_string() == "quote \" backslash \\ newline \n");
    CHECK(body.at("path").as_string() == "/bad\xEF\xBF\xBD\xEF\xBF\xBD(path");
}
