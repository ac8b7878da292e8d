// `prequal serve` configuration: plain structs with defaults, filled from flags, PREQUAL_* environment
// variables and an optional --config file (flags win over the environment, the environment over the file).
#pragma once

#include <prequal/access/auth_mode.hpp>
#include <prequal/events/topics.hpp>

#include <chrono>
#include <cstdint>
#include <filesystem>
#include <optional>
#include <string>
#include <utility>
#include <vector>

namespace prequal::app {

struct service_config {
    std::string bus = "memory";  // memory | kafka
    std::string listen_host = "127.0.0.1";
    std::uint16_t listen_port = 8080;
    std::string database_url;  // empty → private cluster under data_dir
    std::filesystem::path data_dir = "./var";
    bool run_api = true;
    bool run_credit = true;
    bool run_decision = true;
    bool run_notify = true;
    std::string kafka_brokers;
    std::vector<std::pair<std::string, std::string>> kafka_properties;  // librdkafka pass-through
    std::string submitted_topic{events::submitted_topic};
    std::string credit_topic{events::credit_reports_topic};
    std::string decided_topic{events::decided_topic};
    std::string credit_group = "credit";
    std::string decision_group = "decision";
    std::string notify_group = "notify";
    std::string encryption_keys;    // ID:BASE64[,ID:BASE64...]
    std::string pan_index_key;      // BASE64
    std::filesystem::path sql_dir;  // empty → discovered (see find_sql_dir)
    std::string log_level = "info";
    std::size_t db_pool_size = 16;
    std::chrono::milliseconds db_operation_timeout{10000};  // per pooled statement/batch, then discarded
    std::size_t bus_partitions = 16;
    int bus_max_attempts = 5;
    std::chrono::milliseconds shutdown_timeout{15000};
    std::chrono::milliseconds read_timeout{10000};
    std::chrono::milliseconds idle_timeout{30000};
    std::size_t max_connections = 0;                       // 0 → from the open-files limit
    std::chrono::milliseconds stuck_after{300000};         // PENDING this long → re-driven from the outbox
    std::chrono::milliseconds redrive_interval{30000};     // how often the re-driver looks
    std::chrono::milliseconds retention_interval{600000};  // how often retention jobs run
    std::chrono::hours bus_retention{24 * 7};              // processed_messages kept this long
    std::chrono::hours event_retention{24 * 30};  // the event feed (GET /events) keeps events this long
    // Decided applications' personal data is erased this long after the decision (contract section 8).
    std::chrono::milliseconds personal_data_retention{std::chrono::hours{24 * 180}};
    std::chrono::hours access_trail_retention{24 * 400};  // who read which application: kept this long
    // Admission control (contract section 6): POST /applications answers 503 while over either; 0 = off.
    std::int64_t max_pending = 100000;
    std::chrono::seconds max_pending_age{120};
    // Long polls (GET .../status?wait=S, contract section 7) waiting at once; more are answered at once.
    std::size_t max_waiters = 10000;
    // Consent (contract section 8): a POST without `consent` is 422 when set.
    bool require_consent = false;
    // Access (contract section 6).
    std::optional<access::auth_mode> auth;  // nullopt → the loopback rule (access::resolve_auth_mode)
    std::int64_t default_rate_limit = 100;  // requests/s of keys created without --rate-limit; 0 = unlimited
    std::int64_t default_burst = 200;       // capacity of keys created without --burst
    // TLS (both or neither): PEM files; set, the listener is HTTPS only and SIGHUP reloads them.
    std::filesystem::path tls_cert;
    std::filesystem::path tls_key;
    // Webhooks (contract section 7).
    std::chrono::milliseconds webhook_max_age{std::chrono::hours{24}};  // retried until then, then dead
    bool webhook_allow_private = false;  // private/loopback receivers and http (tests, on-premises)
    std::string webhook_url;             // --auth=none: the anonymous client's webhook ...
    std::string webhook_secret;          // ... and its signing secret (never logged)
};

/// `prequal webhook set|rotate-secret|show` settings, and `apikey create --webhook-url`.
struct webhook_options {
    std::string client;
    std::string url;
    bool allow_private = false;  // accept loopback/private receivers and http (tests, on-premises)
};

/// `prequal apikey create` settings (the other apikey subcommands take positional words only).
struct apikey_options {
    std::string name;
    std::string scopes;  // empty → access::default_scopes
    std::optional<std::int64_t> rate_limit;
    std::optional<std::int64_t> burst;
    std::optional<double> expires_in_days;
};

/// What a command line asked for.
struct command_line {
    std::string command;  // "serve", "migrate", "keygen", "dlq", "outbox", "apikey", "webhook", "rewrap",
                          // "erase", "help", "version"
    service_config config;
    std::string help_text;  // filled for "help"
    std::vector<std::string>
        args;           // operator commands: positional words after the command ("list", "show", "7")
    bool json = false;  // operator commands: --json output
    apikey_options apikey;
    webhook_options webhook;  // webhook commands; apikey create's --webhook-url and --allow-private
};

/// Parses argv (+ environment + --config file). Throws std::invalid_argument with a message that names
/// the offending option.
command_line parse_command_line(int argc, const char* const* argv);

/// The migrations directory: the configured one, else <binary dir>/../share/prequal/sql, else the source
/// tree's sql/ the binary was built from. Throws std::runtime_error when none exists.
std::filesystem::path find_sql_dir(const service_config& config);

}  // namespace prequal::app
