// parse_url: what a webhook destination may look like, and the sentence an operator gets for each refusal.
#include <prequal/webhook/destination.hpp>

#include <catch2/catch.hpp>

#include <string>
#include <variant>

using prequal::webhook::destination_rules;
using prequal::webhook::parse_url;
using prequal::webhook::url;

namespace {

const destination_rules strict{};
const destination_rules private_ok{true};

url parsed(const std::string& text, const destination_rules& rules = strict) {
    auto r = parse_url(text, rules);
    if (const auto* error = std::get_if<std::string>(&r)) FAIL("refused " << text << ": " << *error);
    return std::get<url>(r);
}

std::string refusal(const std::string& text, const destination_rules& rules = strict) {
    auto r = parse_url(text, rules);
    if (std::holds_alternative<url>(r)) return "(accepted)";
    return std::get<std::string>(r);
}

}  // namespace

TEST_CASE("unit: webhook: parse_url splits an https URL into scheme, host, port and target",
          "[unit][webhook][pure]") {
    const auto u = parsed("https://Hooks.Example.com/prequal/in?x=1&y=%20");
    CHECK(u.scheme == "https");
    CHECK(u.host == "hooks.example.com");
    CHECK(u.port == 443);
    CHECK(u.target == "/prequal/in?x=1&y=%20");
    CHECK(u.text == "https://Hooks.Example.com/prequal/in?x=1&y=%20");

    const auto bare = parsed("HTTPS://example.com");
    CHECK(bare.scheme == "https");
    CHECK(bare.target == "/");
    CHECK(parsed("https://example.com?a=b").target == "/?a=b");
    CHECK(parsed("https://example.com:8443/x").port == 8443);
    CHECK(parsed("https://example.com./x").host == "example.com");

    const auto v6 = parsed("https://[2001:DB8::1]:9443/h");
    CHECK(v6.host == "2001:db8::1");
    CHECK(v6.port == 9443);
    const auto v4 = parsed("https://192.0.2.10/h");
    CHECK(v4.host == "192.0.2.10");
}

TEST_CASE("unit: webhook: parse_url refuses http unless --webhook-allow-private", "[unit][webhook][pure]") {
    CHECK(refusal("http://example.com/h") ==
          "webhook URL must use https (got http); --webhook-allow-private permits http");
    const auto u = parsed("http://127.0.0.1:8080/h", private_ok);
    CHECK(u.scheme == "http");
    CHECK(u.port == 8080);
    CHECK(parsed("http://localhost/h", private_ok).port == 80);
}

TEST_CASE("unit: webhook: parse_url refuses each malformed URL with its own sentence",
          "[unit][webhook][pure]") {
    CHECK(refusal("") == "webhook URL is empty");
    CHECK(refusal("/relative/path") ==
          "webhook URL must be absolute, like https://hooks.example.com/prequal");
    CHECK(refusal("example.com/h") == "webhook URL must be absolute, like https://hooks.example.com/prequal");
    CHECK(refusal("ftp://example.com/h") == "webhook URL must use https (got ftp)");
    CHECK(refusal("file:///etc/passwd") == "webhook URL must use https (got file)");
    CHECK(refusal("https:///h") == "webhook URL has no host, like https://hooks.example.com/prequal");
    CHECK(refusal("https://:443/h") == "webhook URL has no host, like https://hooks.example.com/prequal");
    CHECK(refusal("https://user:pw@example.com/h").find("must not contain a user name or password") !=
          std::string::npos);
    CHECK(refusal("https://example.com@10.0.0.1/h").find("must not contain a user name or password") !=
          std::string::npos);
    CHECK(refusal("https://example.com:0/h") ==
          R"(webhook URL port must be a number from 1 to 65535 (got "0"))");
    CHECK(refusal("https://example.com:65536/h") ==
          R"(webhook URL port must be a number from 1 to 65535 (got "65536"))");
    CHECK(refusal("https://example.com:https/h") ==
          R"(webhook URL port must be a number from 1 to 65535 (got "https"))");
    CHECK(refusal("https://example.com:/h") ==
          R"(webhook URL port must be a number from 1 to 65535 (got ""))");
    CHECK(refusal("https://example.com:+443/h") ==
          R"(webhook URL port must be a number from 1 to 65535 (got "+443"))");
    CHECK(refusal(" https://example.com/h").find("must not contain spaces") != std::string::npos);
    CHECK(refusal("https://example.com/a b").find("must not contain spaces") != std::string::npos);
    CHECK(refusal("https://example.com/h\n").find("must not contain spaces") != std::string::npos);
    CHECK(refusal("https://exämple.com/h").find("xn--") != std::string::npos);
    CHECK(refusal("https://example.com/h#part") ==
          "webhook URL must not have a fragment (#...): it is never sent to the receiver");
    CHECK(refusal("https://" + std::string(2048, 'a')) == "webhook URL is longer than 2048 characters");
}

TEST_CASE("unit: webhook: parse_url refuses host names that are not plain DNS names or dotted quads",
          "[unit][webhook][pure]") {
    // Numeric shorthands the resolver would read as 127.0.0.1.
    CHECK(refusal("https://127.1/h").find("is not a valid IPv4 address") != std::string::npos);
    CHECK(refusal("https://2130706433/h").find("is not a valid IPv4 address") != std::string::npos);
    CHECK(refusal("https://0x7f.1/h").find("is not a valid IPv4 address") != std::string::npos);
    CHECK(refusal("https://010.0.0.1/h").find("is not a valid IPv4 address") != std::string::npos);
    CHECK(refusal("https://exa_mple.com/h").find("only letters, digits, hyphens and dots") !=
          std::string::npos);
    CHECK(refusal("https://-example.com/h").find("starting or ending with a hyphen") != std::string::npos);
    CHECK(refusal("https://example..com/h").find("empty label") != std::string::npos);
    CHECK(refusal("https://" + std::string(64, 'a') + ".com/h").find("longer than 63") != std::string::npos);
    CHECK(refusal("https://[::1/h") == "webhook URL has an unclosed [ in its host");
    CHECK(refusal("https://[fe80::1%25eth0]/h") ==
          "webhook URL host [fe80::1%25eth0] is not an IPv6 address");
    CHECK(refusal("https://[example.com]/h") == "webhook URL host [example.com] is not an IPv6 address");
    CHECK(refusal("https://[::1]x/h") == "webhook URL has characters after its [IPv6] host");
    // Digits in a name are fine as long as the last label is not numeric.
    CHECK(parsed("https://1.2.3.example/h").host == "1.2.3.example");
    CHECK(parsed("https://0xcafe.example/h").host == "0xcafe.example");
}
