// A private PostgreSQL cluster in a directory: initdb on first use, pg_ctl start/stop, connections over
// a Unix socket inside the directory. Used by `prequal serve` without --database-url and by the test
// harness. When the process runs as root, the server runs as an unprivileged user (default "postgres").
// start()/stop() block (they run before/after the io_context, never on an io thread).
#pragma once

#include <filesystem>
#include <functional>
#include <string>

namespace prequal::pg {

struct embedded_cluster_options {
    std::filesystem::path dir;         // dedicated to the cluster: dir/data, dir/run (created if missing)
    std::string run_as_user;           // used only when euid == 0; default "postgres"
    std::string database = "prequal";  // created on first start
    int port = 5432;                   // only names the socket file (listen_addresses is empty)
    std::string extra_config;          // server settings (e.g. "fsync = off"), rewritten on each start
    std::function<void(const std::string&)> log;  // progress lines; may be empty
    // A server found running already (another process's, e.g. a `prequal serve` on the same directory): stop
    // it on stop() as if started here (true: the adopter owns it), or leave it running (false: borrowed).
    bool stop_adopted = true;
};

class embedded_cluster {
public:
    explicit embedded_cluster(embedded_cluster_options options);
    ~embedded_cluster();  // stops the server if this object started it
    embedded_cluster(const embedded_cluster&) = delete;
    embedded_cluster& operator=(const embedded_cluster&) = delete;

    /// initdb (first run) then pg_ctl start -w; creates the database if missing. Throws
    /// std::runtime_error with the tool's output on failure. Finds binaries in /usr/lib/postgresql/N/bin.
    void start();
    /// pg_ctl stop -m fast (no-op when not running).
    void stop();
    bool running() const { return running_; }

    /// libpq keyword conninfo: host=<socket dir> port=<port> dbname=<database> user=<superuser>.
    std::string conninfo() const;
    const std::filesystem::path& dir() const { return options_.dir; }

private:
    embedded_cluster_options options_;
    bool running_ = false;
    bool adopted_ = false;
};

}  // namespace prequal::pg
