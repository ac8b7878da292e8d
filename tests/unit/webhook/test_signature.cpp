// signature_header: the Prequal-Signature format, checked against OpenSSL's command line as the independent
// implementation a receiver might use.
#include "support/tls_pki.hpp"

#include <prequal/webhook/signature.hpp>

#include <catch2/catch.hpp>

#include <string>
#include <vector>

using prequal::test::run_shell;
using prequal::test::shell_quote;
using prequal::webhook::signature_header;

namespace {

// HMAC-SHA256 by `openssl dgst`, lowercase hex.
std::string openssl_hmac(const std::string& key, const std::string& message) {
    const auto r = run_shell("printf '%s' " + shell_quote(message) + " | openssl dgst -sha256 -hmac " +
                             shell_quote(key));
    REQUIRE(r.status == 0);
    const auto at = r.output.rfind("= ");
    REQUIRE(at != std::string::npos);
    auto hex = r.output.substr(at + 2);
    while (!hex.empty() && (hex.back() == '\n' || hex.back() == '\r')) hex.pop_back();
    REQUIRE(hex.size() == 64);
    return hex;
}

}  // namespace

TEST_CASE("unit: webhook: signature_header signs \"<t>.<body>\" once per secret, as openssl computes it",
          "[unit][webhook][pure]") {
    const std::string body = R"({"event_id":"0b7c","status":"PRE_APPROVED","name":"Zoë \"Q\""})";
    const std::vector<std::string> secrets{"whsec_3c0ffee", "older secret with spaces & 'quotes'"};
    const auto header = signature_header(1764806400, body, secrets);
    const auto payload = "1764806400." + body;
    CHECK(header == "t=1764806400,v1=" + openssl_hmac(secrets[0], payload) +
                        ",v1=" + openssl_hmac(secrets[1], payload));
}

TEST_CASE("unit: webhook: signature_header depends on the time, the body and the secret",
          "[unit][webhook][pure]") {
    const std::vector<std::string> one{"s1"};
    CHECK(signature_header(1, "{}", one) != signature_header(2, "{}", one));
    CHECK(signature_header(1, "{}", one) != signature_header(1, "{ }", one));
    const std::vector<std::string> other{"s2"};
    CHECK(signature_header(1, "{}", one) != signature_header(1, "{}", other));
    CHECK(signature_header(7, "{}", {}) == "t=7");
    CHECK(signature_header(-1, "", one).rfind("t=-1,v1=", 0) == 0);
}
