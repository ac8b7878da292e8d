// `prequal webhook`: usage checks and the URL check first (neither touches the database), then one
// connection (ops_commands' run_on_database) for the notify module's webhook administration.
#include "webhook_command.hpp"

#include "ops_commands.hpp"

#include <prequal/crypto/keys.hpp>
#include <prequal/notify/webhook_admin.hpp>
#include <prequal/webhook/destination.hpp>

#include <boost/asio/co_spawn.hpp>
#include <boost/asio/io_context.hpp>
#include <boost/json.hpp>

#include <memory>

namespace prequal::app {

namespace asio = boost::asio;
namespace json = boost::json;

namespace {

constexpr const char* usage =
    "usage: prequal webhook set --client=CLIENT --url=URL [--allow-private] | webhook rotate-secret "
    "--client=CLIENT | webhook show --client=CLIENT [--json]";

asio::awaitable<int> set(pg::connection& c, std::shared_ptr<const crypto::pan_cipher> cipher,
                         const webhook_options& w, bool as_json, std::ostream& out, std::ostream& err) {
    const std::string secret = co_await notify::set_webhook(c, *cipher, w.client, w.url);
    if (as_json) {
        out << json::serialize(json::object{{"client", w.client}, {"url", w.url}, {"secret", secret}})
            << '\n';
    } else {
        out << "client      " << w.client << '\n' << "url         " << w.url << '\n' << secret << '\n';
        err << secret_shown_once << '\n';
    }
    co_return 0;
}

asio::awaitable<int> rotate(pg::connection& c, std::shared_ptr<const crypto::pan_cipher> cipher,
                            const webhook_options& w, bool as_json, std::ostream& out, std::ostream& err) {
    const auto secret = co_await notify::rotate_secret(c, *cipher, w.client);
    if (!secret) {
        err << "prequal: client " << w.client << " has no webhook (set one with prequal webhook set)\n";
        co_return 1;
    }
    if (as_json) {
        out << json::serialize(json::object{{"client", w.client}, {"secret", *secret}}) << '\n';
    } else {
        out << "client      " << w.client << '\n'
            << "note        the previous secret keeps signing for 24 hours\n"
            << *secret << '\n';
        err << secret_shown_once << '\n';
    }
    co_return 0;
}

asio::awaitable<int> show(pg::connection& c, const webhook_options& w, bool as_json, std::ostream& out,
                          std::ostream& err) {
    const auto info = co_await notify::show_webhook(c, w.client);
    if (!info) {
        err << "prequal: client " << w.client << " has no webhook\n";
        co_return 1;
    }
    const auto& p = info->previous_secret_until;
    if (as_json) {
        out << json::serialize(
                   json::object{{"client", info->client},
                                {"url", info->url},
                                {"created_at", info->created_at},
                                {"updated_at", info->updated_at},
                                {"previous_secret_signs_until", p ? json::value(*p) : json::value(nullptr)},
                                {"undelivered", info->undelivered},
                                {"dead", info->dead}})
            << '\n';
        co_return 0;
    }
    const std::vector<std::pair<const char*, std::string>> fields{
        {"client", info->client},
        {"url", info->url},
        {"created_at", info->created_at},
        {"updated_at", info->updated_at},
        {"rotation", p ? "previous secret signs too until " + *p : std::string{"one secret"}},
        {"undelivered", std::to_string(info->undelivered)},
        {"dead", std::to_string(info->dead)}};
    for (const auto& [name, value] : fields)
        out << name << std::string(12 - std::string_view{name}.size(), ' ') << value << '\n';
    co_return 0;
}

}  // namespace

std::optional<std::string> check_webhook_url(const std::string& url, bool allow_private) {
    const webhook::destination_rules rules{allow_private};
    auto parsed = webhook::parse_url(url, rules);
    if (auto* why = std::get_if<std::string>(&parsed)) return *why;
    asio::io_context ioc{1};
    std::optional<std::string> refusal;
    std::exception_ptr failure;
    asio::co_spawn(
        ioc,
        [&]() -> asio::awaitable<void> {
            auto checked = co_await webhook::resolve_checked(std::get<webhook::url>(parsed), rules);
            if (auto* why = std::get_if<std::string>(&checked)) refusal = *why;
        },
        [&](std::exception_ptr e) { failure = e; });
    ioc.run();
    if (failure) std::rethrow_exception(failure);
    return refusal;
}

crypto::pan_cipher secret_cipher(const service_config& config) {
    if (!config.encryption_keys.empty())
        return crypto::pan_cipher{crypto::parse_encryption_keys(config.encryption_keys)};
    if (!config.database_url.empty())
        throw std::invalid_argument(
            "--encryption-keys (or PREQUAL_ENCRYPTION_KEYS) is needed with --database-url to seal the "
            "webhook "
            "secret: give serve's value");
    return crypto::pan_cipher{crypto::load_or_create_key_file(config.data_dir / "keys").encryption_keys};
}

int run_webhook_command(const command_line& cl, const core::logger& log, std::ostream& out,
                        std::ostream& err) {
    const auto& a = cl.args;
    const auto& w = cl.webhook;
    const std::string sub = a.empty() ? "" : a[0];
    if (a.size() != 1 || (sub != "set" && sub != "rotate-secret" && sub != "show")) {
        err << "prequal: "
            << (sub.empty() ? "missing subcommand"
                            : "unexpected arguments for webhook '" + sub.substr(0, 40) + "'")
            << "; " << usage << '\n';
        return 2;
    }
    if (w.client.empty()) {
        err << "prequal: webhook " << sub << " needs --client=CLIENT; " << usage << '\n';
        return 2;
    }
    if (sub == "set" && w.url.empty()) {
        err << "prequal: webhook set needs --url=URL; " << usage << '\n';
        return 2;
    }
    if (sub != "set" && (!w.url.empty() || w.allow_private)) {
        err << "prequal: --url and --allow-private belong to webhook set; " << usage << '\n';
        return 2;
    }
    if (sub == "show") {
        return run_on_database(cl.config, log, "webhook", err,
                               [&](pg::connection& c) { return show(c, w, cl.json, out, err); });
    }
    if (sub == "set") {
        if (auto why = check_webhook_url(w.url, w.allow_private)) {
            err << "prequal: refused: " << *why << '\n';
            return 1;
        }
    }
    // The key ring is read once the database is there (the private cluster's key file lives beside it).
    return run_on_database(cl.config, log, "webhook", err, [&](pg::connection& c) {
        const auto cipher = std::make_shared<crypto::pan_cipher>(secret_cipher(cl.config));
        return sub == "set" ? set(c, cipher, w, cl.json, out, err) : rotate(c, cipher, w, cl.json, out, err);
    });
}

}  // namespace prequal::app
