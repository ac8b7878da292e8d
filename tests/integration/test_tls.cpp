// HTTPS on the real binary (contract section 6, "TLS"), with Debian's curl and openssl tools as clients and a
// certificate authority the test makes: the pipeline over HTTPS, TLS 1.2/1.3 only, no plaintext on the port,
// SIGHUP reloads for new connections while an established keep-alive connection goes on, a broken key on
// reload keeps the old certificate, and unusable TLS settings stop start-up with a message naming the file.
#include "server_process.hpp"
#include "service_fixture.hpp"
#include "support/pg_harness.hpp"
#include "support/tls_client.hpp"
#include "support/tls_pki.hpp"

#include <boost/json/parse.hpp>
#include <catch2/catch.hpp>

#include <signal.h>

#include <chrono>
#include <filesystem>
#include <fstream>
#include <string>
#include <thread>

using namespace prequal::test;
namespace fs = std::filesystem;

namespace {

template <class Pred>
bool eventually(Pred pred, std::chrono::seconds timeout = std::chrono::seconds{10}) {
    const auto deadline = std::chrono::steady_clock::now() + timeout;
    while (std::chrono::steady_clock::now() < deadline) {
        if (pred()) return true;
        std::this_thread::sleep_for(std::chrono::milliseconds{20});
    }
    return pred();
}

/// The certificate and key the server is started with, at fixed paths that a reload reads again.
struct served_files {
    fs::path cert;
    fs::path key;
    void install(const test_pki::issued& issued) const {
        fs::copy_file(issued.cert, cert, fs::copy_options::overwrite_existing);
        fs::copy_file(issued.key, key, fs::copy_options::overwrite_existing);
    }
};

class tls_server {
public:
    tls_server(const test_pki& pki, const served_files& files)
        : db_(pg_harness::instance().fresh_database()), port_(free_port()), ca_(pki.ca_cert()) {
        const auto keys = make_test_keys();
        auto args = memory_serve_args(db_, port_, keys.encryption_keys, keys.pan_index_key);
        args.push_back("--tls-cert=" + files.cert.string());
        args.push_back("--tls-key=" + files.key.string());
        process_ = std::make_unique<server_process>(args);
        REQUIRE(eventually([&] { return curl("/health").rfind("200 ", 0) == 0; }, std::chrono::seconds{30}));
    }
    std::uint16_t port() const { return port_; }
    server_process& process() { return *process_; }
    std::string url(const std::string& target) const {
        return "https://127.0.0.1:" + std::to_string(port_) + target;
    }
    /// `curl --cacert` of `target`: "<status> <body>", or curl's error output when it failed.
    std::string curl(const std::string& target, const std::string& extra = {}) const {
        const auto r = run_shell("curl -sS --max-time 10 --cacert " + shell_quote(ca_.string()) + " " +
                                 extra + " -w ' %{http_code}' " + shell_quote(url(target)));
        if (r.status != 0) return "curl failed: " + r.output;
        const auto space = r.output.rfind(' ');
        return r.output.substr(space + 1) + " " + r.output.substr(0, space);
    }
    tls_client::options trusting() const {
        tls_client::options o;
        o.ca_file = ca_;
        return o;
    }
    /// The serial of the certificate a new connection gets ("" when the handshake fails).
    std::string serial_for_new_connection() const {
        tls_client client(port_, trusting());
        return client.connect() && client.get("/health") == 200 ? client.peer_serial() : std::string{};
    }

private:
    std::string db_;
    std::uint16_t port_;
    fs::path ca_;
    std::unique_ptr<server_process> process_;
};

/// `openssl s_client` with one protocol version; its output (the exit status goes into `status`).
std::string s_client(std::uint16_t port, const fs::path& ca, const std::string& version, int& status) {
    // SECLEVEL=0: the client must be willing to offer old versions, so that a refusal is the server's.
    const auto r = run_shell("openssl s_client -connect 127.0.0.1:" + std::to_string(port) + " " + version +
                             " -cipher 'DEFAULT:@SECLEVEL=0' -verify_return_error -CAfile " +
                             shell_quote(ca.string()) + " </dev/null");
    status = r.status;
    return r.output;
}

}  // namespace

TEST_CASE(
    "integration: over HTTPS curl --cacert is answered and an application is decided, TLS 1.1 and "
    "plaintext are refused",
    "[integration][pg]") {
    test_pki pki;
    const served_files files{pki.dir() / "served.crt", pki.dir() / "served.key"};
    files.install(pki.issue("server", "prequal.test"));
    tls_server server(pki, files);

    CHECK(server.curl("/health") == R"(200 {"status":"ok"})");
    const auto body = R"({"pan_number":")" + unique_pan() +
                      R"(","monthly_income_inr":120000,"loan_amount_inr":500000,"loan_type":"HOME"})";
    const auto submitted =
        server.curl("/applications", "-H 'Content-Type: application/json' --data-raw " + shell_quote(body));
    REQUIRE(submitted.rfind("202 ", 0) == 0);
    const auto id = std::string(boost::json::parse(submitted.substr(4)).at("application_id").as_string());
    std::string status;
    CHECK(eventually([&] {
        status = server.curl("/applications/" + id + "/status");
        return status.find("\"PENDING\"") == std::string::npos && status.rfind("200 ", 0) == 0;
    }));
    CHECK_THAT(status, Catch::Contains(R"("status":"PRE_APPROVED")"));

    int exit_status = -1;
    auto out = s_client(server.port(), pki.ca_cert(), "-tls1_1", exit_status);
    CHECK(exit_status != 0);
    CHECK_THAT(out, Catch::Contains("alert protocol version"));  // refused by the server, not by the client
    for (const std::string version : {"-tls1_2", "-tls1_3"}) {
        INFO(version);
        out = s_client(server.port(), pki.ca_cert(), version, exit_status);
        CHECK(exit_status == 0);
        CHECK_THAT(out, Catch::Contains("Verify return code: 0 (ok)"));
        CHECK_THAT(out, Catch::Contains(version == "-tls1_2" ? "TLSv1.2" : "TLSv1.3"));
    }

    // Plaintext HTTP on the HTTPS port: the connection is closed, and the server goes on.
    const auto plain =
        run_shell("curl -sS --max-time 10 http://127.0.0.1:" + std::to_string(server.port()) + "/health");
    CHECK(plain.status != 0);
    CHECK_THAT(plain.output, Catch::Contains("Empty reply from server") || Catch::Contains("reset"));
    CHECK(server.curl("/health") == R"(200 {"status":"ok"})");
    CHECK_THAT(server.curl("/metrics"),
               Catch::Contains(R"(http_tls_handshake_failures_total{reason="not_tls"} 1)"));
}

TEST_CASE(
    "integration: SIGHUP serves a new certificate to new connections while an open keep-alive connection "
    "goes on, and a broken key keeps the old certificate",
    "[integration][pg]") {
    test_pki pki;
    const auto first = pki.issue("first", "first.prequal.test");
    const auto second = pki.issue("second", "second.prequal.test");
    const served_files files{pki.dir() / "served.crt", pki.dir() / "served.key"};
    files.install(first);
    tls_server server(pki, files);

    tls_client old_connection(server.port(), server.trusting());
    REQUIRE(old_connection.connect());
    REQUIRE(old_connection.get("/health") == 200);
    CHECK(old_connection.peer_serial() == first.serial);

    files.install(second);
    server.process().kill(SIGHUP);
    CHECK(eventually([&] { return server.serial_for_new_connection() == second.serial; }));
    CHECK_THAT(server.curl("/health", "-v"), Catch::Contains("CN=second.prequal.test"));
    CHECK(old_connection.get("/health") == 200);  // opened before the reload, still served
    CHECK(old_connection.peer_serial() == first.serial);
    CHECK(old_connection.get("/health") == 200);

    // A broken key: the reload fails, the second certificate stays in use.
    std::ofstream(files.key, std::ios::trunc)
        << "-----BEGIN PRIVATE KEY-----\nbroken\n-----END PRIVATE KEY-----\n";
    server.process().kill(SIGHUP);
    CHECK(eventually([&] {
        return server.curl("/metrics").find(R"(http_tls_reloads_total{outcome="failure"} 1)") !=
               std::string::npos;
    }));
    CHECK(server.serial_for_new_connection() == second.serial);
    CHECK(old_connection.get("/health") == 200);
    CHECK_THAT(server.curl("/metrics"), Catch::Contains(R"(http_tls_reloads_total{outcome="success"} 1)"));

    server.process().kill(SIGTERM);  // SIGHUP handling leaves the graceful stop as it was
    CHECK(server.process().wait() == 0);
}

TEST_CASE("integration: unusable TLS settings stop serve at start-up with a message naming the file",
          "[integration]") {
    test_pki pki;
    const auto good = pki.issue("good", "prequal.test");
    const auto serve = shell_quote(binary_path()) +
                       " serve --listen=127.0.0.1:" + std::to_string(free_port()) +
                       " --database-url=postgresql://127.0.0.1:1/none";

    auto r = run_shell(serve + " --tls-cert=" + shell_quote(good.cert.string()));
    CHECK(r.status == 2);
    CHECK_THAT(r.output, Catch::Contains("--tls-cert needs --tls-key"));
    r = run_shell("PREQUAL_TLS_KEY=" + shell_quote(good.key.string()) + " " + serve);
    CHECK(r.status == 2);
    CHECK_THAT(r.output, Catch::Contains("--tls-key needs --tls-cert"));

    const auto missing = pki.dir() / "missing.crt";
    r = run_shell(serve + " --tls-cert=" + shell_quote(missing.string()) +
                  " --tls-key=" + shell_quote(good.key.string()));
    CHECK(r.status == 1);
    CHECK_THAT(r.output, Catch::Contains(missing.string()));

    const auto garbage = pki.dir() / "garbage.key";
    std::ofstream(garbage) << "garbage\n";
    r = run_shell(serve + " --tls-cert=" + shell_quote(good.cert.string()) +
                  " --tls-key=" + shell_quote(garbage.string()));
    CHECK(r.status == 1);
    CHECK_THAT(r.output, Catch::Contains(garbage.string()));
}
