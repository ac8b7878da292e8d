// resolve_checked: every resolved address is checked against the SSRF rule, names and IP literals alike.
#include "support/run_coro.hpp"

#include <prequal/webhook/destination.hpp>

#include <boost/asio/this_coro.hpp>
#include <catch2/catch.hpp>

#include <string>
#include <variant>
#include <vector>

using namespace prequal::webhook;
using prequal::test::run_coro;
using endpoints = std::vector<boost::asio::ip::tcp::endpoint>;

namespace {

std::variant<endpoints, std::string> resolve(const std::string& text, destination_rules rules) {
    auto parsed = parse_url(text, rules);
    REQUIRE(std::holds_alternative<url>(parsed));
    const auto destination = std::get<url>(parsed);
    return run_coro([&]() { return resolve_checked(destination, rules); });
}

}  // namespace

TEST_CASE("unit: webhook: resolve_checked refuses localhost unless private destinations are allowed",
          "[unit][webhook]") {
    const auto refused = resolve("https://localhost:8443/h", {});
    REQUIRE(std::holds_alternative<std::string>(refused));
    const auto& sentence = std::get<std::string>(refused);
    CHECK(sentence.rfind("webhook host localhost resolves to ", 0) == 0);
    CHECK(sentence.find("a loopback address; refused (serve --webhook-allow-private permits it)") !=
          std::string::npos);

    const auto allowed = resolve("https://localhost:8443/h", destination_rules{true});
    REQUIRE(std::holds_alternative<endpoints>(allowed));
    const auto& list = std::get<endpoints>(allowed);
    REQUIRE(!list.empty());
    for (const auto& ep : list) {
        CHECK(ep.address().is_loopback());
        CHECK(ep.port() == 8443);
    }
}

TEST_CASE("unit: webhook: resolve_checked refuses an IP literal of a private address unless allowed",
          "[unit][webhook]") {
    const auto refused = resolve("https://127.0.0.1/h", {});
    REQUIRE(std::holds_alternative<std::string>(refused));
    CHECK(std::get<std::string>(refused) ==
          "webhook host 127.0.0.1 is a loopback address; refused (serve --webhook-allow-private permits it)");
    const auto v6 = resolve("https://[::ffff:10.0.0.5]/h", {});
    REQUIRE(std::holds_alternative<std::string>(v6));
    CHECK(std::get<std::string>(v6) ==
          "webhook host ::ffff:10.0.0.5 is a private address; refused (serve --webhook-allow-private permits "
          "it)");

    const auto allowed = resolve("https://127.0.0.1/h", destination_rules{true});
    REQUIRE(std::holds_alternative<endpoints>(allowed));
    CHECK(std::get<endpoints>(allowed) ==
          endpoints{boost::asio::ip::tcp::endpoint(boost::asio::ip::make_address("127.0.0.1"), 443)});

    // A public literal needs no DNS and passes the rule.
    const auto public_literal = resolve("https://192.88.100.1:444/h", {});
    REQUIRE(std::holds_alternative<endpoints>(public_literal));
    CHECK(std::get<endpoints>(public_literal).size() == 1);
}

TEST_CASE("unit: webhook: resolve_checked refuses http without allow_private even for a resolved URL",
          "[unit][webhook]") {
    url destination;
    destination.scheme = "http";
    destination.host = "192.88.100.1";
    destination.port = 80;
    const auto r = run_coro([&]() { return resolve_checked(destination, destination_rules{}); });
    REQUIRE(std::holds_alternative<std::string>(r));
    CHECK(std::get<std::string>(r) ==
          "webhook URL must use https (got http); --webhook-allow-private permits http");
}
