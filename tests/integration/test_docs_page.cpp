// GET /docs in a real browser: headless Chromium loads the page with every other origin unreachable (names
// resolve nowhere, other addresses go to a dead proxy), so the page can only work if prequal serves all of
// it; it must list both operations of the API.
#include "http_client.hpp"
#include "service_fixture.hpp"
#include "support/tls_pki.hpp"

#include <catch2/catch.hpp>

#include <filesystem>
#include <string>

using namespace prequal::test;

TEST_CASE("integration: /docs renders the API description in headless Chromium with no network but prequal",
          "[integration][pg][docs]") {
    service_fixture f;
    const std::string base = "http://127.0.0.1:" + std::to_string(f.port());

    const auto page = http_request(f.port(), "GET", "/docs");
    REQUIRE(page.status == 200);
    CHECK(page.header("content-type") == "text/html; charset=utf-8");
    CHECK(page.header("content-security-policy").find("default-src 'none'") != std::string::npos);
    CHECK(page.body.find("http://") == std::string::npos);  // every reference is relative: prequal's own
    CHECK(page.body.find("https://") == std::string::npos);
    const auto script = http_request(f.port(), "GET", "/docs/redoc.standalone.js");
    REQUIRE(script.status == 200);
    CHECK(script.header("content-type") == "text/javascript; charset=utf-8");
    CHECK(script.body.size() > 100000);

    REQUIRE(run_shell("command -v chromium").status == 0);  // scripts/test installs it
    const auto profile =
        std::filesystem::temp_directory_path() / ("prequal-chromium-" + std::to_string(f.port()));
    const auto dom = run_shell(
        "chromium --headless --no-sandbox --disable-gpu --no-first-run --user-data-dir=" +
        shell_quote(profile.string()) +
        " --host-resolver-rules='MAP * ~NOTFOUND , EXCLUDE 127.0.0.1' --proxy-server=http://127.0.0.1:9"
        " --proxy-bypass-list='127.0.0.1' --virtual-time-budget=20000 --dump-dom " +
        shell_quote(base + "/docs") + " 2>/dev/null");
    std::filesystem::remove_all(profile);
    INFO(dom.output.substr(0, 2000));
    REQUIRE(dom.status == 0);
    // Rendered by Redoc from /openapi.json (the raw page has neither summary).
    CHECK(dom.output.find("Submit a loan application for prequalification") != std::string::npos);
    const bool lists_status =
        dom.output.find("Read an application&#39;s status and decision") != std::string::npos ||
        dom.output.find("Read an application's status and decision") != std::string::npos;
    CHECK(lists_status);
    CHECK(page.body.find("Submit a loan application") == std::string::npos);
}
