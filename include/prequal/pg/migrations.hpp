// Forward-only schema migrations: sql/NNN_<what>.sql applied in order, each in its own transaction,
// recorded in schema_migrations with a SHA-256 checksum. Serialized across replicas by an advisory lock.
#pragma once

#include <prequal/pg/connection.hpp>

#include <boost/asio/awaitable.hpp>

#include <filesystem>
#include <string>
#include <vector>

namespace prequal::pg {

struct migration_report {
    std::vector<std::string> applied;          // file names applied now
    std::vector<std::string> already_applied;  // file names found applied with the same checksum
};

/// Applies pending migrations from `dir` on `conn`. Throws std::runtime_error naming the file when an
/// applied migration's checksum no longer matches its file (the service must refuse to start), when a
/// file name does not match NNN_name.sql, or when a migration fails (that migration is rolled back).
boost::asio::awaitable<migration_report> migrate(connection& conn, std::filesystem::path dir);

}  // namespace prequal::pg
