// Webhooks end to end (contract section 7): the real binary, a real PostgreSQL and test receivers on
// 127.0.0.1 (webhook_receiver.py) that check signatures with Python's hmac, not with prequal's code.
#include "http_client.hpp"
#include "review_support.hpp"
#include "server_process.hpp"
#include "service_fixture.hpp"
#include "support/pg_harness.hpp"
#include "webhook_receiver.hpp"

#include <boost/json/serialize.hpp>
#include <catch2/catch.hpp>

#include <signal.h>

#include <atomic>
#include <cstdlib>
#include <filesystem>
#include <fstream>
#include <set>
#include <sstream>
#include <thread>

using namespace prequal::test;
namespace json = boost::json;
using std::chrono::milliseconds;
using std::chrono::seconds;

namespace {

std::string last_line(const std::string& text) {
    std::string s = text;
    while (!s.empty() && s.back() == '\n') s.pop_back();
    const auto nl = s.rfind('\n');
    return nl == std::string::npos ? s : s.substr(nl + 1);
}

// One database, its keys, and `prequal serve` (restartable) with the given webhook options; the operator
// commands run against the same database and keys.
class webhook_service {
public:
    explicit webhook_service(std::vector<std::string> serve_options)
        : db_{pg_harness::instance().fresh_database()},
          keys_{make_test_keys()},
          port_{free_port()},
          log_{std::filesystem::temp_directory_path() /
               ("prequal-webhooks-" + std::to_string(::getpid()) + "-" + std::to_string(port_) + ".log")},
          options_{std::move(serve_options)} {
        start();
    }
    ~webhook_service() {
        stop(SIGTERM);
        std::error_code ec;
        std::filesystem::remove(log_, ec);
    }

    void start() {
        auto args = memory_serve_args(db_, port_, keys_.encryption_keys, keys_.pan_index_key);
        args.back() = "--log-level=debug";  // every attempt is logged: the secret must be in none of it
        args.insert(args.end(), options_.begin(), options_.end());
        server_ = std::make_unique<server_process>(args, log_.string());
        wait_healthy(port_);
    }
    int stop(int sig) {
        if (!server_) return 0;
        server_->kill(sig);
        const int code = server_->wait();
        server_.reset();
        return code;
    }

    /// `prequal <args...>` on this database with these keys.
    command_result cli(std::vector<std::string> args) const {
        args.insert(args.begin(), binary_path());
        args.push_back("--database-url=" + db_);
        if (args[1] != "dlq") args.push_back("--encryption-keys=" + keys_.encryption_keys);
        return run_command(args);
    }
    /// Sets `client`'s webhook (as a test/on-prem operator would: --allow-private) and returns its secret.
    std::string set_webhook(const std::string& client, const std::string& url) const {
        const auto r = cli({"webhook", "set", "--client=" + client, "--url=" + url, "--allow-private"});
        INFO(r.err);
        REQUIRE(r.exit_code == 0);
        return last_line(r.out);
    }

    /// Submits an application (with a name: personal data that must reach no receiver); returns its id.
    /// The default amounts are pre-approved; 80000/9000000 AUTO ends in MANUAL_REVIEW.
    std::string submit(const std::string& pan, const std::string& income = "65000",
                       const std::string& loan = "900000", const std::string& type = "PERSONAL") const {
        const std::string body = "{\"pan_number\":\"" + pan +
                                 "\",\"applicant_name\":\"Asha Verma\",\"monthly_income_inr\":" + income +
                                 ",\"loan_amount_inr\":" + loan + ",\"loan_type\":\"" + type + "\"}";
        const auto r = post_json(port_, "/applications", body);
        REQUIRE(r.status == 202);
        const auto pos = r.body.find("\"application_id\":\"");
        REQUIRE(pos != std::string::npos);
        return r.body.substr(pos + 18, 36);
    }

    std::int64_t count(const std::string& sql) const { return sql_count(db_, sql); }
    std::string value(const std::string& sql) const { return sql_value(db_, sql); }
    std::string log_text() const {
        std::ifstream in{log_};
        std::stringstream s;
        s << in.rdbuf();
        return s.str();
    }
    std::uint16_t port() const { return port_; }

private:
    std::string db_;
    test_keys keys_;
    std::uint16_t port_;
    std::filesystem::path log_;
    std::vector<std::string> options_;
    std::unique_ptr<server_process> server_;
};

std::set<std::string> application_ids(const std::vector<json::object>& requests) {
    std::set<std::string> ids;
    for (const auto& r : requests)
        if (r.at("body").is_object()) ids.insert(std::string{r.at("body").at("application_id").as_string()});
    return ids;
}

std::set<std::string> event_ids(const std::vector<json::object>& requests) {
    std::set<std::string> ids;
    for (const auto& r : requests)
        if (r.at("event_id").is_string()) ids.insert(std::string{r.at("event_id").as_string()});
    return ids;
}

}  // namespace

TEST_CASE("integration: webhooks: each decision is POSTed once per event id, signed, without personal data",
          "[integration][pg][webhooks]") {
    webhook_receiver receiver;
    webhook_service svc{{"--webhook-allow-private"}};
    const std::string secret = svc.set_webhook("anonymous", receiver.url());
    REQUIRE(secret.starts_with("whsec_"));
    receiver.set_secrets({secret});

    std::set<std::string> submitted;
    std::vector<std::string> pans;
    for (int i = 0; i < 12; ++i) {
        pans.push_back(unique_pan());
        submitted.insert(svc.submit(pans.back()));
    }
    REQUIRE(eventually([&] { return application_ids(receiver.requests()).size() == submitted.size(); },
                       seconds{60}));
    const auto requests = receiver.requests();
    // At least once; deduplicated by event id, exactly once per application (one decision event each).
    CHECK(application_ids(requests) == submitted);
    CHECK(event_ids(requests).size() == submitted.size());
    for (const auto& r : requests) {
        INFO(json::serialize(r));
        CHECK(r.at("content_type").as_string() == "application/json");
        CHECK(r.at("v1").as_int64() == 1);
        CHECK(r.at("valid").as_array().at(0).as_bool());  // Python's hmac agrees with the signature
        const auto& body = r.at("body").as_object();
        CHECK(body.at("event_id") == r.at("event_id"));
        CHECK(body.at("event_id") == body.at("message_id"));
        CHECK(body.at("event_type").as_string() == "application_decided");
        CHECK(body.at("client").as_string() == "anonymous");
        CHECK(body.contains("status"));
        CHECK(body.contains("reason_codes"));
    }
    // No personal data in any delivery, and the secret in no log line.
    const std::string raw = receiver.raw_log();
    for (const auto& pan : pans) CHECK(raw.find(pan) == std::string::npos);
    CHECK(raw.find("Asha") == std::string::npos);
    CHECK(raw.find("pan_number") == std::string::npos);
    CHECK(svc.log_text().find(secret) == std::string::npos);
    CHECK(svc.value("SELECT secret_ciphertext FROM webhooks").find(secret) == std::string::npos);
    CHECK(svc.count("SELECT count(*) FROM webhook_deliveries WHERE delivered_at IS NOT NULL") ==
          static_cast<std::int64_t>(submitted.size()));

    const auto metrics = http_request(svc.port(), "GET", "/metrics");
    CHECK(metrics.body.find("webhook_deliveries_total{outcome=\"delivered\"} 12") != std::string::npos);
    CHECK(metrics.body.find("webhook_delivery_seconds_count") != std::string::npos);
    CHECK(metrics.body.find("webhook_oldest_undelivered_seconds") != std::string::npos);
    CHECK(svc.stop(SIGTERM) == 0);
}

TEST_CASE("integration: webhooks: the POST carries the request's trace as the notify consumer continued it",
          "[integration][pg][webhooks][trace]") {
    webhook_receiver receiver;
    webhook_service svc{{"--webhook-allow-private"}};
    receiver.set_secrets({svc.set_webhook("anonymous", receiver.url())});
    const std::string trace_id = "d4c3b2a1f0e9d8c7b6a5f4e3d2c1b0a9";
    const std::string body =
        "{\"pan_number\":\"" + unique_pan() + "\",\"monthly_income_inr\":65000,\"loan_amount_inr\":900000}";
    const auto r = post_json(svc.port(), "/applications", body,
                             {{"traceparent", "00-" + trace_id + "-a1b2c3d4e5f60718-01"}});
    REQUIRE(r.status == 202);
    REQUIRE(eventually([&] { return !receiver.requests().empty(); }, seconds{60}));
    const auto request = receiver.requests().front();
    INFO(json::serialize(request));
    REQUIRE(request.at("traceparent").is_string());
    const std::string sent{request.at("traceparent").as_string()};
    // 00-<the request's trace id>-<the notify consumer's span>-01
    REQUIRE(sent.size() == 55);
    CHECK(sent.substr(0, 36) == "00-" + trace_id + "-");
    CHECK(sent.substr(52) == "-01");
    const std::string notify_span = sent.substr(36, 16);
    CHECK(notify_span != "a1b2c3d4e5f60718");
    CHECK(r.header("traceparent").find(notify_span) == std::string::npos);  // not the API's span
    CHECK(
        svc.log_text().find("\"module\":\"notify\",\"message\":\"webhook delivery queued\",\"trace_id\":\"" +
                            trace_id + "\",\"span_id\":\"" + notify_span + "\"") != std::string::npos);
}

TEST_CASE("integration: webhooks: a receiver answering 500 three times then 200 gets the event with backoff",
          "[integration][pg][webhooks][slow]") {
    webhook_receiver receiver{{"--fail-first=3"}};
    webhook_service svc{{"--webhook-allow-private"}};
    receiver.set_secrets({svc.set_webhook("anonymous", receiver.url())});
    const std::string id = svc.submit(unique_pan());
    REQUIRE(eventually([&] { return receiver.requests().size() >= 4; }, seconds{40}));
    REQUIRE(eventually(
        [&] {
            return svc.count("SELECT count(*) FROM webhook_deliveries WHERE delivered_at IS NOT NULL") == 1;
        },
        seconds{10}));
    const auto requests = receiver.requests();
    REQUIRE(requests.size() == 4);
    CHECK(svc.count("SELECT attempts FROM webhook_deliveries") == 4);
    CHECK(svc.count("SELECT last_status FROM webhook_deliveries") == 200);
    std::vector<double> gaps;
    for (std::size_t i = 1; i < requests.size(); ++i)
        gaps.push_back(requests[i].at("arrived").to_number<double>() -
                       requests[i - 1].at("arrived").to_number<double>());
    INFO("gaps " << gaps[0] << " " << gaps[1] << " " << gaps[2]);
    CHECK(gaps[0] >= 0.9);  // 1 s, 2 s, 4 s (+ up to a tenth of jitter)
    CHECK(gaps[1] > gaps[0]);
    CHECK(gaps[2] > gaps[1]);
    for (const auto& r : requests) CHECK(r.at("event_id") == requests[0].at("event_id"));
    CHECK(requests[0].at("body").at("application_id").as_string() == id);
}

TEST_CASE("integration: webhooks: a receiver that hangs does not delay deliveries to another receiver",
          "[integration][pg][webhooks]") {
    webhook_receiver hanging{{"--hang"}};
    webhook_receiver fast;
    webhook_service svc{{"--webhook-allow-private"}};
    svc.set_webhook("hanger", hanging.url());
    fast.set_secrets({svc.set_webhook("anonymous", fast.url())});
    // Ten deliveries queued for the hanging receiver (as if its client had ten decisions).
    svc.value(
        "WITH i AS (INSERT INTO webhook_deliveries (event_id, client, application_id, payload) SELECT "
        "md5('hang' || g)::uuid, 'hanger', 'hang-app-' || g, '{\"n\":1}' FROM generate_series(1, 10) g "
        "RETURNING 1) SELECT count(*) FROM i");
    svc.value("SELECT pg_notify('prequal_webhooks', '')");
    REQUIRE(eventually([&] { return hanging.requests().size() >= 1; }, seconds{10}));

    const auto started = std::chrono::steady_clock::now();
    std::set<std::string> submitted;
    for (int i = 0; i < 5; ++i) submitted.insert(svc.submit(unique_pan()));
    REQUIRE(eventually([&] { return application_ids(fast.requests()) == submitted; }, seconds{30}));
    const auto took = std::chrono::steady_clock::now() - started;
    // Far below the hanging receiver's 10 s attempt deadline: its slots are its own.
    CHECK(took < seconds{6});
    // It holds at most its per-host share of attempts at once.
    CHECK(hanging.requests().size() <= 8);
}

TEST_CASE("integration: webhooks: a receiver down for the whole max age → dead letter, listed and replayable",
          "[integration][pg][webhooks][slow]") {
    const std::uint16_t down_port = free_port();
    const std::string url = "http://127.0.0.1:" + std::to_string(down_port) + "/hooks/prequal";
    webhook_service svc{{"--webhook-allow-private", "--webhook-max-age-hours=0.001"}};  // 3.6 s
    const std::string secret = svc.set_webhook("anonymous", url);
    const std::string id = svc.submit(unique_pan());
    REQUIRE(eventually(
        [&] {
            return svc.count(
                       "SELECT count(*) FROM webhook_deliveries WHERE dead_at IS NOT "
                       "NULL") == 1;
        },
        seconds{30}));
    CHECK(svc.count("SELECT attempts FROM webhook_deliveries") >= 2);
    CHECK(svc.value("SELECT last_error FROM webhook_deliveries").starts_with("unreachable"));
    const auto list = svc.cli({"dlq", "list"});
    CHECK(list.exit_code == 0);
    CHECK(list.out.find("webhooks") != std::string::npos);
    CHECK(list.out.find(id) != std::string::npos);
    const std::string letter = svc.value("SELECT id FROM dead_letters WHERE topic = 'webhooks'");
    REQUIRE(!letter.empty());

    webhook_receiver receiver{{}, down_port};  // the receiver is back
    receiver.set_secrets({secret});
    const auto replay = svc.cli({"dlq", "replay", letter});
    INFO(replay.err);
    CHECK(replay.exit_code == 0);
    CHECK(replay.out.find("re-armed") != std::string::npos);
    REQUIRE(eventually([&] { return receiver.requests().size() == 1; }, seconds{15}));
    const auto r = receiver.requests().front();
    CHECK(r.at("body").at("application_id").as_string() == id);
    CHECK(r.at("valid").as_array().at(0).as_bool());
    REQUIRE(eventually(
        [&] {
            return svc.count("SELECT count(*) FROM webhook_deliveries WHERE delivered_at IS NOT NULL") == 1;
        },
        seconds{5}));
    CHECK(svc.count("SELECT count(*) FROM dead_letters WHERE replayed_at IS NOT NULL") == 1);
}

TEST_CASE("integration: webhooks: kill -9 of the server mid-delivery loses no event",
          "[integration][pg][webhooks][slow]") {
    webhook_receiver receiver{{"--delay=0.2"}};
    webhook_service svc{{"--webhook-allow-private"}};
    receiver.set_secrets({svc.set_webhook("anonymous", receiver.url())});
    std::set<std::string> submitted;
    for (int i = 0; i < 40; ++i) submitted.insert(svc.submit(unique_pan()));
    REQUIRE(eventually([&] { return receiver.requests().size() >= 3; }, seconds{30}));
    CHECK(svc.stop(SIGKILL) == 128 + SIGKILL);
    svc.start();
    // Leased rows of the killed process come back when their 30 s lease ends.
    REQUIRE(eventually([&] { return application_ids(receiver.requests()) == submitted; }, seconds{120}));
    CHECK(event_ids(receiver.requests()).size() == submitted.size());
    CHECK(svc.stop(SIGTERM) == 0);
}

TEST_CASE("integration: webhooks: URLs to loopback, private names or plain http are refused at set time",
          "[integration][pg][webhooks]") {
    webhook_service svc{{}};
    for (const std::string url :
         {"https://127.0.0.1:8443/hook", "http://example.com/hook", "https://localhost:8443/hook",
          "https://[::1]/hook", "https://10.1.2.3/x"}) {
        const auto r = svc.cli({"webhook", "set", "--client=anonymous", "--url=" + url});
        INFO(url << ": " << r.err);
        CHECK(r.exit_code == 1);
        CHECK(r.err.find("refused") != std::string::npos);
        CHECK(r.out.empty());
    }
    const auto k = svc.cli({"apikey", "create", "--name=acme", "--webhook-url=https://127.0.0.1/hook"});
    CHECK(k.exit_code == 1);
    CHECK(svc.count("SELECT count(*) FROM api_keys") == 0);
    CHECK(svc.count("SELECT count(*) FROM webhooks") == 0);

    // Accepted with --allow-private: the key alone on the first line, the webhook secret alone on the last.
    const auto ok = svc.cli(
        {"apikey", "create", "--name=acme", "--webhook-url=http://127.0.0.1:9/hook", "--allow-private"});
    INFO(ok.err);
    CHECK(ok.exit_code == 0);
    CHECK(ok.out.starts_with("pq_"));
    CHECK(last_line(ok.out).starts_with("whsec_"));
    CHECK(svc.value("SELECT url FROM webhooks WHERE client = 'acme'") == "http://127.0.0.1:9/hook");
}

TEST_CASE("integration: webhooks: a destination refused at delivery time is retried, never delivered",
          "[integration][pg][webhooks]") {
    webhook_receiver receiver;
    webhook_service svc{{}};                       // no --webhook-allow-private
    svc.set_webhook("anonymous", receiver.url());  // the operator said --allow-private; serve did not
    svc.submit(unique_pan());
    REQUIRE(eventually(
        [&] { return svc.count("SELECT coalesce(max(attempts), 0) FROM webhook_deliveries") >= 2; },
        seconds{20}));
    CHECK(svc.value("SELECT last_error FROM webhook_deliveries").starts_with("refused"));
    // Pointed at the loopback address over https directly in SQL: refused by the address rule too.
    svc.value("UPDATE webhooks SET url = 'https://127.0.0.1:" + std::to_string(receiver.port()) +
              "/hook' RETURNING 1");
    svc.value("UPDATE webhook_deliveries SET attempts = 0, due_at = now() RETURNING 1");
    svc.value("SELECT pg_notify('prequal_webhooks', '')");
    REQUIRE(
        eventually([&] { return svc.count("SELECT attempts FROM webhook_deliveries") >= 1; }, seconds{10}));
    CHECK(svc.value("SELECT last_error FROM webhook_deliveries").starts_with("refused"));
    CHECK(svc.count("SELECT count(*) FROM webhook_deliveries WHERE delivered_at IS NOT NULL") == 0);
    CHECK(receiver.requests().empty());
}

TEST_CASE("integration: webhooks: after rotate-secret both secrets sign, and the receiver accepts either",
          "[integration][pg][webhooks]") {
    webhook_receiver receiver;
    webhook_service svc{{"--webhook-allow-private"}};
    const std::string old_secret = svc.set_webhook("anonymous", receiver.url());
    const auto rotated = svc.cli({"webhook", "rotate-secret", "--client=anonymous"});
    REQUIRE(rotated.exit_code == 0);
    const std::string new_secret = last_line(rotated.out);
    CHECK(new_secret.starts_with("whsec_"));
    CHECK(new_secret != old_secret);
    receiver.set_secrets({old_secret, new_secret});
    svc.submit(unique_pan());
    REQUIRE(eventually([&] { return receiver.requests().size() == 1; }, seconds{30}));
    const auto r = receiver.requests().front();
    CHECK(r.at("v1").as_int64() == 2);
    CHECK(r.at("valid").as_array().at(0).as_bool());
    CHECK(r.at("valid").as_array().at(1).as_bool());

    const auto show = svc.cli({"webhook", "show", "--client=anonymous"});
    CHECK(show.exit_code == 0);
    CHECK(show.out.find("previous secret signs too until") != std::string::npos);
    CHECK(show.out.find(old_secret) == std::string::npos);
    CHECK(show.out.find(new_secret) == std::string::npos);
    CHECK(svc.cli({"webhook", "rotate-secret", "--client=nobody"}).exit_code == 1);
}

TEST_CASE(
    "integration: webhooks: serve --webhook-url with PREQUAL_WEBHOOK_SECRET signs the anonymous client's",
    "[integration][pg][webhooks]") {
    webhook_receiver receiver;
    const std::string secret = "configured-secret-" + unique_pan();
    receiver.set_secrets({secret});
    ::setenv("PREQUAL_WEBHOOK_SECRET", secret.c_str(), 1);
    webhook_service svc{{"--webhook-allow-private", "--webhook-url=" + receiver.url()}};
    ::unsetenv("PREQUAL_WEBHOOK_SECRET");
    const std::string id = svc.submit(unique_pan());
    REQUIRE(eventually([&] { return receiver.requests().size() == 1; }, seconds{30}));
    const auto r = receiver.requests().front();
    CHECK(r.at("valid").as_array().at(0).as_bool());
    CHECK(r.at("body").at("application_id").as_string() == id);
    CHECK(svc.log_text().find(secret) == std::string::npos);
    CHECK(svc.value("SELECT url FROM webhooks WHERE client = 'anonymous'") == receiver.url());
}

TEST_CASE("integration: webhooks: an underwriter's review is delivered like the machine decision it replaces",
          "[integration][pg][webhooks]") {
    webhook_receiver receiver;
    webhook_service svc{{"--webhook-allow-private"}};
    receiver.set_secrets({svc.set_webhook("anonymous", receiver.url())});
    const std::string id = svc.submit(unique_pan(), "80000", "9000000", "AUTO");
    REQUIRE(eventually([&] { return receiver.requests().size() == 1; }, seconds{30}));
    const auto machine = receiver.requests().front();
    INFO(json::serialize(machine));
    CHECK(machine.at("body").at("status").as_string() == "MANUAL_REVIEW");
    CHECK(machine.at("body").at("decided_by").as_string() == "rules");

    const auto reviewed = post_review(svc.port(), id, "PRE_APPROVED", 2, "Priya Nair", "bonus verified");
    INFO(reviewed.body);
    REQUIRE(reviewed.status == 200);
    REQUIRE(eventually([&] { return receiver.requests().size() >= 2; }, seconds{30}));
    const auto requests = receiver.requests();
    const auto& review = requests.back();
    INFO(json::serialize(review));
    CHECK(review.at("valid").as_array().at(0).as_bool());
    CHECK(review.at("event_id") != machine.at("event_id"));
    const auto& body = review.at("body").as_object();
    CHECK(body.at("application_id").as_string() == id);
    CHECK(body.at("event_type").as_string() == "application_decided");
    CHECK(body.at("status").as_string() == "PRE_APPROVED");
    CHECK(body.at("decided_by").as_string() == "review");
    CHECK(body.at("max_approved_amount_inr").as_string() == "3840000.00");
    CHECK(body.at("reason_codes").as_array().size() == 1);
    CHECK(body.at("reason_codes").as_array().at(0).as_string() == "REVIEWED_APPROVED");
    CHECK(event_ids(requests).size() == 2);  // one delivery per decision, each under its own event id
    CHECK(receiver.raw_log().find("Priya") == std::string::npos);  // the reviewer's name is not sent
}
