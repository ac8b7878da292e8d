// Clients, access and load (contract section 6) over real sockets against real PostgreSQL: every
// authentication outcome, keys created and revoked by the CLI in another process while the server runs,
// isolation between clients, rate limits, and the loopback rule.
#include "server_process.hpp"
#include "service_fixture.hpp"
#include "support/pg_harness.hpp"

#include <prequal/access/auth_mode.hpp>

#include <boost/json/parse.hpp>
#include <boost/json/serialize.hpp>
#include <catch2/catch.hpp>

#include <signal.h>
#include <unistd.h>

#include <chrono>
#include <filesystem>
#include <fstream>
#include <sstream>
#include <thread>

using namespace prequal::test;
namespace json = boost::json;
using headers = std::vector<std::pair<std::string, std::string>>;
using std::chrono::steady_clock;

namespace {

struct api_key {
    std::string key;  // pq_<id>_<secret>
    std::string id;
};

// `prequal apikey create --json ...` in a child process against `db`.
api_key create_key(const std::string& db, const std::vector<std::string>& options) {
    std::vector<std::string> args{binary_path(), "apikey", "create", "--database-url=" + db, "--json"};
    args.insert(args.end(), options.begin(), options.end());
    const auto r = run_command(args);
    INFO(r.err);
    REQUIRE(r.exit_code == 0);
    const auto o = json::parse(r.out).as_object();
    return {std::string(o.at("key").as_string()), std::string(o.at("id").as_string())};
}

command_result apikey(const std::string& db, std::vector<std::string> words) {
    std::vector<std::string> args{binary_path(), "apikey"};
    args.insert(args.end(), words.begin(), words.end());
    args.push_back("--database-url=" + db);
    return run_command(args);
}

headers bearer(const std::string& key) { return {{"Authorization", "Bearer " + key}}; }

std::string application_body(const std::string& pan) {
    return R"({"pan_number":")" + pan + R"(","monthly_income_inr":90000,"loan_amount_inr":500000})";
}

http_result submit(std::uint16_t port, const std::string& key, const std::string& pan = unique_pan(),
                   const std::string& idempotency_key = {}) {
    headers h = key.empty() ? headers{} : bearer(key);
    if (!idempotency_key.empty()) h.emplace_back("Idempotency-Key", idempotency_key);
    return post_json(port, "/applications", application_body(pan), h);
}

std::string id_of(const http_result& r) {
    return std::string(json::parse(r.body).as_object().at("application_id").as_string());
}

http_result status(std::uint16_t port, const std::string& key, const std::string& id) {
    return http_request(port, "GET", "/applications/" + id + "/status", {},
                        key.empty() ? headers{} : bearer(key));
}

std::string error_code(const http_result& r) {
    json::error_code ec;
    auto v = json::parse(r.body, ec);
    if (ec || !v.is_object() || !v.as_object().contains("error_code")) return "(no error body)";
    return std::string(v.as_object().at("error_code").as_string());
}

void check_unauthorized(const http_result& r) {
    INFO(r.status << " " << r.body);
    CHECK(r.status == 401);
    CHECK(error_code(r) == "UNAUTHORIZED");
    CHECK(r.header("www-authenticate") == "Bearer realm=\"prequal\"");
    CHECK(r.header("ratelimit-limit").empty());
}

std::vector<std::string> serve_args(const std::string& db, const std::string& listen, const test_keys& keys,
                                    const std::vector<std::string>& extra) {
    std::vector<std::string> args{binary_path(),
                                  "serve",
                                  "--database-url=" + db,
                                  "--listen=" + listen,
                                  "--encryption-keys=" + keys.encryption_keys,
                                  "--pan-index-key=" + keys.pan_index_key};
    args.insert(args.end(), extra.begin(), extra.end());
    return args;
}

std::string temp_log(const std::string& name) {
    return (std::filesystem::temp_directory_path() /
            ("prequal-" + name + "-" + std::to_string(::getpid()) + ".log"))
        .string();
}

std::string read_file(const std::string& path) {
    std::ifstream in{path};
    std::stringstream s;
    s << in.rdbuf();
    return s.str();
}

// Polls until `done()` or `limit` passes; returns how long it took (limit + 1 s when it never happened).
template <class F>
std::chrono::milliseconds time_until(F done, std::chrono::milliseconds limit) {
    const auto start = steady_clock::now();
    while (steady_clock::now() - start < limit) {
        if (done()) return std::chrono::duration_cast<std::chrono::milliseconds>(steady_clock::now() - start);
        std::this_thread::sleep_for(std::chrono::milliseconds{100});
    }
    return limit + std::chrono::seconds{1};
}

}  // namespace

TEST_CASE(
    "integration: access: every authentication outcome over HTTP, keys managed by the CLI while serving",
    "[integration][pg][access]") {
    const std::string db = pg_harness::instance().fresh_database();
    const auto keys = make_test_keys();
    const std::uint16_t port = free_port();
    const auto good = create_key(db, {"--name=alpha"});
    const auto read_only = create_key(db, {"--name=alpha", "--scopes=applications:read"});
    const auto doomed = create_key(db, {"--name=alpha"});
    const std::string log_file = temp_log("access");
    std::filesystem::remove(log_file);
    server_process server{
        serve_args(db, "127.0.0.1:" + std::to_string(port), keys, {"--auth=api-key", "--log-level=debug"}),
        log_file};
    wait_healthy(port);

    // Created while the server runs: known to it at once (NOTIFY, or a bounded look-up of an unknown id).
    const auto late = create_key(db, {"--name=alpha", "--rate-limit=0"});
    const auto expiring = create_key(db, {"--name=alpha", "--expires-in-days=0.0001"});  // ~8.6 s
    const auto expiring_created = steady_clock::now();
    CHECK(submit(port, expiring.key).status == 202);

    // No credential, garbage, a wrong secret for a real id, other schemes, hostile values: 401, never 5xx.
    check_unauthorized(submit(port, ""));
    check_unauthorized(status(port, "", "3f1c0b9e-8a3e-4c55-9a43-2a8d2c1f9b70"));
    check_unauthorized(submit(port, "garbage"));
    check_unauthorized(submit(port, "pq_" + good.id + "_" + std::string(43, 'A')));
    check_unauthorized(
        submit(port, good.key.substr(0, good.key.size() - 1) + (good.key.back() == 'A' ? "B" : "A")));
    check_unauthorized(post_json(port, "/applications", application_body(unique_pan()),
                                 {{"Authorization", "Basic YWxwaGE6c2VjcmV0"}}));
    check_unauthorized(
        post_json(port, "/applications", application_body(unique_pan()),
                  {{"Authorization", "Bearer " + good.key}, {"Authorization", "Bearer " + good.key}}));
    check_unauthorized(post_json(port, "/applications", application_body(unique_pan()),
                                 {{"Authorization", "Bearer " + std::string(10 * 1024, 'a')}}));
    check_unauthorized(post_json(port, "/applications", application_body(unique_pan()),
                                 {{"Authorization", "Bearer " + good.key + "\xc3\xa9"}}));
    check_unauthorized(post_json(port, "/applications", application_body(unique_pan()),
                                 {{"Authorization", "bearer \xff\xfe" + good.key}}));
    check_unauthorized(
        post_json(port, "/applications", application_body(unique_pan()), {{"Authorization", ""}}));
    {
        // A NUL byte is not HTTP: the parser refuses the message before any handler, and as the refused
        // part is the credential, the answer is the contract's 401, never 400 or a 5xx.
        const std::string raw =
            "GET /applications/3f1c0b9e-8a3e-4c55-9a43-2a8d2c1f9b70/status HTTP/1.1\r\n"
            "Host: x\r\nAuthorization: Bearer " +
            good.key.substr(0, 10) + std::string(1, '\0') + good.key.substr(10) +
            "\r\nConnection: close\r\n\r\n";
        const std::string answer = raw_exchange(port, raw);
        INFO(answer);
        REQUIRE(answer.starts_with("HTTP/1.1 401"));
        CHECK(answer.find("UNAUTHORIZED") != std::string::npos);
        CHECK(answer.find("WWW-Authenticate: Bearer") != std::string::npos);
    }

    // A good key: 202 and 200, each with the key's rate-limit state.
    const auto accepted = submit(port, good.key);
    REQUIRE(accepted.status == 202);
    CHECK(accepted.header("ratelimit-limit") == "200");
    CHECK(!accepted.header("ratelimit-remaining").empty());
    CHECK(!accepted.header("ratelimit-reset").empty());
    const std::string id = id_of(accepted);
    const auto read = status(port, good.key, id);
    CHECK(read.status == 200);
    CHECK(read.header("ratelimit-limit") == "200");

    // A key without the operation's scope: 403; with it (same client): 200.
    const auto forbidden = submit(port, read_only.key);
    CHECK(forbidden.status == 403);
    CHECK(error_code(forbidden) == "FORBIDDEN");
    CHECK(forbidden.header("www-authenticate").empty());
    CHECK(status(port, read_only.key, id).status == 200);

    // Unlimited key: no RateLimit-* headers.
    const auto unlimited = submit(port, late.key);
    CHECK(unlimited.status == 202);
    CHECK(unlimited.header("ratelimit-limit").empty());

    // The operational endpoints need no key.
    for (const char* path : {"/health", "/ready", "/metrics", "/openapi.json"})
        CHECK(http_request(port, "GET", path).status == 200);

    // Revoked by the CLI in another process while the server runs: refused within 5 s.
    CHECK(submit(port, doomed.key).status == 202);
    const auto revoked = apikey(db, {"revoke", doomed.id});
    INFO(revoked.err);
    REQUIRE(revoked.exit_code == 0);
    CHECK(revoked.out.find("revoked " + doomed.id) != std::string::npos);
    const auto took =
        time_until([&] { return status(port, doomed.key, id).status == 401; }, std::chrono::seconds{5});
    CHECK(took < std::chrono::seconds{5});
    check_unauthorized(submit(port, doomed.key));
    CHECK(apikey(db, {"revoke", doomed.id}).exit_code == 0);           // already revoked: still fine
    CHECK(apikey(db, {"revoke", "0123456789abcdef"}).exit_code == 1);  // no such key
    CHECK(apikey(db, {"revoke", "not-an-id"}).exit_code == 2);         // usage error

    // Expired (0.0001 days ≈ 8.6 s after creation): refused.
    const auto expired_after =
        time_until([&] { return status(port, expiring.key, id).status == 401; }, std::chrono::seconds{20});
    CHECK(expired_after < std::chrono::seconds{20});
    CHECK(steady_clock::now() - expiring_created >= std::chrono::seconds{8});
    check_unauthorized(submit(port, expiring.key));

    // `apikey list` never shows a secret; last use is written (at the latest when the server stops).
    server.kill(SIGTERM);
    CHECK(server.wait() == 0);
    const auto listed = apikey(db, {"list", "--json"});
    REQUIRE(listed.exit_code == 0);
    const auto list = json::parse(listed.out).as_object().at("keys").as_array();
    CHECK(list.size() == 5);
    bool good_used = false;
    for (const auto& k : list) {
        const auto& o = k.as_object();
        CHECK_FALSE(o.contains("key"));
        if (o.at("id").as_string() == good.id) good_used = o.at("last_used_at").is_string();
        if (o.at("id").as_string() == doomed.id) CHECK(o.at("revoked_at").is_string());
    }
    CHECK(good_used);
    const auto table = apikey(db, {"list"});
    CHECK(table.exit_code == 0);
    CHECK(table.out.find(good.id) != std::string::npos);

    // No secret in any log line (the server logged at debug level) or listing.
    const std::string log = read_file(log_file);
    CHECK(log.find("\"auth\":\"api-key\"") != std::string::npos);
    for (const auto* k : {&good, &read_only, &doomed, &late, &expiring}) {
        // pq_<id>_<secret>, fixed length: the secret is what follows the id (it may itself contain '_').
        REQUIRE(k->key.rfind("pq_" + k->id + "_", 0) == 0);
        const std::string secret = k->key.substr(3 + k->id.size() + 1);
        REQUIRE(secret.size() >= 20);
        CHECK(log.find(secret) == std::string::npos);
        CHECK(listed.out.find(secret) == std::string::npos);
        CHECK(table.out.find(secret) == std::string::npos);
    }
    std::filesystem::remove(log_file);
}

TEST_CASE(
    "integration: access: clients are isolated, idempotency keys are per client, one name is one client",
    "[integration][pg][access]") {
    service_fixture f{[](prequal::app::service_config& c) { c.auth = prequal::access::auth_mode::api_key; }};
    const auto alpha = create_key(f.conninfo(), {"--name=alpha"});
    const auto alpha2 = create_key(f.conninfo(), {"--name=alpha"});  // rotation: a second key, same client
    const auto beta = create_key(f.conninfo(), {"--name=beta"});

    const auto accepted = submit(f.port(), alpha.key);
    REQUIRE(accepted.status == 202);
    const std::string id = id_of(accepted);
    CHECK(status(f.port(), alpha.key, id).status == 200);
    CHECK(status(f.port(), alpha2.key, id).status == 200);

    // Another client's application is exactly an unknown id.
    const auto theirs = status(f.port(), beta.key, id);
    const auto unknown = status(f.port(), beta.key, "3f1c0b9e-8a3e-4c55-9a43-2a8d2c1f9b70");
    CHECK(theirs.status == 404);
    CHECK(unknown.status == 404);
    auto theirs_body = json::parse(theirs.body).as_object();
    auto unknown_body = json::parse(unknown.body).as_object();
    for (auto* o : {&theirs_body, &unknown_body}) {
        o->erase("request_id");
        o->erase("timestamp");
        o->erase("path");
    }
    CHECK(json::serialize(theirs_body) == json::serialize(unknown_body));
    CHECK(theirs.header("content-length") == std::to_string(theirs.body.size()));

    // The same Idempotency-Key from another client is another key: a new application.
    const auto first = submit(f.port(), alpha.key, unique_pan(), "order-1");
    REQUIRE(first.status == 202);
    const auto other_client = submit(f.port(), beta.key, unique_pan(), "order-1");
    REQUIRE(other_client.status == 202);
    CHECK(id_of(other_client) != id_of(first));
    // ... while the same client's retry (any of its keys) is recognised.
    const auto reused = submit(f.port(), alpha2.key, unique_pan(), "order-1");
    CHECK(reused.status == 422);
    CHECK(error_code(reused) == "IDEMPOTENCY_KEY_REUSED");
    CHECK(status(f.port(), beta.key, id_of(other_client)).status == 200);
    CHECK(status(f.port(), alpha.key, id_of(other_client)).status == 404);

    // The duplicate rule stays global: one applicant, whichever client submits.
    const std::string pan = unique_pan();
    REQUIRE(submit(f.port(), alpha.key, pan).status == 202);
    const auto duplicate = submit(f.port(), beta.key, pan);
    CHECK(duplicate.status == 409);
    CHECK(error_code(duplicate) == "DUPLICATE_APPLICATION");

    CHECK(sql_count(f.conninfo(), "SELECT count(*) FROM applications WHERE client = 'alpha'") == 3);
    CHECK(sql_count(f.conninfo(), "SELECT count(*) FROM applications WHERE client = 'beta'") == 1);
}

TEST_CASE("integration: access: with --auth=none every request is the client anonymous, unlimited",
          "[integration][pg][access]") {
    service_fixture f;  // loopback, no --auth: none
    const auto r = submit(f.port(), "");
    REQUIRE(r.status == 202);
    CHECK(r.header("ratelimit-limit").empty());
    CHECK(status(f.port(), "", id_of(r)).status == 200);
    CHECK(sql_value(f.conninfo(), "SELECT client FROM applications WHERE id = '" + id_of(r) + "'") ==
          "anonymous");

    // /openapi.json describes the bearer scheme, the 401/403/429 answers and the RateLimit headers.
    const auto doc = json::parse(http_request(f.port(), "GET", "/openapi.json").body).as_object();
    const auto& components = doc.at("components").as_object();
    CHECK(
        components.at("securitySchemes").as_object().at("bearerAuth").as_object().at("scheme").as_string() ==
        "bearer");
    CHECK(components.at("headers").as_object().contains("RateLimit-Remaining"));
    for (const auto* op : {&doc.at("paths").at("/applications").at("post"),
                           &doc.at("paths").at("/applications/{application_id}/status").at("get")}) {
        const auto& responses = op->at("responses").as_object();
        for (const char* code : {"401", "403", "429"}) CHECK(responses.contains(code));
        CHECK(op->as_object().contains("security"));
    }
    // The document requires the bearer scheme at its root; public operations opt out with an empty list.
    REQUIRE(doc.at("security").as_array().size() == 1);
    for (const char* path : {"/health", "/ready", "/metrics", "/openapi.json", "/docs"})
        CHECK(doc.at("paths").at(path).at("get").at("security").as_array().empty());
}

TEST_CASE("integration: access: a burst over the rate limit gets 429 with Retry-After, then 202 again",
          "[integration][pg][access]") {
    service_fixture f{[](prequal::app::service_config& c) {
        c.auth = prequal::access::auth_mode::api_key;
        c.default_rate_limit = 1;
        c.default_burst = 2;
    }};
    const auto limited = create_key(f.conninfo(), {"--name=gamma", "--rate-limit=1", "--burst=3"});
    for (int i = 0; i < 3; ++i) {
        const auto r = submit(f.port(), limited.key);
        REQUIRE(r.status == 202);
        CHECK(r.header("ratelimit-limit") == "3");
        CHECK(std::stoi(r.header("ratelimit-remaining")) <= 2 - i);
        CHECK(std::stoi(r.header("ratelimit-reset")) >= 1);
    }
    const auto refused = submit(f.port(), limited.key);
    REQUIRE(refused.status == 429);
    CHECK(error_code(refused) == "RATE_LIMITED");
    const int retry_after = std::stoi(refused.header("retry-after"));
    CHECK(retry_after >= 1);
    CHECK(refused.header("ratelimit-limit") == "3");
    CHECK(refused.header("ratelimit-remaining") == "0");
    CHECK(!refused.header("ratelimit-reset").empty());
    // Reads share the key's bucket.
    CHECK(status(f.port(), limited.key, "3f1c0b9e-8a3e-4c55-9a43-2a8d2c1f9b70").status == 429);

    std::this_thread::sleep_for(std::chrono::seconds{retry_after});
    CHECK(submit(f.port(), limited.key).status == 202);

    const auto metrics = http_request(f.port(), "GET", "/metrics").body;
    CHECK(metrics.find("rate_limited_total{client=\"gamma\"} 2") != std::string::npos);

    // A key created without limits takes the serve defaults (here 1/s, burst 2).
    const auto defaults = create_key(f.conninfo(), {"--name=delta"});
    CHECK(submit(f.port(), defaults.key).header("ratelimit-limit") == "2");
    CHECK(submit(f.port(), defaults.key).status == 202);
    CHECK(submit(f.port(), defaults.key).status == 429);
}

TEST_CASE(
    "integration: access: the loopback rule: a key is required on 0.0.0.0 unless --auth=none, not on "
    "127.0.0.1",
    "[integration][pg][access]") {
    const std::string db = pg_harness::instance().fresh_database();
    const auto keys = make_test_keys();
    {
        const std::uint16_t port = free_port();
        const std::string log_file = temp_log("loopback-any");
        std::filesystem::remove(log_file);
        server_process server{serve_args(db, "0.0.0.0:" + std::to_string(port), keys, {"--log-level=info"}),
                              log_file};
        wait_healthy(port);
        check_unauthorized(submit(port, ""));
        const auto key = create_key(db, {"--name=omega"});
        CHECK(submit(port, key.key).status == 202);
        server.kill(SIGTERM);
        CHECK(server.wait() == 0);
        CHECK(read_file(log_file).find("\"auth\":\"api-key\"") != std::string::npos);
        std::filesystem::remove(log_file);
    }
    {
        const std::uint16_t port = free_port();
        const std::string log_file = temp_log("loopback-local");
        std::filesystem::remove(log_file);
        server_process server{serve_args(db, "127.0.0.1:" + std::to_string(port), keys, {"--log-level=info"}),
                              log_file};
        wait_healthy(port);
        CHECK(submit(port, "").status == 202);
        server.kill(SIGTERM);
        CHECK(server.wait() == 0);
        const std::string log = read_file(log_file);
        CHECK(log.find("\"auth\":\"none\"") != std::string::npos);
        CHECK(log.find("anyone who can reach the port") == std::string::npos);
        std::filesystem::remove(log_file);
    }
    {
        const std::uint16_t port = free_port();
        const std::string log_file = temp_log("loopback-none");
        std::filesystem::remove(log_file);
        server_process server{
            serve_args(db, "0.0.0.0:" + std::to_string(port), keys, {"--auth=none", "--log-level=warn"}),
            log_file};
        wait_healthy(port);
        CHECK(submit(port, "").status == 202);
        server.kill(SIGTERM);
        CHECK(server.wait() == 0);
        CHECK(read_file(log_file).find("anyone who can reach the port can submit and read applications") !=
              std::string::npos);
        std::filesystem::remove(log_file);
    }
}

TEST_CASE(
    "integration: access: apikey with --data-dir uses a running serve's private PostgreSQL and leaves it "
    "running",
    "[integration][pg][access][slow]") {
    char dir_template[] = "/tmp/prequal-apikey-XXXXXX";
    const std::string dir = ::mkdtemp(dir_template);
    std::filesystem::permissions(dir, std::filesystem::perms::owner_all | std::filesystem::perms::group_read |
                                          std::filesystem::perms::group_exec |
                                          std::filesystem::perms::others_read |
                                          std::filesystem::perms::others_exec);
    const std::uint16_t port = free_port();
    {
        server_process server{{binary_path(), "serve", "--data-dir=" + dir,
                               "--listen=127.0.0.1:" + std::to_string(port), "--auth=api-key",
                               "--log-level=warn"}};
        wait_healthy(port);
        const auto created = run_command(
            {binary_path(), "apikey", "create", "--data-dir=" + dir, "--name=local", "--log-level=warn"});
        INFO(created.err);
        REQUIRE(created.exit_code == 0);
        const std::string key = created.out.substr(0, created.out.find('\n'));
        // The command has exited; the server's database must still be up.
        CHECK(submit(port, key).status == 202);
        CHECK(http_request(port, "GET", "/ready").status == 200);
        server.kill(SIGTERM);
        CHECK(server.wait() == 0);
    }
    // No serve running: the command starts the private cluster for itself (and stops it again).
    const auto listed =
        run_command({binary_path(), "apikey", "list", "--json", "--data-dir=" + dir, "--log-level=warn"});
    INFO(listed.err);
    CHECK(listed.exit_code == 0);
    CHECK(listed.out.find("\"client\":\"local\"") != std::string::npos);
    std::filesystem::remove_all(dir);
}
