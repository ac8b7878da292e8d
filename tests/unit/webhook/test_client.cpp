// client::post against receivers on 127.0.0.1 (real sockets): each way an attempt can end, the deadline, the
// response body cap, TLS verification against the trust store given by SSL_CERT_FILE, and refusals that
// must not even connect.
#include "receiver.hpp"
#include "support/run_coro.hpp"
#include "support/tls_pki.hpp"

#include <prequal/webhook/client.hpp>

#include <boost/asio/io_context.hpp>
#include <boost/asio/ip/tcp.hpp>
#include <boost/asio/this_coro.hpp>
#include <catch2/catch.hpp>

#include <chrono>
#include <cstdlib>
#include <optional>
#include <string>
#include <thread>
#include <utility>
#include <vector>

using namespace prequal::webhook;
using namespace std::chrono_literals;
using prequal::test::run_coro;
using prequal::test::test_pki;
using prequal::webhook::test::receiver;

namespace {

// SSL_CERT_FILE for the lifetime of a test: the client's "system" trust store is then the test CA.
class trust_store {
public:
    explicit trust_store(const std::filesystem::path& ca) {
        if (const char* old = std::getenv("SSL_CERT_FILE")) previous_ = old;
        ::setenv("SSL_CERT_FILE", ca.c_str(), 1);
    }
    ~trust_store() {
        if (previous_) {
            ::setenv("SSL_CERT_FILE", previous_->c_str(), 1);
        } else {
            ::unsetenv("SSL_CERT_FILE");
        }
    }
    trust_store(const trust_store&) = delete;
    trust_store& operator=(const trust_store&) = delete;

private:
    std::optional<std::string> previous_;
};

url destination(const std::string& scheme, std::uint16_t port, const std::string& host = "127.0.0.1",
                const std::string& target = "/hooks/prequal?x=1") {
    url u;
    u.scheme = scheme;
    u.host = host;
    u.port = port;
    u.target = target;
    u.text = scheme + "://" + host + ":" + std::to_string(port) + target;
    return u;
}

client_options private_allowed(std::chrono::milliseconds deadline = 5s) {
    client_options o;
    o.rules.allow_private = true;
    o.deadline = deadline;
    return o;
}

attempt_result post(const client_options& options, const url& where, std::vector<header> headers = {},
                    std::string body = R"({"event_id":"e1"})") {
    return run_coro([&]() -> boost::asio::awaitable<attempt_result> {
        client c(co_await boost::asio::this_coro::executor, options);
        auto result = co_await c.post(where, std::move(headers), std::move(body));
        co_return result;
    });
}

template <class Pred>
bool eventually(Pred pred, std::chrono::milliseconds limit = 10s) {
    const auto deadline = std::chrono::steady_clock::now() + limit;
    while (std::chrono::steady_clock::now() < deadline) {
        if (pred()) return true;
        std::this_thread::sleep_for(5ms);
    }
    return pred();
}

std::uint16_t closed_port() {
    boost::asio::io_context ctx;
    boost::asio::ip::tcp::acceptor acceptor(ctx, {boost::asio::ip::make_address("127.0.0.1"), 0});
    return acceptor.local_endpoint().port();  // closed again when the acceptor goes
}

}  // namespace

TEST_CASE("unit: webhook: client: a 2xx answer is delivered, with the JSON body and the caller's headers",
          "[unit][webhook]") {
    receiver::options ro;
    ro.status = 204;
    ro.body = "";
    receiver rx(ro);
    std::vector<header> headers{{"Prequal-Event-Id", "e1"}, {"Prequal-Signature", "t=1,v1=ab"}};
    const auto r = post(private_allowed(), destination("http", rx.port()), headers, R"({"event_id":"e1"})");
    CHECK(to_string(r.kind) == "delivered");
    CHECK(r.http_status == 204);
    CHECK(r.detail == "HTTP 204 Test");
    CHECK(r.elapsed > 0us);
    const auto seen = rx.request();
    CHECK(seen.rfind("POST /hooks/prequal?x=1 HTTP/1.1\r\n", 0) == 0);
    CHECK(seen.find("Host: 127.0.0.1:" + std::to_string(rx.port()) + "\r\n") != std::string::npos);
    CHECK(seen.find("Content-Type: application/json\r\n") != std::string::npos);
    CHECK(seen.find("User-Agent: prequal-webhooks/1\r\n") != std::string::npos);
    CHECK(seen.find("Prequal-Event-Id: e1\r\n") != std::string::npos);
    CHECK(seen.find("Prequal-Signature: t=1,v1=ab\r\n") != std::string::npos);
    CHECK(seen.find("Content-Length: 17\r\n") != std::string::npos);
    CHECK(seen.substr(seen.size() - 17) == R"({"event_id":"e1"})");
}

TEST_CASE("unit: webhook: client: a non-2xx answer is rejected with its status and the start of its body",
          "[unit][webhook]") {
    receiver::options ro;
    ro.status = 500;
    ro.body = "database\ndown";
    receiver rx(ro);
    const auto r = post(private_allowed(), destination("http", rx.port()));
    CHECK(r.kind == outcome::rejected);
    CHECK(r.http_status == 500);
    CHECK(r.detail == "HTTP 500 Test: database down");

    ro.status = 301;  // redirects are not followed: the new address would escape the SSRF check
    ro.body = "";
    receiver moved(ro);
    const auto m = post(private_allowed(), destination("http", moved.port()));
    CHECK(m.kind == outcome::rejected);
    CHECK(m.http_status == 301);
}

TEST_CASE("unit: webhook: client: a receiver that accepts and never answers times out at the deadline",
          "[unit][webhook]") {
    receiver::options ro;
    ro.behaviour = receiver::mode::hang;
    receiver rx(ro);
    const auto started = std::chrono::steady_clock::now();
    const auto r = post(private_allowed(300ms), destination("http", rx.port()));
    const auto took = std::chrono::steady_clock::now() - started;
    CHECK(r.kind == outcome::timed_out);
    CHECK(r.http_status == 0);
    CHECK(r.detail == "no answer from 127.0.0.1:" + std::to_string(rx.port()) + " within the deadline");
    CHECK(rx.connections() == 1);
    CHECK(took >= 290ms);
    CHECK(took < 5s);  // not the receiver's hour
    CHECK(r.elapsed >= 290ms);
}

TEST_CASE("unit: webhook: client: a TLS receiver that never finishes the handshake times out too",
          "[unit][webhook]") {
    // A plain TCP receiver that reads and never writes: the client's ClientHello is never answered.
    receiver::options ro;
    ro.behaviour = receiver::mode::hang;
    receiver rx(ro);
    test_pki pki;
    const trust_store trust(pki.ca_cert());
    const auto r = post(private_allowed(300ms), destination("https", rx.port()));
    CHECK(r.kind == outcome::timed_out);
    CHECK(r.detail.find("TLS handshake") != std::string::npos);
}

TEST_CASE("unit: webhook: client: a huge response body is not read beyond max_response_body",
          "[unit][webhook]") {
    for (const bool with_length : {true, false}) {
        INFO("Content-Length: " << with_length);
        receiver::options ro;
        ro.behaviour = receiver::mode::stream;
        ro.stream_length = with_length;
        receiver rx(ro);
        const auto started = std::chrono::steady_clock::now();
        const auto r = post(private_allowed(5s), destination("http", rx.port()));
        CHECK(r.kind == outcome::delivered);
        CHECK(r.http_status == 200);
        CHECK(r.detail == "HTTP 200 OK (body longer than 65536 bytes, not read)");
        CHECK(std::chrono::steady_clock::now() - started < 4s);  // returned on the cap, not at the deadline
        // The receiver's writes fail once the client has gone: the kernel took far less than the 10 MB, only
        // what the client read (≤ 64 KiB + one 32 KiB read) plus the two sockets' buffers.
        REQUIRE(eventually([&] { return rx.stream_finished(); }));
        CHECK(rx.bytes_sent() < std::size_t{1024} * 1024);
    }
}

TEST_CASE("unit: webhook: client: an answer that is not HTTP is a protocol error", "[unit][webhook]") {
    receiver::options ro;
    ro.behaviour = receiver::mode::garbage;
    receiver rx(ro);
    const auto r = post(private_allowed(), destination("http", rx.port()));
    CHECK(r.kind == outcome::protocol_error);
    CHECK(r.detail.find("not HTTP/1.x") != std::string::npos);
}

TEST_CASE("unit: webhook: client: a refused connection is unreachable", "[unit][webhook]") {
    const auto port = closed_port();
    const auto r = post(private_allowed(), destination("http", port));
    CHECK(r.kind == outcome::unreachable);
    CHECK(r.detail.rfind("cannot connect to 127.0.0.1:" + std::to_string(port) + ": 127.0.0.1:", 0) == 0);
    CHECK(r.detail.find("refused") != std::string::npos);
}

TEST_CASE("unit: webhook: client: private destinations and http are refused without a connection",
          "[unit][webhook]") {
    receiver rx(receiver::options{});
    const client_options strict;  // allow_private = false
    const auto http = post(strict, destination("http", rx.port()));
    CHECK(http.kind == outcome::refused);
    CHECK(http.detail == "webhook URL must use https (got http); --webhook-allow-private permits http");
    const auto loopback = post(strict, destination("https", rx.port()));
    CHECK(loopback.kind == outcome::refused);
    CHECK(loopback.detail ==
          "webhook host 127.0.0.1 is a loopback address; refused (serve --webhook-allow-private permits it)");
    const auto by_name = post(strict, destination("https", rx.port(), "localhost"));
    CHECK(by_name.kind == outcome::refused);
    CHECK(rx.connections() == 0);
}

TEST_CASE(
    "unit: webhook: client: HTTPS with a certificate the trust store vouches for is delivered, with SNI",
    "[unit][webhook]") {
    test_pki pki;
    const auto cert = pki.issue("receiver", "webhook receiver");
    const trust_store trust(pki.ca_cert());
    receiver::options ro;
    ro.cert = cert.cert;
    ro.key = cert.key;
    receiver rx(ro);

    const auto by_address = post(private_allowed(), destination("https", rx.port()));
    CHECK(by_address.kind == outcome::delivered);
    CHECK(by_address.http_status == 200);
    CHECK(rx.server_name().empty());  // no SNI for an IP literal (RFC 6066)

    const auto by_name = post(private_allowed(), destination("https", rx.port(), "localhost"));
    CHECK(by_name.kind == outcome::delivered);
    CHECK(rx.server_name() == "localhost");
    CHECK(rx.request().find("Host: localhost:" + std::to_string(rx.port()) + "\r\n") != std::string::npos);
}

TEST_CASE("unit: webhook: client: a certificate from an untrusted CA fails TLS", "[unit][webhook]") {
    test_pki trusted;
    test_pki other;
    const auto cert = other.issue("receiver", "webhook receiver");
    const trust_store trust(trusted.ca_cert());
    receiver::options ro;
    ro.cert = cert.cert;
    ro.key = cert.key;
    receiver rx(ro);
    const auto r = post(private_allowed(), destination("https", rx.port()));
    CHECK(r.kind == outcome::tls_failed);
    CHECK(r.detail.find("unable to get local issuer certificate") != std::string::npos);
    CHECK(rx.request().empty());  // the body never left
}

TEST_CASE("unit: webhook: client: a certificate for another host name fails TLS", "[unit][webhook]") {
    // The test PKI's certificates name 127.0.0.1 and localhost; the receiver listens on 127.0.0.2 too
    // (all of 127/8 is loopback on Linux), so the URL's host is not in the certificate.
    test_pki pki;
    const auto cert = pki.issue("receiver", "webhook receiver");
    const trust_store trust(pki.ca_cert());
    receiver::options ro;
    ro.cert = cert.cert;
    ro.key = cert.key;
    ro.bind = "127.0.0.2";
    receiver rx(ro);
    const auto r = post(private_allowed(), destination("https", rx.port(), "127.0.0.2"));
    CHECK(r.kind == outcome::tls_failed);
    CHECK(r.detail == "TLS with 127.0.0.2:" + std::to_string(rx.port()) +
                          " failed: the certificate is not valid for 127.0.0.2");
    CHECK(rx.request().empty());
}

TEST_CASE("unit: webhook: client: a header with a line break is not sent", "[unit][webhook]") {
    receiver rx(receiver::options{});
    std::vector<header> headers{{"X-Injected", "a\r\nHost: evil"}};
    const auto r = post(private_allowed(), destination("http", rx.port()), headers);
    CHECK(r.kind == outcome::protocol_error);
    CHECK(rx.connections() == 0);
}

TEST_CASE("unit: webhook: client: to_string names every outcome", "[unit][webhook][pure]") {
    CHECK(to_string(outcome::delivered) == "delivered");
    CHECK(to_string(outcome::rejected) == "rejected");
    CHECK(to_string(outcome::refused) == "refused");
    CHECK(to_string(outcome::unreachable) == "unreachable");
    CHECK(to_string(outcome::tls_failed) == "tls_failed");
    CHECK(to_string(outcome::timed_out) == "timed_out");
    CHECK(to_string(outcome::protocol_error) == "protocol_error");
}
