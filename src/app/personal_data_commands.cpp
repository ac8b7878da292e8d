// The personal-data operator commands: the key ring as `serve` builds it, then the api module's operation
// on one connection (run_on_database).
#include "personal_data_commands.hpp"

#include "ops_commands.hpp"

#include <prequal/api/personal_data.hpp>
#include <prequal/core/ids.hpp>
#include <prequal/crypto/keys.hpp>
#include <prequal/crypto/pan_cipher.hpp>

#include <memory>

namespace prequal::app {

namespace asio = boost::asio;

namespace {

/// The ring `serve` would use: --encryption-keys, else (private PostgreSQL) the data directory's key file.
crypto::pan_cipher master_keys(const service_config& c) {
    if (!c.encryption_keys.empty())
        return crypto::pan_cipher{crypto::parse_encryption_keys(c.encryption_keys)};
    if (!c.database_url.empty())
        throw std::invalid_argument("--encryption-keys is required with --database-url");
    const auto file = c.data_dir / "keys";
    if (!std::filesystem::exists(file))
        throw std::invalid_argument("no --encryption-keys and no key file at " + file.string());
    return crypto::pan_cipher{crypto::load_or_create_key_file(file).encryption_keys};
}

}  // namespace

int run_erase_command(const command_line& cl, const core::logger& log, std::ostream& out, std::ostream& err) {
    if (cl.args.size() != 1 || !core::is_uuid(cl.args[0])) {
        err << "prequal: erase needs one application ID (a UUID)"
            << (cl.args.size() == 1 ? ", got '" + cl.args[0].substr(0, 40) + "'" : std::string{})
            << "; usage: prequal erase ID\n";
        return 2;
    }
    const std::string id = cl.args[0];
    auto work = [&](pg::connection& conn) -> asio::awaitable<int> {
        api::erase_request request{id, {}, {}};  // named: g++ 12 and braces in co_await
        const api::erase_outcome outcome = co_await api::erase_personal_data(conn, std::move(request));
        switch (outcome) {
            case api::erase_outcome::erased:
                out << "erased " << id << '\n';
                co_return 0;
            case api::erase_outcome::already_erased:
                out << id << " was already erased\n";
                co_return 0;
            case api::erase_outcome::pending:
                err << "prequal: erase: application " << id
                    << " is PENDING; personal data cannot be erased before the decision\n";
                co_return 1;
            case api::erase_outcome::not_found:
                break;
        }
        err << "prequal: erase: no application " << id << '\n';
        co_return 1;
    };
    return run_on_database(cl.config, log, "erase", err, work);
}

int run_rewrap_command(const command_line& cl, const core::logger& log, std::ostream& out,
                       std::ostream& err) {
    if (!cl.args.empty()) {
        err << "prequal: rewrap takes no arguments; usage: prequal rewrap [--encryption-keys=...]\n";
        return 2;
    }
    std::unique_ptr<crypto::pan_cipher> master;
    try {
        master = std::make_unique<crypto::pan_cipher>(master_keys(cl.config));
    } catch (const std::exception& e) {
        err << "prequal: rewrap: " << e.what() << '\n';
        return 2;
    }
    auto work = [&](pg::connection& conn) -> asio::awaitable<int> {
        const api::rewrap_result r = co_await api::rewrap_data_keys(conn, *master);
        out << "rewrapped " << r.rewrapped << " data keys under " << master->active_key_id() << '\n';
        if (r.unreadable == 0) co_return 0;
        err << "prequal: rewrap: " << r.unreadable
            << " data keys could not be opened with the configured keys (their master key is missing)\n";
        co_return 1;
    };
    return run_on_database(cl.config, log, "rewrap", err, work);
}

}  // namespace prequal::app
