// Forward-only migrations under a session advisory lock, each applied in its own transaction.
#include <prequal/crypto/digest.hpp>
#include <prequal/pg/error.hpp>
#include <prequal/pg/migrations.hpp>

#include <charconv>
#include <exception>
#include <fstream>
#include <map>
#include <sstream>
#include <stdexcept>

namespace prequal::pg {
namespace {

// Fixed key of the advisory lock that serializes migrate() across replicas ("prequal!" in ASCII).
constexpr std::string_view lock_key = "8102650217567972385";

constexpr statement lock_stmt{"", "SELECT pg_advisory_lock($1::bigint)"};
constexpr statement unlock_stmt{"", "SELECT pg_advisory_unlock($1::bigint)"};
constexpr statement applied_stmt{"",
                                 "SELECT version, name, checksum FROM schema_migrations ORDER BY version"};
struct applied_row {
    int version;
    std::string checksum;
    static constexpr auto columns =
        std::tuple{col("version", &applied_row::version), col("checksum", &applied_row::checksum)};
};
constexpr statement record_stmt{
    "", "INSERT INTO schema_migrations (version, name, checksum) VALUES ($1, $2, $3)"};
constexpr std::string_view create_table_sql =
    "CREATE TABLE IF NOT EXISTS schema_migrations ("
    " version integer PRIMARY KEY,"
    " name text NOT NULL,"
    " checksum text NOT NULL,"
    " applied_at timestamptz NOT NULL DEFAULT now())";

// A function rather than a braced list at the call site: g++ 12 rejects those inside co_await.
params lock_args() { return params{param(lock_key)}; }

struct migration_file {
    int version;
    std::string file_name;
    std::string sql;
    std::string checksum;  // lower-case hex SHA-256 of the file's bytes
};

// NNN_name.sql: digits, an underscore, a non-empty name of [A-Za-z0-9_-], ".sql".
bool parse_file_name(const std::string& name, int& version) {
    constexpr std::string_view suffix = ".sql";
    if (name.size() <= suffix.size() || !name.ends_with(suffix)) return false;
    const std::string_view stem(name.data(), name.size() - suffix.size());
    const auto underscore = stem.find('_');
    if (underscore == 0 || underscore == std::string_view::npos || underscore + 1 == stem.size())
        return false;
    const auto [end, ec] = std::from_chars(stem.data(), stem.data() + underscore, version);
    if (ec != std::errc{} || end != stem.data() + underscore) return false;
    for (char c : stem.substr(underscore + 1)) {
        const bool ok = (c >= 'a' && c <= 'z') || (c >= 'A' && c <= 'Z') || (c >= '0' && c <= '9') ||
                        c == '_' || c == '-';
        if (!ok) return false;
    }
    return true;
}

std::map<int, migration_file> read_migrations(const std::filesystem::path& dir) {
    if (!std::filesystem::is_directory(dir)) {
        throw std::runtime_error("migrations directory " + dir.string() + " does not exist");
    }
    std::map<int, migration_file> files;
    for (const auto& entry : std::filesystem::directory_iterator(dir)) {
        if (!entry.is_regular_file() || entry.path().extension() != ".sql") continue;
        const std::string name = entry.path().filename().string();
        int version = 0;
        if (!parse_file_name(name, version)) {
            throw std::runtime_error("migration file name " + name + " does not match NNN_name.sql");
        }
        std::ifstream in(entry.path(), std::ios::binary);
        std::ostringstream text;
        text << in.rdbuf();
        if (!in) throw std::runtime_error("cannot read migration " + entry.path().string());
        migration_file file{version, name, text.str(), {}};
        file.checksum = crypto::sha256_hex(file.sql);
        if (auto [it, inserted] = files.emplace(version, std::move(file)); !inserted) {
            throw std::runtime_error("migrations " + it->second.file_name + " and " + name +
                                     " share version " + std::to_string(version));
        }
    }
    return files;
}

std::string describe(const std::exception& e) {
    std::string text = e.what();
    if (const auto* pe = dynamic_cast<const error*>(&e); pe != nullptr && !pe->server_message().empty()) {
        text += ": " + pe->server_message();
    }
    return text;
}

// Everything done while holding the lock; throws on the first problem.
boost::asio::awaitable<migration_report> migrate_locked(connection& conn,
                                                        const std::map<int, migration_file>& files) {
    migration_report report;
    co_await conn.execute_script(create_table_sql);
    const result applied = co_await conn.execute(applied_stmt);
    std::map<int, std::string> applied_checksums;
    for (auto& row : applied.rows_as<applied_row>()) applied_checksums[row.version] = std::move(row.checksum);
    // Versions applied by a newer release that this one does not ship are left alone (rolling deploys).
    for (const auto& [version, file] : files) {
        const auto it = applied_checksums.find(version);
        if (it == applied_checksums.end()) continue;
        if (it->second != file.checksum) {
            throw std::runtime_error("migration " + file.file_name +
                                     " was changed after it was applied (checksum " + it->second +
                                     " in the database, " + file.checksum + " on disk)");
        }
        report.already_applied.push_back(file.file_name);
    }
    for (const auto& [version, file] : files) {
        if (applied_checksums.contains(version)) continue;
        std::exception_ptr failure;
        try {
            co_await conn.execute_script("BEGIN");
            co_await conn.execute_script(file.sql);
            const std::string version_text = std::to_string(version);
            params record_args;  // built apart: g++ 12 miscompiles braced lists inside co_await
            record_args.emplace_back(version_text);
            record_args.emplace_back(file.file_name);
            record_args.emplace_back(file.checksum);
            co_await conn.execute(record_stmt, std::move(record_args));
            co_await conn.execute_script("COMMIT");
        } catch (const std::exception& e) {
            failure = std::make_exception_ptr(
                std::runtime_error("migration " + file.file_name + " failed: " + describe(e)));
        }
        // migrate() rolls the open transaction back before unlocking.
        if (failure) std::rethrow_exception(failure);
        report.applied.push_back(file.file_name);
    }
    co_return report;
}

}  // namespace

boost::asio::awaitable<migration_report> migrate(connection& conn, std::filesystem::path dir) {
    const auto files = read_migrations(dir);
    // A session lock, so it spans the per-migration transactions; other replicas wait here.
    co_await conn.execute(lock_stmt, lock_args());
    std::exception_ptr failure;
    migration_report report;
    try {
        report = co_await migrate_locked(conn, files);
    } catch (...) {
        failure = std::current_exception();
    }
    // On a broken connection the server drops the transaction and the session lock by itself.
    try {
        if (!conn.broken()) {
            if (conn.in_transaction()) co_await conn.execute_script("ROLLBACK");
            co_await conn.execute(unlock_stmt, lock_args());
        }
    } catch (...) {
        if (!failure) throw;  // otherwise the migration's own failure is the one worth reporting
    }
    if (failure) std::rethrow_exception(failure);
    co_return report;
}

}  // namespace prequal::pg
