// The PostgreSQL test harness: one embedded cluster per test process (temp dir, unprivileged user when
// root, stopped and removed at exit) handing out fresh databases.
#pragma once

#include <prequal/pg/embedded_cluster.hpp>

#include <filesystem>
#include <memory>
#include <mutex>
#include <string>

namespace prequal::test {

class pg_harness {
public:
    /// The process-wide harness; starts the cluster on first use (blocking, a second or so).
    static pg_harness& instance();

    /// A new database created from a template migrated with the project's sql/ directory
    /// (PREQUAL_SQL_DIR from the environment, else the compiled-in path). Returns its libpq conninfo.
    std::string fresh_database();
    /// A new, empty database (no migrations), e.g. for testing migrate() itself. Returns its conninfo.
    std::string empty_database();

    pg::embedded_cluster& cluster() { return *cluster_; }
    /// Superuser conninfo for the `postgres` maintenance database.
    std::string admin_conninfo() const;
    /// Conninfo for database `name` on this cluster.
    std::string conninfo_for(const std::string& name) const;

    pg_harness(const pg_harness&) = delete;
    pg_harness& operator=(const pg_harness&) = delete;

private:
    pg_harness();
    ~pg_harness();
    std::string create_database(const std::string& template_name);
    void prepare_template();

    std::filesystem::path dir_;
    std::unique_ptr<pg::embedded_cluster> cluster_;
    std::mutex mutex_;
    bool template_ready_ = false;
    int next_database_ = 0;
};

/// A second cluster of this test process, for tests that need server settings of their own (e.g. a TCP
/// listen address and pg_hba rules for it). Copied from the same initdb cache as the harness's cluster,
/// with the same test settings plus `extra_config`, and `hba_lines` appended to pg_hba.conf. Stopped and
/// removed on destruction; a crashed process's leftovers are swept like the harness's own.
class scratch_cluster {
public:
    /// Starts it (blocking) with database `prequal` on `port` (the Unix socket's name and any TCP listener's
    /// port). Throws std::runtime_error when the server fails to start.
    scratch_cluster(const std::string& extra_config, const std::string& hba_lines, int port = 5432);
    ~scratch_cluster();
    scratch_cluster(const scratch_cluster&) = delete;
    scratch_cluster& operator=(const scratch_cluster&) = delete;

    pg::embedded_cluster& cluster() { return *cluster_; }
    /// Superuser conninfo for database `prequal` over the Unix socket.
    std::string conninfo() const { return cluster_->conninfo(); }

private:
    std::filesystem::path dir_;
    std::unique_ptr<pg::embedded_cluster> cluster_;
};

}  // namespace prequal::test
