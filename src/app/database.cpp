// app::database: the configured URL as is, or the private cluster started under the data directory.
#include "database.hpp"

#include <prequal/pg/embedded_cluster.hpp>

#include <filesystem>

namespace prequal::app {

namespace {

// Starts the private cluster when no URL is configured; returns the conninfo to use.
std::string prepare_database(const service_config& c, std::unique_ptr<pg::embedded_cluster>& cluster,
                             const core::logger& log, bool borrow_running) {
    if (!c.database_url.empty()) return c.database_url;
    std::filesystem::create_directories(c.data_dir);
    pg::embedded_cluster_options o;
    o.dir = std::filesystem::absolute(c.data_dir) / "postgres";
    o.log = [log](const std::string& line) { log.info(line); };
    o.stop_adopted = !borrow_running;
    cluster = std::make_unique<pg::embedded_cluster>(std::move(o));
    log.info("no --database-url given: using the private PostgreSQL cluster under the data directory",
             {{"dir", cluster->dir().string()}});
    cluster->start();
    return cluster->conninfo();
}

}  // namespace

database::database(const service_config& config, const core::logger& log, bool borrow_running)
    : conninfo_{prepare_database(config, cluster_, log, borrow_running)} {}

// The cluster's own destructor stops it (and, unlike stop(), never throws out of a destructor).
database::~database() = default;

void database::stop() {
    if (cluster_) cluster_->stop();
}

}  // namespace prequal::app
