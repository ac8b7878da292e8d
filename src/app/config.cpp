// Command-line, environment and config-file parsing with Boost.Program_options.
#include "config.hpp"

#include "open_files.hpp"

#include <prequal/webhook/destination.hpp>

#include <boost/program_options.hpp>
#include <fmt/format.h>

#include <unistd.h>

#include <algorithm>
#include <cstdlib>
#include <fstream>
#include <sstream>
#include <stdexcept>

namespace prequal::app {

namespace po = boost::program_options;

namespace {

constexpr const char* usage_head =
    "prequal — loan prequalification service\n\n"
    "Usage:\n"
    "  prequal serve [OPTIONS]     run the API, credit, decision and notify modules\n"
    "  prequal migrate [OPTIONS]   apply pending database migrations and exit\n"
    "  prequal keygen              print a fresh --encryption-keys entry and --pan-index-key\n"
    "  prequal dlq list|show ID|replay ID|replay --all   inspect and replay dead-lettered messages\n"
    "  prequal outbox status       pending count, oldest pending age, dead events\n"
    "  prequal apikey create --name=CLIENT [--scopes=S,...] [--rate-limit=N] [--burst=B] "
    "[--expires-in-days=D] [--webhook-url=URL]\n"
    "  prequal apikey list | apikey revoke ID   API keys (printed once at creation; only a hash is stored)\n"
    "  prequal webhook set --client=C --url=URL | webhook rotate-secret --client=C | webhook show "
    "--client=C\n"
    "                              a client's webhook; set and rotate-secret print the signing secret once\n"
    "  prequal rewrap              rewrap every data key under the first --encryption-keys key\n"
    "  prequal erase ID            erase a decided application's personal data (contract section 8)\n"
    "  prequal --help | --version\n"
    "  prequal COMMAND --help      options of one command\n\n"
    "Every option can also be set as an environment variable PREQUAL_<NAME> (e.g. PREQUAL_DATABASE_URL)\n"
    "or in a --config file of name=value lines; flags win over the environment, the environment over the "
    "file.\n";

// Every default below is read from service_config, the one place they are spelled.
const service_config defaults{};

// A default duration in the unit of its option (whole milliseconds, seconds or hours).
long in_ms(std::chrono::milliseconds d) { return static_cast<long>(d.count()); }
long in_s(std::chrono::milliseconds d) {
    return static_cast<long>(std::chrono::duration_cast<std::chrono::seconds>(d).count());
}
long in_h(std::chrono::hours d) { return static_cast<long>(d.count()); }

std::string default_listen() { return defaults.listen_host + ":" + std::to_string(defaults.listen_port); }

std::string default_modules() {
    std::string out;
    for (const auto& [name, on] :
         {std::pair{"api", defaults.run_api}, std::pair{"credit", defaults.run_credit},
          std::pair{"decision", defaults.run_decision}, std::pair{"notify", defaults.run_notify}})
        if (on) out += (out.empty() ? "" : ",") + std::string(name);
    return out;
}

po::options_description database_options() {
    po::options_description d{"Database"};
    d.add_options()(
        "database-url", po::value<std::string>(),
        "libpq connection string or URI; when absent a private "
        "PostgreSQL cluster is created/started under --data-dir and stopped on exit. Unless it sets them, "
        "TCP keepalives (5 s idle, 2 s interval, 3 probes) and tcp_user_timeout=5000 are added, for both "
        "ends (the server's through options)")(
        "data-dir", po::value<std::string>()->default_value(defaults.data_dir.string()),
        "directory for the private cluster and its keys")(
        "sql-dir", po::value<std::string>(),
        "migrations directory (default: discovered next to the binary or in the source tree)")(
        "db-pool-size", po::value<std::size_t>()->default_value(defaults.db_pool_size),
        "database connections per process");
    return d;
}

po::options_description serve_options() {
    po::options_description d{"Serve"};
    d.add_options()("bus", po::value<std::string>()->default_value(defaults.bus),
                    "message bus: memory | kafka")("listen",
                                                   po::value<std::string>()->default_value(default_listen()),
                                                   "HTTP address HOST:PORT (numeric host)")(
        "modules", po::value<std::string>()->default_value(default_modules()),
        "modules this process runs (any subset)")("kafka-brokers", po::value<std::string>(),
                                                  "HOST:PORT,... (required with --bus=kafka)")(
        "kafka-property", po::value<std::vector<std::string>>()->composing(),
        "KEY=VALUE librdkafka property for every Kafka client (repeatable), e.g. security.protocol=SASL_SSL")(
        "topic-submitted", po::value<std::string>()->default_value(defaults.submitted_topic),
        "topic of submitted applications")("topic-credit-reports",
                                           po::value<std::string>()->default_value(defaults.credit_topic),
                                           "topic of credit reports")(
        "topic-decided", po::value<std::string>()->default_value(defaults.decided_topic),
        "topic of final decisions (contract section 7)")(
        "credit-group", po::value<std::string>()->default_value(defaults.credit_group),
        "consumer group of the credit module")(
        "decision-group", po::value<std::string>()->default_value(defaults.decision_group),
        "consumer group of the decision module")(
        "notify-group", po::value<std::string>()->default_value(defaults.notify_group),
        "consumer group of the notify module (webhooks)")(
        "encryption-keys", po::value<std::string>(),
        "AES-256 keys ID:BASE64[,ID:BASE64...]; the first encrypts")(
        "pan-index-key", po::value<std::string>(), "BASE64 key (>= 32 bytes) of the PAN look-up HMAC")(
        "bus-partitions", po::value<std::size_t>()->default_value(defaults.bus_partitions),
        "memory bus: partitions (handler concurrency) per group")(
        "bus-max-attempts", po::value<int>()->default_value(defaults.bus_max_attempts),
        "deliveries before a message is dead-lettered")(
        "shutdown-timeout-ms", po::value<long>()->default_value(in_ms(defaults.shutdown_timeout)),
        "how long a graceful stop may take")("read-timeout-ms",
                                             po::value<long>()->default_value(in_ms(defaults.read_timeout)),
                                             "HTTP: time allowed to receive one request")(
        "idle-timeout-ms", po::value<long>()->default_value(in_ms(defaults.idle_timeout)),
        "HTTP: keep-alive idle time")(
        "db-operation-timeout-ms", po::value<long>()->default_value(in_ms(defaults.db_operation_timeout)),
        "database: deadline of one statement or batch on a pooled connection; a connection that misses "
        "it is discarded and counts toward the circuit breaker")(
        "max-connections", po::value<std::size_t>(),
        fmt::format("HTTP: concurrent connections. Default: the open-files limit (start-up raises the "
                    "soft limit to the hard one) minus a reserve of max({}, db-pool-size + {}) descriptors, "
                    "{} more with --bus=kafka, for the database, the bus and the process itself; at least "
                    "half the limit. At the limit the longest-idle keep-alive connection is closed to admit "
                    "a new one",
                    reserve_floor, reserve_over_pool, reserve_kafka)
            .c_str())("stuck-after-seconds", po::value<long>()->default_value(in_s(defaults.stuck_after)),
                      "re-drive an application still PENDING this long after submission")(
        "redrive-interval-seconds", po::value<long>()->default_value(in_s(defaults.redrive_interval)),
        "how often to look for stuck applications")(
        "retention-interval-seconds", po::value<long>()->default_value(in_s(defaults.retention_interval)),
        "how often the retention jobs run")(
        "bus-retention-hours", po::value<long>()->default_value(in_h(defaults.bus_retention)),
        "bus retention: processed-message records older than this are deleted")(
        "event-retention-days", po::value<long>()->default_value(in_h(defaults.event_retention) / 24),
        "the event feed (GET /events) keeps decision events at least this long")(
        "personal-data-retention-days",
        po::value<double>()->default_value(
            std::chrono::duration<double, std::ratio<86400>>(defaults.personal_data_retention).count()),
        "erase the personal data (PAN, name) of applications decided more than this long ago, as `prequal "
        "erase` does (audit why: retention); fractional allowed (0.0001 = 8.64 s); gauge "
        "personal_data_erasure_due")(
        "access-trail-retention-days",
        po::value<long>()->default_value(in_h(defaults.access_trail_retention) / 24),
        "the access trail (who read which application, docs/pan-protection.md) keeps its entries this long")(
        "max-pending", po::value<long>()->default_value(static_cast<long>(defaults.max_pending)),
        "admission control: POST /applications answers 503 (Retry-After) while more applications than this "
        "are PENDING (read every second); 0 disables")(
        "max-pending-age-seconds", po::value<long>()->default_value(defaults.max_pending_age.count()),
        "admission control: POST /applications answers 503 (Retry-After) while the oldest PENDING "
        "application is older than this; 0 disables")(
        "max-waiters", po::value<std::size_t>()->default_value(defaults.max_waiters),
        "long polls (GET .../status?wait=S) waiting at once; beyond this a long poll is answered at once "
        "with the current state (each waiter also holds an HTTP connection)")(
        "require-consent", po::value<bool>()->default_value(defaults.require_consent)->implicit_value(true),
        "POST /applications without a `consent` object is 422 VALIDATION_ERROR naming consent (contract "
        "section 8); otherwise consent is optional");
    return d;
}

// Who may call the API (contract section 6).
po::options_description access_options() {
    po::options_description d{"Access"};
    d.add_options()("auth", po::value<std::string>(),
                    "api-key | none. Default: none when --listen is a loopback address (127.0.0.0/8, ::1, "
                    "localhost), api-key otherwise")(
        "default-rate-limit", po::value<std::int64_t>()->default_value(defaults.default_rate_limit),
        "requests/s per API key created without --rate-limit, per replica; 0 = unlimited")(
        "default-burst", po::value<std::int64_t>()->default_value(defaults.default_burst),
        "token-bucket capacity of API keys created without --burst");
    return d;
}

// Webhooks (contract section 7).
po::options_description webhook_serve_options() {
    po::options_description d{"Webhooks"};
    d.add_options()(
        "webhook-max-age-hours",
        po::value<double>()->default_value(
            std::chrono::duration<double, std::ratio<3600>>(defaults.webhook_max_age).count()),
        "retry a webhook delivery (1 s doubling, capped at 10 min, with jitter) until it is this old, then "
        "dead-letter it (prequal dlq list/replay); fractional allowed")(
        "webhook-allow-private", po::value<bool>()->default_value(false)->implicit_value(true),
        "allow webhook receivers on loopback, private, link-local and similar addresses, and plain http "
        "(tests, on-premises receivers); otherwise https to public addresses only, checked at every "
        "delivery")("webhook-url", po::value<std::string>(),
                    "with --auth=none: the webhook URL of the `anonymous` client (needs --webhook-secret)")(
        "webhook-secret", po::value<std::string>(),
        "with --webhook-url: its signing secret (better given as PREQUAL_WEBHOOK_SECRET than on the command "
        "line, where other users can see it)");
    return d;
}

// `prequal webhook set|rotate-secret|show`: command-line only, like apikey's.
po::options_description webhook_command_options() {
    po::options_description d{"webhook"};
    d.add_options()("client", po::value<std::string>(), "the client (as in apikey create --name)")(
        "url", po::value<std::string>(), "set: the https URL deliveries are POSTed to")(
        "allow-private",
        "set: accept a URL on a loopback/private address or plain http (tests, on-premises receivers; serve "
        "then needs --webhook-allow-private too)")("json", "machine-readable JSON instead of text");
    return d;
}

// The key ring that seals webhook secrets, for the operator commands that write them.
po::options_description secret_sealing_options() {
    po::options_description d{"Keys"};
    d.add_options()(
        "encryption-keys", po::value<std::string>(),
        "serve's --encryption-keys (seals webhook secrets); needed with --database-url, read from "
        "the data directory's key file otherwise");
    return d;
}

// `prequal apikey create` settings: command-line only (an environment variable PREQUAL_NAME must not name
// a client by accident).
po::options_description apikey_create_options() {
    po::options_description d{"apikey create"};
    d.add_options()("name", po::value<std::string>(), "the client the key belongs to (keys may share one)")(
        "scopes", po::value<std::string>(),
        "comma-separated: applications:write, applications:read, applications:review, personal-data:erase "
        "(default applications:write,applications:read)")(
        "rate-limit", po::value<std::int64_t>(),
        "requests/s (default: serve --default-rate-limit); 0 = unlimited")(
        "burst", po::value<std::int64_t>(), "token-bucket capacity (default: serve --default-burst)")(
        "expires-in-days", po::value<double>(),
        "lifetime in days, fractional allowed (default: never expires)")(
        "webhook-url", po::value<std::string>(),
        "also set the client's webhook (as prequal webhook set); its signing secret is printed once, alone "
        "on "
        "the last line")("allow-private", "with --webhook-url: accept a loopback/private address or http")(
        "json", "machine-readable JSON instead of text");
    return d;
}

// Client names appear in logs and metric labels: keep them plain.
bool is_client_name(const std::string& name) {
    return !name.empty() && name.size() <= 64 && std::all_of(name.begin(), name.end(), [](char c) {
        return (c >= 'a' && c <= 'z') || (c >= 'A' && c <= 'Z') || (c >= '0' && c <= '9') || c == '-' ||
               c == '_' || c == '.' || c == '@';
    });
}

void parse_apikey(const po::variables_map& vm, command_line& out) {
    if (vm.count("args")) out.args = vm["args"].as<std::vector<std::string>>();
    out.json = vm.count("json") > 0;
    auto& k = out.apikey;
    if (vm.count("name")) {
        k.name = vm["name"].as<std::string>();
        if (!is_client_name(k.name))
            throw std::invalid_argument("--name must be 1-64 characters of letters, digits and -_.@");
    }
    if (vm.count("scopes")) k.scopes = vm["scopes"].as<std::string>();
    if (vm.count("rate-limit")) {
        k.rate_limit = vm["rate-limit"].as<std::int64_t>();
        if (*k.rate_limit < 0 || *k.rate_limit > 1000000)
            throw std::invalid_argument("--rate-limit must be 0 (unlimited) to 1000000 requests/s");
    }
    if (vm.count("burst")) {
        k.burst = vm["burst"].as<std::int64_t>();
        if (*k.burst < 1 || *k.burst > 1000000) throw std::invalid_argument("--burst must be 1 to 1000000");
    }
    if (vm.count("expires-in-days")) {
        k.expires_in_days = vm["expires-in-days"].as<double>();
        if (!(*k.expires_in_days > 0) || *k.expires_in_days > 36500)
            throw std::invalid_argument("--expires-in-days must be a number of days > 0 (at most 36500)");
    }
    if (vm.count("webhook-url")) out.webhook.url = vm["webhook-url"].as<std::string>();
    out.webhook.allow_private = vm.count("allow-private") > 0;
    if (vm.count("encryption-keys")) out.config.encryption_keys = vm["encryption-keys"].as<std::string>();
}

void parse_webhook_command(const po::variables_map& vm, command_line& out) {
    if (vm.count("args")) out.args = vm["args"].as<std::vector<std::string>>();
    out.json = vm.count("json") > 0;
    auto& w = out.webhook;
    if (vm.count("client")) {
        w.client = vm["client"].as<std::string>();
        if (!is_client_name(w.client))
            throw std::invalid_argument("--client must be 1-64 characters of letters, digits and -_.@");
    }
    if (vm.count("url")) w.url = vm["url"].as<std::string>();
    w.allow_private = vm.count("allow-private") > 0;
    if (vm.count("encryption-keys")) out.config.encryption_keys = vm["encryption-keys"].as<std::string>();
}

// Days, fractional so that a test can use seconds; at most 100 years, at least 1 ms.
void parse_personal_data_retention(const po::variables_map& vm, service_config& c) {
    const double days = vm["personal-data-retention-days"].as<double>();
    constexpr double max_days = 36500;
    if (!(days > 0) || days > max_days)
        throw std::invalid_argument(
            "--personal-data-retention-days must be a number of days > 0 (fractional allowed) and at most "
            "36500");
    c.personal_data_retention = std::chrono::milliseconds{static_cast<std::int64_t>(days * 86400 * 1000)};
    if (c.personal_data_retention.count() < 1)
        throw std::invalid_argument("--personal-data-retention-days must be at least one millisecond");
}

void parse_webhook_serve(const po::variables_map& vm, service_config& c) {
    const double hours = vm["webhook-max-age-hours"].as<double>();
    if (!(hours > 0) || hours > 24 * 30)
        throw std::invalid_argument("--webhook-max-age-hours must be > 0 and at most 720 (30 days)");
    c.webhook_max_age = std::chrono::milliseconds{static_cast<std::int64_t>(hours * 3600 * 1000)};
    if (c.webhook_max_age.count() < 1000)
        throw std::invalid_argument("--webhook-max-age-hours must be at least one second (0.0003)");
    c.webhook_allow_private = vm["webhook-allow-private"].as<bool>();
    if (vm.count("webhook-url")) c.webhook_url = vm["webhook-url"].as<std::string>();
    if (vm.count("webhook-secret")) c.webhook_secret = vm["webhook-secret"].as<std::string>();
    if (c.webhook_url.empty() != c.webhook_secret.empty())
        throw std::invalid_argument(c.webhook_url.empty()
                                        ? "--webhook-secret needs --webhook-url (the webhook it signs for)"
                                        : "--webhook-url needs --webhook-secret (or PREQUAL_WEBHOOK_SECRET)");
    if (c.webhook_secret.size() > 1024)
        throw std::invalid_argument("--webhook-secret must be at most 1024 bytes");
    if (!c.webhook_url.empty()) {
        if (access::resolve_auth_mode(c.auth, c.listen_host) != access::auth_mode::none)
            throw std::invalid_argument(
                "--webhook-url is the webhook of the `anonymous` client and needs --auth=none (with API "
                "keys, "
                "use prequal webhook set --client=CLIENT --url=URL)");
        auto parsed = webhook::parse_url(c.webhook_url, webhook::destination_rules{c.webhook_allow_private});
        if (auto* why = std::get_if<std::string>(&parsed))
            throw std::invalid_argument("--webhook-url: " + *why);
    }
}

po::options_description tls_options() {
    po::options_description d{"TLS"};
    d.add_options()(
        "tls-cert", po::value<std::string>(),
        "PEM certificate chain (leaf first); with --tls-key the listener speaks HTTPS only (TLS 1.2 "
        "and 1.3), and SIGHUP reloads both files without dropping connections")(
        "tls-key", po::value<std::string>(), "PEM private key of --tls-cert (unencrypted)");
    return d;
}

po::options_description common_options() {
    po::options_description d{"General"};
    d.add_options()("help,h", "show this help")("config", po::value<std::string>(),
                                                "file of name=value lines (option names without --)")(
        "log-level", po::value<std::string>()->default_value(defaults.log_level),
        "debug | info | warn | error");
    return d;
}

void parse_listen(const std::string& text, service_config& c) {
    const auto colon = text.rfind(':');
    if (colon == std::string::npos || colon == 0 || colon + 1 == text.size())
        throw std::invalid_argument("--listen must be HOST:PORT, got '" + text + "'");
    c.listen_host = text.substr(0, colon);
    if (c.listen_host.front() == '[' && c.listen_host.back() == ']')
        c.listen_host = c.listen_host.substr(1, c.listen_host.size() - 2);
    const std::string port = text.substr(colon + 1);
    char* end = nullptr;
    const long p = std::strtol(port.c_str(), &end, 10);
    if (*end != '\0' || p < 0 || p > 65535)
        throw std::invalid_argument("--listen port must be 0-65535, got '" + port + "'");
    c.listen_port = static_cast<std::uint16_t>(p);
}

void parse_modules(const std::string& text, service_config& c) {
    c.run_api = c.run_credit = c.run_decision = c.run_notify = false;
    std::stringstream in{text};
    std::string m;
    while (std::getline(in, m, ',')) {
        if (m == "api")
            c.run_api = true;
        else if (m == "credit")
            c.run_credit = true;
        else if (m == "decision")
            c.run_decision = true;
        else if (m == "notify")
            c.run_notify = true;
        else
            throw std::invalid_argument("--modules: unknown module '" + m +
                                        "' (expected api, credit, decision, notify)");
    }
    if (!c.run_api && !c.run_credit && !c.run_decision && !c.run_notify)
        throw std::invalid_argument("--modules must name at least one module");
}

long not_negative(const po::variables_map& vm, const char* name) {
    const long v = vm[name].as<long>();
    if (v < 0) throw std::invalid_argument(fmt::format("--{} must be 0 (off) or positive", name));
    return v;
}

long positive(const po::variables_map& vm, const char* name) {
    const long v = vm[name].as<long>();
    if (v <= 0) throw std::invalid_argument(fmt::format("--{} must be positive", name));
    return v;
}

void parse_tls(const po::variables_map& vm, service_config& c) {
    if (vm.count("tls-cert")) c.tls_cert = vm["tls-cert"].as<std::string>();
    if (vm.count("tls-key")) c.tls_key = vm["tls-key"].as<std::string>();
    if (c.tls_cert.empty() != c.tls_key.empty())
        throw std::invalid_argument(c.tls_cert.empty() ? "--tls-key needs --tls-cert (its certificate)"
                                                       : "--tls-cert needs --tls-key (its private key)");
}

}  // namespace

command_line parse_command_line(int argc, const char* const* argv) {
    command_line out;
    std::vector<std::string> args(argv + 1, argv + argc);
    if (args.empty() || args[0] == "--help" || args[0] == "-h" || args[0] == "help") {
        out.command = "help";
        std::ostringstream s;
        s << usage_head << "\n"
          << common_options() << "\n"
          << serve_options() << "\n"
          << access_options() << "\n"
          << tls_options() << "\n"
          << webhook_serve_options() << "\n"
          << database_options();
        out.help_text = s.str();
        return out;
    }
    if (args[0] == "--version") {
        out.command = "version";
        return out;
    }
    out.command = args[0];
    po::options_description allowed;
    allowed.add(common_options());
    if (out.command == "serve")
        allowed.add(serve_options())
            .add(access_options())
            .add(tls_options())
            .add(webhook_serve_options())
            .add(database_options());
    else if (out.command == "migrate")
        allowed.add(database_options());
    else if (out.command == "apikey" || out.command == "webhook")
        // Their own options are command-line only (apikey_create_options, webhook_command_options).
        allowed.add(database_options()).add(secret_sealing_options());
    else if (out.command == "rewrap" || out.command == "erase") {
        po::options_description keys{"Keys"};
        keys.add_options()("encryption-keys", po::value<std::string>(),
                           "AES-256 keys ID:BASE64[,ID:BASE64...]; the first wraps (default: the data "
                           "directory's key file)");
        allowed.add(database_options()).add(keys);
    } else if (out.command == "dlq" || out.command == "outbox") {
        po::options_description ops{"Output"};
        ops.add_options()("json", "machine-readable JSON instead of tables")(
            "all", "dlq replay: every unreplayed message");
        allowed.add(database_options()).add(ops);
    } else if (out.command != "keygen")
        throw std::invalid_argument("unknown command '" + out.command + "' (try prequal --help)");

    po::variables_map vm;
    std::vector<std::string> rest(args.begin() + 1, args.end());
    try {
        po::options_description hidden;
        hidden.add_options()("args", po::value<std::vector<std::string>>(), "positional words");
        po::options_description with_hidden;
        with_hidden.add(allowed).add(hidden);
        if (out.command == "apikey") with_hidden.add(apikey_create_options());
        if (out.command == "webhook") with_hidden.add(webhook_command_options());
        po::positional_options_description positional;
        if (out.command == "dlq" || out.command == "outbox" || out.command == "apikey" ||
            out.command == "webhook" || out.command == "erase")
            positional.add("args", -1);
        po::store(po::command_line_parser(rest).options(with_hidden).positional(positional).run(), vm);
        po::store(po::parse_environment(allowed,
                                        [&allowed](const std::string& env) -> std::string {
                                            if (!env.starts_with("PREQUAL_")) return {};
                                            std::string name = env.substr(8);
                                            for (auto& ch : name)
                                                ch = ch == '_' ? '-' : static_cast<char>(std::tolower(ch));
                                            if (name == "help") return {};
                                            return allowed.find_nothrow(name, false) ? name : std::string{};
                                        }),
                  vm);
        if (vm.count("config")) {
            const std::string file = vm["config"].as<std::string>();
            std::ifstream in{file};
            if (!in) throw std::invalid_argument("--config: cannot read '" + file + "'");
            po::store(po::parse_config_file(in, allowed), vm);
        }
        po::notify(vm);
    } catch (const po::error& e) {
        throw std::invalid_argument(e.what());
    }
    if (vm.count("help")) {
        out.command = "help";
        std::ostringstream s;
        s << "Usage: prequal " << args[0] << " [OPTIONS]\n" << allowed;
        if (args[0] == "apikey") s << apikey_create_options();
        if (args[0] == "webhook") s << webhook_command_options();
        out.help_text = s.str();
        return out;
    }

    service_config& c = out.config;
    c.log_level = vm["log-level"].as<std::string>();
    if (c.log_level != "debug" && c.log_level != "info" && c.log_level != "warn" && c.log_level != "error")
        throw std::invalid_argument("--log-level must be debug, info, warn or error");
    if (out.command == "keygen") return out;

    if (vm.count("database-url")) c.database_url = vm["database-url"].as<std::string>();
    c.data_dir = vm["data-dir"].as<std::string>();
    if (vm.count("sql-dir")) c.sql_dir = vm["sql-dir"].as<std::string>();
    c.db_pool_size = vm["db-pool-size"].as<std::size_t>();
    if (c.db_pool_size == 0) throw std::invalid_argument("--db-pool-size must be at least 1");
    if (out.command == "migrate") return out;
    if (out.command == "dlq" || out.command == "outbox") {
        if (vm.count("args")) out.args = vm["args"].as<std::vector<std::string>>();
        out.json = vm.count("json") > 0;
        if (vm.count("all")) out.args.push_back("--all");
        return out;
    }
    if (out.command == "rewrap" || out.command == "erase") {
        if (vm.count("args")) out.args = vm["args"].as<std::vector<std::string>>();
        if (vm.count("encryption-keys")) c.encryption_keys = vm["encryption-keys"].as<std::string>();
        return out;
    }
    if (out.command == "apikey") {
        parse_apikey(vm, out);
        return out;
    }
    if (out.command == "webhook") {
        parse_webhook_command(vm, out);
        return out;
    }

    c.bus = vm["bus"].as<std::string>();
    if (c.bus != "memory" && c.bus != "kafka")
        throw std::invalid_argument("--bus must be memory or kafka, got '" + c.bus + "'");
    parse_listen(vm["listen"].as<std::string>(), c);
    parse_modules(vm["modules"].as<std::string>(), c);
    if (vm.count("kafka-brokers")) c.kafka_brokers = vm["kafka-brokers"].as<std::string>();
    if (c.bus == "kafka" && c.kafka_brokers.empty())
        throw std::invalid_argument("--bus=kafka requires --kafka-brokers");
    if (vm.count("kafka-property")) {
        for (const auto& kv : vm["kafka-property"].as<std::vector<std::string>>()) {
            const auto eq = kv.find('=');
            if (eq == std::string::npos || eq == 0)
                throw std::invalid_argument("--kafka-property must be KEY=VALUE, got '" + kv.substr(0, 64) +
                                            "'");
            c.kafka_properties.emplace_back(kv.substr(0, eq), kv.substr(eq + 1));
        }
    }
    c.submitted_topic = vm["topic-submitted"].as<std::string>();
    c.credit_topic = vm["topic-credit-reports"].as<std::string>();
    c.decided_topic = vm["topic-decided"].as<std::string>();
    c.credit_group = vm["credit-group"].as<std::string>();
    c.decision_group = vm["decision-group"].as<std::string>();
    c.notify_group = vm["notify-group"].as<std::string>();
    for (const auto* name : {&c.submitted_topic, &c.credit_topic, &c.decided_topic, &c.credit_group,
                             &c.decision_group, &c.notify_group})
        if (name->empty()) throw std::invalid_argument("topic and group names must not be empty");
    if (vm.count("encryption-keys")) c.encryption_keys = vm["encryption-keys"].as<std::string>();
    if (vm.count("pan-index-key")) c.pan_index_key = vm["pan-index-key"].as<std::string>();
    c.bus_partitions = vm["bus-partitions"].as<std::size_t>();
    if (c.bus_partitions == 0) throw std::invalid_argument("--bus-partitions must be at least 1");
    c.bus_max_attempts = vm["bus-max-attempts"].as<int>();
    if (c.bus_max_attempts < 1) throw std::invalid_argument("--bus-max-attempts must be at least 1");
    c.shutdown_timeout = std::chrono::milliseconds{positive(vm, "shutdown-timeout-ms")};
    c.read_timeout = std::chrono::milliseconds{positive(vm, "read-timeout-ms")};
    c.idle_timeout = std::chrono::milliseconds{positive(vm, "idle-timeout-ms")};
    c.db_operation_timeout = std::chrono::milliseconds{positive(vm, "db-operation-timeout-ms")};
    if (vm.count("max-connections")) {
        c.max_connections = vm["max-connections"].as<std::size_t>();
        if (c.max_connections == 0) throw std::invalid_argument("--max-connections must be at least 1");
    }
    c.stuck_after = std::chrono::seconds{positive(vm, "stuck-after-seconds")};
    c.redrive_interval = std::chrono::seconds{positive(vm, "redrive-interval-seconds")};
    c.retention_interval = std::chrono::seconds{positive(vm, "retention-interval-seconds")};
    c.bus_retention = std::chrono::hours{positive(vm, "bus-retention-hours")};
    c.event_retention = std::chrono::hours{positive(vm, "event-retention-days") * 24};
    parse_personal_data_retention(vm, c);
    c.access_trail_retention = std::chrono::hours{positive(vm, "access-trail-retention-days") * 24};
    c.max_pending = not_negative(vm, "max-pending");
    c.max_pending_age = std::chrono::seconds{not_negative(vm, "max-pending-age-seconds")};
    c.max_waiters = vm["max-waiters"].as<std::size_t>();
    c.require_consent = vm["require-consent"].as<bool>();
    if (vm.count("auth")) {
        c.auth = access::parse_auth_mode(vm["auth"].as<std::string>());
        if (!c.auth) throw std::invalid_argument("--auth must be api-key or none");
    }
    c.default_rate_limit = vm["default-rate-limit"].as<std::int64_t>();
    if (c.default_rate_limit < 0 || c.default_rate_limit > 1000000)
        throw std::invalid_argument("--default-rate-limit must be 0 (unlimited) to 1000000 requests/s");
    c.default_burst = vm["default-burst"].as<std::int64_t>();
    if (c.default_burst < 1 || c.default_burst > 1000000)
        throw std::invalid_argument("--default-burst must be 1 to 1000000");
    parse_tls(vm, c);
    parse_webhook_serve(vm, c);
    return out;
}

std::filesystem::path find_sql_dir(const service_config& config) {
    namespace fs = std::filesystem;
    if (!config.sql_dir.empty()) {
        if (!fs::is_directory(config.sql_dir))
            throw std::runtime_error("--sql-dir " + config.sql_dir.string() + " is not a directory");
        return config.sql_dir;
    }
    std::vector<fs::path> candidates;
    std::error_code ec;
    const fs::path exe = fs::read_symlink("/proc/self/exe", ec);
    if (!ec) {
        candidates.push_back(exe.parent_path().parent_path() / "share" / "prequal" / "sql");
        candidates.push_back(exe.parent_path() / "sql");
    }
    candidates.push_back(PREQUAL_SOURCE_SQL_DIR);
    for (const auto& c : candidates)
        if (fs::is_directory(c, ec)) return c;
    throw std::runtime_error("cannot find the migrations directory (sql/); pass --sql-dir");
}

}  // namespace prequal::app
