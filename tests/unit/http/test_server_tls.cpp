// HTTPS (contract section 6, "TLS") on the server over loopback: TLS 1.2 and 1.3 only, no plaintext on the
// port, a handshake bounded by the first request's deadline, new credentials for new connections while
// established ones keep theirs, and certificate files that cannot be used refused with a message naming them.
#include "http_test_support.hpp"
#include "support/tls_client.hpp"
#include "support/tls_pki.hpp"

#include <prequal/http/tls_credentials.hpp>

#include <catch2/catch.hpp>
#include <openssl/ssl.h>

#include <chrono>
#include <fstream>
#include <string>
#include <thread>

using namespace prequal;
using namespace prequal::http;
using namespace prequal::http::test;
using namespace std::chrono_literals;
using prequal::test::test_pki;
using prequal::test::tls_client;

namespace {

template <class Pred>
bool eventually(Pred pred, std::chrono::milliseconds limit = 10s) {
    const auto deadline = std::chrono::steady_clock::now() + limit;
    while (std::chrono::steady_clock::now() < deadline) {
        if (pred()) return true;
        std::this_thread::sleep_for(5ms);
    }
    return pred();
}

server_options tls_options(const test_pki::issued& cert) {
    server_options o;
    o.tls = tls_credentials::load(cert.cert, cert.key);
    return o;
}

tls_client::options trusting(const test_pki& pki) {
    tls_client::options o;
    o.ca_file = pki.ca_cert();
    return o;
}

std::uint64_t handshake_failures(live_server& srv, const std::string& reason) {
    return srv.metrics().get_counter("http_tls_handshake_failures_total", "", {{"reason", reason}}).value();
}

std::string load_error(const std::filesystem::path& cert, const std::filesystem::path& key) {
    try {
        tls_credentials::load(cert, key);
    } catch (const tls_error& e) {
        return e.what();
    }
    return "(loaded)";
}

void write_file(const std::filesystem::path& path, const std::string& text) { std::ofstream(path) << text; }

}  // namespace

TEST_CASE("unit: http: tls: a verified HTTPS client is answered on one keep-alive connection",
          "[unit][http]") {
    test_pki pki;
    const auto cert = pki.issue("server", "prequal.test");
    const auto router = basic_router();
    live_server srv(tls_options(cert), dispatch_to(router));

    tls_client client(srv.port(), trusting(pki));
    REQUIRE(client.connect());
    CHECK(client.peer_serial() == cert.serial);
    std::string body;
    CHECK(client.get("/hello", &body) == 200);
    CHECK(body == R"({"hello":"world"})");
    CHECK(client.request("POST", "/echo", R"({"a":1})", &body) == 200);
    CHECK(body == R"({"a":1})");
    CHECK(client.get("/hello") == 200);  // still the same connection
    CHECK(srv.metrics().render().find("http_tls_certificate_expiry_timestamp_seconds ") != std::string::npos);
}

TEST_CASE("unit: http: tls: TLS 1.2 and 1.3 are accepted, TLS 1.0 and 1.1 refused", "[unit][http]") {
    test_pki pki;
    const auto router = basic_router();
    live_server srv(tls_options(pki.issue("server", "prequal.test")), dispatch_to(router));

    for (const auto& [version, name] :
         {std::pair{TLS1_2_VERSION, "TLSv1.2"}, std::pair{TLS1_3_VERSION, "TLSv1.3"}}) {
        auto opts = trusting(pki);
        opts.min_version = opts.max_version = version;
        tls_client client(srv.port(), opts);
        INFO(name);
        REQUIRE(client.connect());
        CHECK(client.protocol() == name);
        CHECK(client.get("/hello") == 200);
    }
    for (const int version : {TLS1_VERSION, TLS1_1_VERSION}) {
        auto opts = trusting(pki);
        opts.min_version = opts.max_version = version;
        opts.allow_legacy = true;  // else the client itself would refuse to offer it
        tls_client client(srv.port(), opts);
        INFO("version " << version);
        CHECK_FALSE(client.connect());
    }
    CHECK(eventually([&] { return handshake_failures(srv, "protocol") == 2; }));
}

TEST_CASE("unit: http: tls: plaintext HTTP on the HTTPS port gets the connection closed, and HTTPS goes on",
          "[unit][http]") {
    test_pki pki;
    const auto router = basic_router();
    live_server srv(tls_options(pki.issue("server", "prequal.test")), dispatch_to(router));

    raw_client plain(srv.port());
    REQUIRE(plain.send(get_request("/hello")));
    std::string received;
    CHECK(plain.wait_closed(&received));
    CHECK(received.empty());  // not even an HTTP error in clear
    CHECK(eventually([&] { return handshake_failures(srv, "not_tls") == 1; }));

    tls_client client(srv.port(), trusting(pki));
    REQUIRE(client.connect());
    CHECK(client.get("/hello") == 200);
}

TEST_CASE("unit: http: tls: a client that sends nothing or half a handshake is closed at the read timeout",
          "[unit][http]") {
    test_pki pki;
    auto opts = tls_options(pki.issue("server", "prequal.test"));
    opts.read_timeout = 300ms;
    const auto router = basic_router();
    live_server srv(opts, dispatch_to(router));

    raw_client silent(srv.port());
    raw_client partial(srv.port());
    // The start of a TLS record header announcing a ClientHello that never comes in full.
    REQUIRE(partial.send(std::string("\x16\x03\x01\x00\x80\x01\x00\x00\x7c\x03\x03", 11)));
    const auto started = std::chrono::steady_clock::now();
    CHECK(silent.wait_closed());
    CHECK(partial.wait_closed());
    CHECK(std::chrono::steady_clock::now() - started < 3s);
    CHECK(eventually([&] { return handshake_failures(srv, "timeout") == 2; }));
    // The connection count drops when the session ends, just after the client saw the close.
    CHECK(eventually([&] { return srv.http_server().active_connections() == 0; }));
}

TEST_CASE(
    "unit: http: tls: new credentials reach new connections while an established connection keeps its own",
    "[unit][http]") {
    test_pki pki;
    const auto first = pki.issue("first", "first.prequal.test");
    const auto second = pki.issue("second", "second.prequal.test");
    const auto router = basic_router();
    live_server srv(tls_options(first), dispatch_to(router));

    tls_client old_connection(srv.port(), trusting(pki));
    REQUIRE(old_connection.connect());
    REQUIRE(old_connection.get("/hello") == 200);
    CHECK(old_connection.peer_serial() == first.serial);

    srv.http_server().set_tls(tls_credentials::load(second.cert, second.key));
    CHECK(eventually([&] {
        tls_client fresh(srv.port(), trusting(pki));
        return fresh.connect() && fresh.peer_serial() == second.serial && fresh.get("/hello") == 200;
    }));
    CHECK(old_connection.get("/hello") == 200);
    CHECK(old_connection.get("/hello") == 200);
}

TEST_CASE("unit: http: tls: at the connection cap an idle HTTPS connection is shed to admit a new one",
          "[unit][http]") {
    test_pki pki;
    auto opts = tls_options(pki.issue("server", "prequal.test"));
    opts.max_connections = 2;
    const auto router = basic_router();
    live_server srv(opts, dispatch_to(router));

    tls_client oldest(srv.port(), trusting(pki));
    REQUIRE(oldest.connect());
    REQUIRE(oldest.get("/hello") == 200);
    tls_client newer(srv.port(), trusting(pki));
    REQUIRE(newer.connect());
    REQUIRE(newer.get("/hello") == 200);
    tls_client fresh(srv.port(), trusting(pki));
    REQUIRE(fresh.connect());
    CHECK(fresh.get("/hello") == 200);
    CHECK(eventually(
        [&] { return srv.metrics().get_counter("http_connections_shed_total", "").value() == 1; }));
    CHECK(oldest.get("/hello") == 0);  // the longest idle was closed
    CHECK(newer.get("/hello") == 200);
}

TEST_CASE("unit: http: tls: set_tls on a plaintext server is refused", "[unit][http]") {
    test_pki pki;
    const auto cert = pki.issue("server", "prequal.test");
    const auto router = basic_router();
    live_server srv(server_options{}, dispatch_to(router));
    CHECK_THROWS_AS(srv.http_server().set_tls(tls_credentials::load(cert.cert, cert.key)), std::logic_error);
}

TEST_CASE("unit: http: tls: unusable certificate or key files are refused with a message naming them",
          "[unit][http]") {
    test_pki pki;
    const auto good = pki.issue("good", "prequal.test");
    const auto other = pki.issue("other", "other.prequal.test");
    const auto dir = pki.dir();

    auto loaded = tls_credentials::load(good.cert, good.key);
    CHECK(loaded->serial() == good.serial);
    CHECK(loaded->subject() == "CN=prequal.test");
    CHECK(loaded->not_after() > std::chrono::system_clock::now() + std::chrono::hours(24 * 29));

    const auto missing = dir / "missing.crt";
    auto message = load_error(missing, good.key);
    CHECK_THAT(message, Catch::Contains(missing.string()) && Catch::Contains("No such file"));

    write_file(dir / "garbage.crt", "not a certificate\n");
    message = load_error(dir / "garbage.crt", good.key);
    CHECK_THAT(message, Catch::Contains((dir / "garbage.crt").string()));

    write_file(dir / "empty.key", "");
    message = load_error(good.cert, dir / "empty.key");
    CHECK_THAT(message, Catch::Contains((dir / "empty.key").string()) && Catch::Contains("empty"));

    write_file(dir / "garbage.key", "-----BEGIN PRIVATE KEY-----\nAAAA\n-----END PRIVATE KEY-----\n");
    message = load_error(good.cert, dir / "garbage.key");
    CHECK_THAT(message, Catch::Contains((dir / "garbage.key").string()));

    message = load_error(good.cert, other.key);  // a real key, but another certificate's
    CHECK_THAT(message, Catch::Contains(other.key.string()) && Catch::Contains("does not belong"));

    // An encrypted key must fail at once, not wait for a passphrase on the terminal.
    const auto encrypted = dir / "encrypted.key";
    REQUIRE(prequal::test::run_shell("openssl pkey -in " + prequal::test::shell_quote(good.key.string()) +
                                     " -aes256 -passout pass:secret -out " +
                                     prequal::test::shell_quote(encrypted.string()))
                .status == 0);
    message = load_error(good.cert, encrypted);
    CHECK_THAT(message, Catch::Contains(encrypted.string()) && Catch::Contains("encrypted"));
}
