// `prequal apikey`: usage checks first, then one connection (ops_commands' run_on_database) for the
// access component's key administration.
#include "apikey_command.hpp"

#include "ops_commands.hpp"
#include "webhook_command.hpp"

#include <prequal/access/api_key.hpp>
#include <prequal/access/key_admin.hpp>
#include <prequal/access/scopes.hpp>
#include <prequal/notify/webhook_admin.hpp>

#include <boost/json.hpp>

namespace prequal::app {

namespace asio = boost::asio;
namespace json = boost::json;

namespace {

constexpr const char* usage =
    "usage: prequal apikey create --name=CLIENT [--scopes=S,...] [--rate-limit=N] [--burst=B] "
    "[--expires-in-days=D] [--webhook-url=URL [--allow-private]] [--json] | apikey list [--json] | apikey "
    "revoke ID";

json::value nullable(const std::optional<std::string>& s) {
    return s ? json::value(*s) : json::value(nullptr);
}
json::value nullable(const std::optional<std::int64_t>& n) {
    return n ? json::value(*n) : json::value(nullptr);
}

json::object to_json(const access::key_info& k) {
    json::array scopes;
    for (const auto& s : access::parse_scopes(k.scopes)) scopes.emplace_back(s);
    return json::object{{"id", k.id},
                        {"client", k.client},
                        {"scopes", scopes},
                        {"rate_limit", nullable(k.rate_limit)},
                        {"burst", nullable(k.burst)},
                        {"created_at", k.created_at},
                        {"expires_at", nullable(k.expires_at)},
                        {"last_used_at", nullable(k.last_used_at)},
                        {"revoked_at", nullable(k.revoked_at)}};
}

std::string limit_text(const std::optional<std::int64_t>& n) {
    if (!n) return "default";
    return *n == 0 ? "unlimited" : std::to_string(*n);
}

// With a webhook URL (already checked), the client's webhook is set too and its secret printed last.
asio::awaitable<int> create(pg::connection& c, access::key_settings settings, std::string webhook_url,
                            std::shared_ptr<const crypto::pan_cipher> cipher, bool as_json, std::ostream& out,
                            std::ostream& err) {
    const auto k = co_await access::create_key(c, std::move(settings));
    std::string secret;
    if (!webhook_url.empty()) secret = co_await notify::set_webhook(c, *cipher, k.info.client, webhook_url);
    if (as_json) {
        json::object o = to_json(k.info);
        o["key"] = k.key;
        if (!secret.empty()) {
            o["webhook_url"] = webhook_url;
            o["webhook_secret"] = secret;
        }
        out << json::serialize(o) << '\n';
        co_return 0;
    }
    out << k.key << '\n';
    const std::vector<std::pair<const char*, std::string>> fields{
        {"id", k.info.id},
        {"client", k.info.client},
        {"scopes", k.info.scopes},
        {"rate_limit", limit_text(k.info.rate_limit)},
        {"burst", limit_text(k.info.burst)},
        {"expires_at", k.info.expires_at.value_or("never")}};
    for (const auto& [name, value] : fields)
        out << name << std::string(12 - std::string_view{name}.size(), ' ') << value << '\n';
    err << "prequal: store the key now; it is not shown again (only its hash is kept)\n";
    if (!secret.empty()) {
        out << "webhook_url " << webhook_url << '\n' << secret << '\n';
        err << secret_shown_once << '\n';
    }
    co_return 0;
}

asio::awaitable<int> list(pg::connection& c, bool as_json, std::ostream& out) {
    const auto keys = co_await access::list_keys(c);
    if (as_json) {
        json::array a;
        for (const auto& k : keys) a.push_back(to_json(k));
        out << json::serialize(json::object{{"keys", a}}) << '\n';
        co_return 0;
    }
    if (keys.empty()) {
        out << "no API keys\n";
        co_return 0;
    }
    std::vector<std::vector<std::string>> rows;
    rows.reserve(keys.size());
    for (const auto& k : keys)
        rows.push_back({k.id, k.client, k.scopes, limit_text(k.rate_limit), limit_text(k.burst), k.created_at,
                        k.expires_at.value_or("never"), k.last_used_at.value_or("-"),
                        k.revoked_at.value_or("-")});
    print_table(
        out, {"ID", "CLIENT", "SCOPES", "RATE_LIMIT", "BURST", "CREATED", "EXPIRES", "LAST_USED", "REVOKED"},
        rows);
    co_return 0;
}

asio::awaitable<int> revoke(pg::connection& c, std::string id, bool as_json, std::ostream& out,
                            std::ostream& err) {
    const auto outcome = co_await access::revoke_key(c, id);
    if (outcome == access::revoke_outcome::not_found) {
        err << "prequal: no API key " << id << '\n';
        co_return 1;
    }
    const bool now = outcome == access::revoke_outcome::revoked;
    if (as_json)
        out << json::serialize(json::object{{"id", id}, {"revoked", true}, {"already_revoked", !now}})
            << '\n';
    else
        out << (now ? "revoked " : "already revoked ") << id << '\n';
    co_return 0;
}

}  // namespace

int run_apikey_command(const command_line& cl, const core::logger& log, std::ostream& out,
                       std::ostream& err) {
    const auto& a = cl.args;
    const auto& k = cl.apikey;
    const std::string sub = a.empty() ? "" : a[0];
    const bool create_options = !k.name.empty() || !k.scopes.empty() || k.rate_limit || k.burst ||
                                k.expires_in_days || !cl.webhook.url.empty() || cl.webhook.allow_private;
    std::function<asio::awaitable<int>(pg::connection&)> work;
    if (sub == "create" && a.size() == 1) {
        if (k.name.empty()) {
            err << "prequal: apikey create needs --name=CLIENT; " << usage << '\n';
            return 2;
        }
        access::key_settings settings;
        settings.client = k.name;
        try {
            settings.scopes = access::parse_scopes(k.scopes.empty() ? access::default_scopes : k.scopes);
        } catch (const std::invalid_argument& e) {
            err << "prequal: " << e.what() << '\n';
            return 2;
        }
        settings.rate_limit = k.rate_limit;
        settings.burst = k.burst;
        settings.expires_in_days = k.expires_in_days;
        const std::string& url = cl.webhook.url;
        if (cl.webhook.allow_private && url.empty()) {
            err << "prequal: --allow-private belongs to --webhook-url; " << usage << '\n';
            return 2;
        }
        if (!url.empty()) {
            if (auto why = check_webhook_url(url, cl.webhook.allow_private)) {
                err << "prequal: refused: " << *why << '\n';
                return 1;
            }
        }
        work = [&, settings](pg::connection& c) {
            // The key ring is read once the database is there (the private cluster's key file lives beside
            // it).
            std::shared_ptr<const crypto::pan_cipher> cipher;
            if (!url.empty()) cipher = std::make_shared<crypto::pan_cipher>(secret_cipher(cl.config));
            return create(c, settings, url, cipher, cl.json, out, err);
        };
    } else if (sub == "list" && a.size() == 1 && !create_options) {
        work = [&](pg::connection& c) { return list(c, cl.json, out); };
    } else if (sub == "revoke" && !create_options) {
        if (a.size() != 2 || !access::is_key_id(a[1])) {
            err << "prequal: apikey revoke needs one key ID (16 hex digits, as apikey list shows)"
                << (a.size() == 2 ? ", got '" + a[1].substr(0, 40) + "'" : std::string{}) << "; " << usage
                << '\n';
            return 2;
        }
        work = [&, id = a[1]](pg::connection& c) { return revoke(c, id, cl.json, out, err); };
    } else {
        err << "prequal: "
            << (sub.empty() ? "missing subcommand"
                            : "unexpected arguments for apikey '" + sub.substr(0, 40) + "'")
            << "; " << usage << '\n';
        return 2;
    }
    return run_on_database(cl.config, log, "apikey", err, work);
}

}  // namespace prequal::app
