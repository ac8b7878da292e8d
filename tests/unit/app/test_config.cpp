// `prequal serve` options (contract section 4): defaults, precedence of flags over PREQUAL_* environment
// variables over a --config file, and a clear error that names the option for every bad value.
#include "config.hpp"

#include <catch2/catch.hpp>

#include <unistd.h>

#include <chrono>
#include <cstdlib>
#include <filesystem>
#include <fstream>
#include <initializer_list>
#include <stdexcept>
#include <string>
#include <vector>

extern char** environ;

using prequal::app::command_line;
using prequal::app::parse_command_line;

namespace {

/// Clears every PREQUAL_* variable for the test's duration, so the machine's environment cannot leak in.
class clean_environment {
public:
    clean_environment() {
        std::vector<std::string> names;
        for (char** e = environ; *e != nullptr; ++e) {
            const std::string entry{*e};
            if (entry.rfind("PREQUAL_", 0) == 0) names.push_back(entry.substr(0, entry.find('=')));
        }
        for (const auto& n : names) ::unsetenv(n.c_str());
    }
    ~clean_environment() {
        for (const auto& n : set_) ::unsetenv(n.c_str());
    }
    void set(const std::string& name, const std::string& value) {
        ::setenv(name.c_str(), value.c_str(), 1);
        set_.push_back(name);
    }

private:
    std::vector<std::string> set_;
};

command_line parse(std::initializer_list<const char*> words) {
    std::vector<const char*> argv{"prequal"};
    argv.insert(argv.end(), words.begin(), words.end());
    return parse_command_line(static_cast<int>(argv.size()), argv.data());
}

/// The message parse() throws for `words`, or "" when it accepts them.
std::string error_of(std::initializer_list<const char*> words) {
    try {
        parse(words);
    } catch (const std::invalid_argument& e) {
        return e.what();
    }
    return "";
}

}  // namespace

TEST_CASE("unit: config: serve defaults follow the contract", "[unit]") {
    clean_environment env;
    const auto cl = parse({"serve"});
    CHECK(cl.command == "serve");
    const auto& c = cl.config;
    CHECK(c.bus == "memory");
    CHECK(c.listen_host == "127.0.0.1");
    CHECK(c.listen_port == 8080);
    CHECK(c.database_url.empty());  // → the private cluster
    CHECK(c.data_dir == "./var");
    CHECK((c.run_api && c.run_credit && c.run_decision));
    CHECK(c.db_operation_timeout == std::chrono::milliseconds{10000});
    CHECK(c.submitted_topic == "loan_applications_submitted");
    CHECK(c.credit_topic == "credit_reports_generated");
    CHECK(c.decided_topic == "loan_applications_decided");
}

TEST_CASE("unit: config: --topic-decided names the decision topic and must not be empty", "[unit]") {
    clean_environment env;
    CHECK(parse({"serve", "--topic-decided=decisions"}).config.decided_topic == "decisions");
    CHECK_THROWS_AS(parse({"serve", "--topic-decided="}), std::invalid_argument);
}

TEST_CASE("unit: config: flags set the serve options", "[unit]") {
    clean_environment env;
    const auto c = parse({"serve", "--bus=kafka", "--kafka-brokers=b1:9092,b2:9092", "--listen=0.0.0.0:9090",
                          "--modules=credit,decision", "--kafka-property=security.protocol=SASL_SSL",
                          "--kafka-property=consumer.fetch.wait.max.ms=10", "--db-operation-timeout-ms=2500",
                          "--database-url=postgresql://u@db/prequal"})
                       .config;
    CHECK(c.bus == "kafka");
    CHECK(c.kafka_brokers == "b1:9092,b2:9092");
    CHECK(c.listen_host == "0.0.0.0");
    CHECK(c.listen_port == 9090);
    CHECK_FALSE(c.run_api);
    CHECK((c.run_credit && c.run_decision));
    REQUIRE(c.kafka_properties.size() == 2);
    CHECK(c.kafka_properties[0] == std::pair<std::string, std::string>{"security.protocol", "SASL_SSL"});
    CHECK(c.kafka_properties[1] == std::pair<std::string, std::string>{"consumer.fetch.wait.max.ms", "10"});
    CHECK(c.db_operation_timeout == std::chrono::milliseconds{2500});
    CHECK(c.database_url == "postgresql://u@db/prequal");
}

TEST_CASE("unit: config: a flag wins over the environment, which wins over the --config file", "[unit]") {
    clean_environment env;
    const auto file =
        std::filesystem::temp_directory_path() / ("prequal-config-" + std::to_string(::getpid()));
    std::ofstream{file} << "listen=127.0.0.1:7001\nbus-max-attempts=7\nlog-level=warn\n";
    const std::string config_flag = "--config=" + file.string();

    CHECK(parse({"serve", config_flag.c_str()}).config.listen_port == 7001);
    env.set("PREQUAL_LISTEN", "127.0.0.1:7002");
    env.set("PREQUAL_DB_OPERATION_TIMEOUT_MS", "1234");
    const auto from_env = parse({"serve", config_flag.c_str()}).config;
    CHECK(from_env.listen_port == 7002);
    CHECK(from_env.db_operation_timeout == std::chrono::milliseconds{1234});
    CHECK(from_env.bus_max_attempts == 7);  // only in the file
    CHECK(from_env.log_level == "warn");
    CHECK(parse({"serve", config_flag.c_str(), "--listen=127.0.0.1:7003"}).config.listen_port == 7003);
    std::filesystem::remove(file);
}

TEST_CASE("unit: config: every bad value is refused with a message naming the option", "[unit]") {
    clean_environment env;
    CHECK_THAT(error_of({"serve", "--bus=rabbit"}), Catch::Contains("--bus"));
    CHECK_THAT(error_of({"serve", "--bus=kafka"}), Catch::Contains("--kafka-brokers"));
    CHECK_THAT(error_of({"serve", "--listen=8080"}), Catch::Contains("--listen"));
    CHECK_THAT(error_of({"serve", "--listen=127.0.0.1:70000"}), Catch::Contains("--listen"));
    CHECK_THAT(error_of({"serve", "--modules=api,billing"}), Catch::Contains("billing"));
    CHECK_THAT(error_of({"serve", "--kafka-property=novalue"}), Catch::Contains("--kafka-property"));
    CHECK_THAT(error_of({"serve", "--db-operation-timeout-ms=0"}),
               Catch::Contains("--db-operation-timeout-ms"));
    CHECK_THAT(error_of({"serve", "--db-pool-size=0"}), Catch::Contains("--db-pool-size"));
    CHECK_THAT(error_of({"serve", "--log-level=loud"}), Catch::Contains("--log-level"));
    CHECK_THAT(error_of({"serve", "--no-such-flag"}), Catch::Contains("no-such-flag"));
    CHECK_THAT(error_of({"serve", "--config=/nonexistent/prequal.conf"}), Catch::Contains("--config"));
    CHECK_THAT(error_of({"launch"}), Catch::Contains("unknown command 'launch'"));
    env.set("PREQUAL_BUS_MAX_ATTEMPTS", "0");
    CHECK_THAT(error_of({"serve"}), Catch::Contains("--bus-max-attempts"));
    CHECK(error_of({"serve", "--bus-max-attempts=3"}).empty());  // the flag wins over the bad variable
}

TEST_CASE("unit: config: help, version and the other commands", "[unit]") {
    clean_environment env;
    const auto top = parse({"--help"});
    CHECK(top.command == "help");
    CHECK_THAT(top.help_text, Catch::Contains("prequal serve") && Catch::Contains("--database-url"));
    const auto serve_help = parse({"serve", "--help"});
    CHECK(serve_help.command == "help");
    CHECK_THAT(serve_help.help_text,
               Catch::Contains("--kafka-property") && Catch::Contains("--encryption-keys"));
    CHECK(parse({"--version"}).command == "version");
    CHECK(parse({"keygen"}).command == "keygen");
    CHECK(parse({"migrate", "--database-url=host=/tmp"}).config.database_url == "host=/tmp");
    const auto dlq = parse({"dlq", "replay", "7", "--json"});
    CHECK(dlq.command == "dlq");
    CHECK(dlq.args == std::vector<std::string>{"replay", "7"});
    CHECK(dlq.json);
}

TEST_CASE("unit: config: --max-connections defaults to the open-files limit, and an explicit value wins",
          "[unit]") {
    clean_environment env;
    CHECK(parse({"serve"}).config.max_connections == 0);  // 0: derived at start-up (open_files.hpp)
    CHECK(parse({"serve", "--max-connections=200"}).config.max_connections == 200);
    env.set("PREQUAL_MAX_CONNECTIONS", "300");
    CHECK(parse({"serve"}).config.max_connections == 300);
    CHECK_THAT(error_of({"serve", "--max-connections=0"}), Catch::Contains("--max-connections"));
    // serve --help says how the default is derived.
    const auto help = parse({"serve", "--help"}).help_text;
    CHECK_THAT(help, Catch::Contains("open-files limit") && Catch::Contains("db-pool-size + 48") &&
                         Catch::Contains("longest-idle"));
}

TEST_CASE("unit: config: re-drive and retention options are parsed and validated", "[unit]") {
    clean_environment env;
    const char* good[] = {"prequal",
                          "serve",
                          "--stuck-after-seconds=60",
                          "--redrive-interval-seconds=5",
                          "--retention-interval-seconds=120",
                          "--bus-retention-hours=48"};
    const auto cl = parse_command_line(6, good);
    CHECK(cl.config.stuck_after == std::chrono::seconds{60});
    CHECK(cl.config.redrive_interval == std::chrono::seconds{5});
    CHECK(cl.config.retention_interval == std::chrono::seconds{120});
    CHECK(cl.config.bus_retention == std::chrono::hours{48});
    const auto defaults = parse_command_line(2, good);
    CHECK(defaults.config.stuck_after == std::chrono::minutes{5});
    CHECK(defaults.config.bus_retention == std::chrono::hours{24 * 7});
    const char* bad[] = {"prequal", "serve", "--stuck-after-seconds=0"};
    CHECK_THROWS_AS(parse_command_line(3, bad), std::invalid_argument);
}

TEST_CASE("unit: config: --event-retention-days from flag and environment, default 30, 0 refused", "[unit]") {
    clean_environment env;
    CHECK(parse({"serve"}).config.event_retention == std::chrono::hours{24 * 30});
    CHECK(parse({"serve", "--event-retention-days=7"}).config.event_retention == std::chrono::hours{24 * 7});
    env.set("PREQUAL_EVENT_RETENTION_DAYS", "90");
    CHECK(parse({"serve"}).config.event_retention == std::chrono::hours{24 * 90});
    CHECK(parse({"serve", "--event-retention-days=2"}).config.event_retention == std::chrono::hours{48});
    CHECK_THROWS_AS(parse({"serve", "--event-retention-days=0"}), std::invalid_argument);
    CHECK_THAT(parse({"serve", "--help"}).help_text, Catch::Contains("event-retention-days"));
}

TEST_CASE("unit: config: --personal-data-retention-days: default 180, fractional, bad values named",
          "[unit]") {
    clean_environment env;
    using std::chrono::milliseconds;
    CHECK(parse({"serve"}).config.personal_data_retention == std::chrono::hours{24 * 180});
    CHECK(parse({"serve", "--personal-data-retention-days=30"}).config.personal_data_retention ==
          std::chrono::hours{24 * 30});
    CHECK(parse({"serve", "--personal-data-retention-days=0.0001"}).config.personal_data_retention ==
          milliseconds{8640});
    env.set("PREQUAL_PERSONAL_DATA_RETENTION_DAYS", "2.5");
    CHECK(parse({"serve"}).config.personal_data_retention == std::chrono::hours{60});
    for (const char* bad : {"--personal-data-retention-days=0", "--personal-data-retention-days=-1",
                            "--personal-data-retention-days=abc", "--personal-data-retention-days=nan",
                            "--personal-data-retention-days=1e300", "--personal-data-retention-days=1e-12",
                            "--personal-data-retention-days="}) {
        INFO(bad);
        CHECK_THAT(error_of({"serve", bad}), Catch::Contains("--personal-data-retention-days"));
    }
    CHECK_THAT(parse({"serve", "--help"}).help_text, Catch::Contains("personal-data-retention-days"));
}

TEST_CASE("unit: config: --access-trail-retention-days from flag and environment, default 400, 0 refused",
          "[unit]") {
    clean_environment env;
    CHECK(parse({"serve"}).config.access_trail_retention == std::chrono::hours{24 * 400});
    CHECK(parse({"serve", "--access-trail-retention-days=30"}).config.access_trail_retention ==
          std::chrono::hours{24 * 30});
    env.set("PREQUAL_ACCESS_TRAIL_RETENTION_DAYS", "90");
    CHECK(parse({"serve"}).config.access_trail_retention == std::chrono::hours{24 * 90});
    CHECK_THROWS_AS(parse({"serve", "--access-trail-retention-days=0"}), std::invalid_argument);
    CHECK_THAT(parse({"serve", "--help"}).help_text, Catch::Contains("access-trail-retention-days"));
}

TEST_CASE(
    "unit: config: admission control limits from flags, environment and file, 0 disables, --help says so",
    "[unit]") {
    clean_environment env;
    const auto defaults = parse({"serve"}).config;
    CHECK(defaults.max_pending == 100000);
    CHECK(defaults.max_pending_age == std::chrono::seconds{120});
    const auto flags = parse({"serve", "--max-pending=20", "--max-pending-age-seconds=0"}).config;
    CHECK(flags.max_pending == 20);
    CHECK(flags.max_pending_age == std::chrono::seconds{0});
    env.set("PREQUAL_MAX_PENDING", "0");
    env.set("PREQUAL_MAX_PENDING_AGE_SECONDS", "30");
    CHECK(parse({"serve"}).config.max_pending == 0);
    CHECK(parse({"serve"}).config.max_pending_age == std::chrono::seconds{30});
    CHECK(parse({"serve", "--max-pending=7"}).config.max_pending == 7);  // the flag wins
    const auto file =
        std::filesystem::temp_directory_path() / ("prequal-admission-" + std::to_string(::getpid()));
    std::ofstream{file} << "max-pending=50\nmax-pending-age-seconds=9\n";
    const std::string config_flag = "--config=" + file.string();
    const auto from_file = parse({"serve", config_flag.c_str()}).config;
    CHECK(from_file.max_pending == 0);  // the environment wins over the file
    CHECK(from_file.max_pending_age == std::chrono::seconds{30});
    ::unsetenv("PREQUAL_MAX_PENDING");
    ::unsetenv("PREQUAL_MAX_PENDING_AGE_SECONDS");
    CHECK(parse({"serve", config_flag.c_str()}).config.max_pending == 50);
    CHECK(parse({"serve", config_flag.c_str()}).config.max_pending_age == std::chrono::seconds{9});
    std::filesystem::remove(file);
    CHECK_THAT(error_of({"serve", "--max-pending=-1"}), Catch::Contains("--max-pending"));
    CHECK_THAT(error_of({"serve", "--max-pending-age-seconds=-5"}),
               Catch::Contains("--max-pending-age-seconds"));
    const auto help = parse({"serve", "--help"}).help_text;
    CHECK_THAT(help, Catch::Contains("max-pending") && Catch::Contains("disables") && Catch::Contains("503"));
}

TEST_CASE("unit: config: --max-waiters bounds long polls, from flags and environment, in --help", "[unit]") {
    clean_environment env;
    CHECK(parse({"serve"}).config.max_waiters == 10000);
    CHECK(parse({"serve", "--max-waiters=5"}).config.max_waiters == 5);
    env.set("PREQUAL_MAX_WAITERS", "7");
    CHECK(parse({"serve"}).config.max_waiters == 7);
    CHECK_THAT(parse({"serve", "--help"}).help_text,
               Catch::Contains("--max-waiters") && Catch::Contains("wait=S"));
}

TEST_CASE("unit: config: --require-consent is off by default, set by flag, environment or file, in --help",
          "[unit]") {
    clean_environment env;
    CHECK_FALSE(parse({"serve"}).config.require_consent);
    CHECK(parse({"serve", "--require-consent"}).config.require_consent);
    CHECK(parse({"serve", "--require-consent=true"}).config.require_consent);
    CHECK_FALSE(parse({"serve", "--require-consent=false"}).config.require_consent);
    const auto file =
        std::filesystem::temp_directory_path() / ("prequal-consent-" + std::to_string(::getpid()));
    std::ofstream{file} << "require-consent=true\n";
    const std::string config_flag = "--config=" + file.string();
    CHECK(parse({"serve", config_flag.c_str()}).config.require_consent);
    env.set("PREQUAL_REQUIRE_CONSENT", "false");  // the environment wins over the file
    CHECK_FALSE(parse({"serve", config_flag.c_str()}).config.require_consent);
    CHECK(
        parse({"serve", "--require-consent", config_flag.c_str()}).config.require_consent);  // the flag wins
    std::filesystem::remove(file);
    CHECK_THAT(error_of({"serve", "--require-consent=maybe"}), Catch::Contains("require-consent"));
    CHECK_THAT(parse({"serve", "--help"}).help_text,
               Catch::Contains("--require-consent") && Catch::Contains("consent"));
}

TEST_CASE("unit: config: access options of serve: --auth, default limits, environment and file", "[unit]") {
    clean_environment env;
    const auto d = parse({"serve"}).config;
    CHECK_FALSE(d.auth);  // the loopback rule decides
    CHECK(d.default_rate_limit == 100);
    CHECK(d.default_burst == 200);
    const auto c = parse({"serve", "--auth=api-key", "--default-rate-limit=0", "--default-burst=5"}).config;
    CHECK(c.auth == prequal::access::auth_mode::api_key);
    CHECK(c.default_rate_limit == 0);
    CHECK(c.default_burst == 5);
    env.set("PREQUAL_AUTH", "none");
    env.set("PREQUAL_DEFAULT_RATE_LIMIT", "7");
    CHECK(parse({"serve"}).config.auth == prequal::access::auth_mode::none);
    CHECK(parse({"serve"}).config.default_rate_limit == 7);
    CHECK(parse({"serve", "--auth=api-key"}).config.auth == prequal::access::auth_mode::api_key);
    CHECK_THAT(error_of({"serve", "--auth=basic"}), Catch::Contains("--auth"));
    CHECK_THAT(error_of({"serve", "--default-rate-limit=-1"}), Catch::Contains("--default-rate-limit"));
    CHECK_THAT(error_of({"serve", "--default-burst=0"}), Catch::Contains("--default-burst"));
}

TEST_CASE("unit: config: apikey create/list/revoke arguments", "[unit]") {
    clean_environment env;
    env.set("PREQUAL_NAME", "from-environment");  // create's options are command-line only
    const auto c = parse({"apikey", "create", "--name=acme", "--scopes=applications:read", "--rate-limit=5",
                          "--burst=10", "--expires-in-days=0.0001", "--json", "--database-url=postgres://x"});
    CHECK(c.command == "apikey");
    CHECK(c.args == std::vector<std::string>{"create"});
    CHECK(c.apikey.name == "acme");
    CHECK(c.apikey.scopes == "applications:read");
    CHECK(c.apikey.rate_limit == 5);
    CHECK(c.apikey.burst == 10);
    REQUIRE(c.apikey.expires_in_days);
    CHECK(*c.apikey.expires_in_days == Approx(0.0001));
    CHECK(c.json);
    CHECK(c.config.database_url == "postgres://x");
    CHECK(parse({"apikey", "create"}).apikey.name.empty());
    CHECK(parse({"apikey", "create", "--rate-limit=0"}).apikey.rate_limit == 0);
    CHECK(parse({"apikey", "revoke", "0123456789abcdef"}).args ==
          std::vector<std::string>{"revoke", "0123456789abcdef"});
    CHECK_THAT(error_of({"apikey", "create", "--name=a b"}), Catch::Contains("--name"));
    CHECK_THAT(error_of({"apikey", "create", "--name=x", "--rate-limit=-1"}),
               Catch::Contains("--rate-limit"));
    CHECK_THAT(error_of({"apikey", "create", "--name=x", "--burst=0"}), Catch::Contains("--burst"));
    CHECK_THAT(error_of({"apikey", "create", "--name=x", "--expires-in-days=0"}),
               Catch::Contains("--expires-in-days"));
    CHECK_THAT(error_of({"apikey", "create", "--name=x", "--expires-in-days=-2"}),
               Catch::Contains("--expires-in-days"));
    CHECK(parse({"apikey", "--help"}).help_text.find("--expires-in-days") != std::string::npos);
}

TEST_CASE("unit: config: --tls-cert and --tls-key come together, from flags, environment or config file",
          "[unit]") {
    clean_environment env;
    const auto plain = parse({"serve"}).config;
    CHECK(plain.tls_cert.empty());
    CHECK(plain.tls_key.empty());

    const auto flags =
        parse({"serve", "--tls-cert=/etc/prequal/tls.crt", "--tls-key=/etc/prequal/tls.key"}).config;
    CHECK(flags.tls_cert == "/etc/prequal/tls.crt");
    CHECK(flags.tls_key == "/etc/prequal/tls.key");

    CHECK_THAT(error_of({"serve", "--tls-cert=/etc/prequal/tls.crt"}), Catch::Contains("--tls-key"));
    CHECK_THAT(error_of({"serve", "--tls-key=/etc/prequal/tls.key"}), Catch::Contains("--tls-cert"));

    const auto file =
        std::filesystem::temp_directory_path() / ("prequal-tls-config-" + std::to_string(::getpid()));
    std::ofstream{file} << "tls-cert=/from/file.crt\ntls-key=/from/file.key\n";
    const std::string config_flag = "--config=" + file.string();
    const auto from_file = parse({"serve", config_flag.c_str()}).config;
    CHECK(from_file.tls_cert == "/from/file.crt");
    CHECK(from_file.tls_key == "/from/file.key");
    env.set("PREQUAL_TLS_CERT", "/from/env.crt");
    env.set("PREQUAL_TLS_KEY", "/from/env.key");
    const auto from_env = parse({"serve", config_flag.c_str()}).config;
    CHECK(from_env.tls_cert == "/from/env.crt");
    CHECK(from_env.tls_key == "/from/env.key");
    std::filesystem::remove(file);
}
