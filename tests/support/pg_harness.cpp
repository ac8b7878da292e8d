// pg_harness: starts the per-process embedded cluster, sweeps clusters left by crashed test processes,
// and clones migrated template databases for each test.
#include "support/pg_harness.hpp"

#include "support/run_coro.hpp"

#include <prequal/pg/connection.hpp>
#include <prequal/pg/migrations.hpp>

#include <boost/asio/this_coro.hpp>

#include <fcntl.h>
#include <signal.h>
#include <sys/file.h>
#include <unistd.h>

#include <cerrno>
#include <chrono>
#include <cstdlib>
#include <fstream>
#include <stdexcept>
#include <string>
#include <thread>

namespace prequal::test {
namespace fs = std::filesystem;

namespace {

constexpr std::string_view dir_prefix = "prequal-pg-";
constexpr std::chrono::seconds connect_timeout{10};

/// A test cluster under `dir`, run as the postgres user, tuned for speed: the tests need no durability.
pg::embedded_cluster_options test_cluster_options(const fs::path& dir) {
    pg::embedded_cluster_options options;
    options.dir = dir;
    options.run_as_user = "postgres";
    options.extra_config =
        "fsync = off\nsynchronous_commit = off\nfull_page_writes = off\nmax_connections = 200";
    return options;
}

/// Stops a test cluster and deletes its directory; if it will not stop, the directory is left for the next
/// process's sweep rather than deleting a running server's files.
void stop_and_remove(pg::embedded_cluster& cluster, const fs::path& dir) {
    try {
        cluster.stop();
    } catch (...) {
        return;
    }
    std::error_code ec;
    fs::remove_all(dir, ec);
}

// Exited processes linger as zombies until reaped (a container's init may be slow to), so a zombie
// counts as gone.
bool process_alive(int pid) {
    if (kill(pid, 0) != 0 && errno == ESRCH) return false;
    std::ifstream status("/proc/" + std::to_string(pid) + "/status");
    std::string line;
    while (std::getline(status, line)) {
        if (line.starts_with("State:")) return line.find('Z') == std::string::npos;
    }
    return true;
}

// A test process killed by a timeout or crash leaves its server running; stop those whose owning
// process (the pid in the directory name) is gone, then remove the directory.
void sweep_stale_clusters() {
    std::error_code ec;
    for (const auto& entry : fs::directory_iterator("/tmp", ec)) {
        const std::string name = entry.path().filename().string();
        if (!name.starts_with(dir_prefix)) continue;
        const int owner = std::atoi(name.c_str() + dir_prefix.size());
        if (owner <= 0 || process_alive(owner)) continue;
        std::ifstream pid_file(entry.path() / "data" / "postmaster.pid");
        int postmaster = 0;
        if (pid_file >> postmaster && postmaster > 0 && kill(postmaster, SIGQUIT) == 0) {
            for (int i = 0; i < 100 && process_alive(postmaster); ++i) {
                std::this_thread::sleep_for(std::chrono::milliseconds(50));
            }
        }
        fs::remove_all(entry.path(), ec);
    }
}

fs::path make_temp_dir() {
    std::string pattern = "/tmp/" + std::string(dir_prefix) + std::to_string(getpid()) + "-XXXXXX";
    if (mkdtemp(pattern.data()) == nullptr) throw std::runtime_error("mkdtemp failed for " + pattern);
    return pattern;
}

// initdb dominates a test process's start-up, so the first process initializes a pristine cluster
// once (under a lock, stopped cleanly) and every process copies its data directory instead.
// embedded_cluster then rewrites the per-directory settings and hands the copy to the server user.
class initdb_cache {
public:
    explicit initdb_cache(const pg::embedded_cluster_options& like) : root_(cache_root()) {
        fs::create_directories(root_);
        fs::permissions(root_, fs::perms::owner_all | fs::perms::group_exec | fs::perms::others_exec);
        lock_fd_ = open((root_ / "lock").c_str(), O_CREAT | O_RDWR | O_CLOEXEC, 0600);
        if (lock_fd_ < 0) throw std::runtime_error("cannot open " + (root_ / "lock").string());
        // Shared while copying (parallel test processes), exclusive while building.
        lock(LOCK_SH);
        if (!fs::exists(ready_marker())) {
            lock(LOCK_EX);  // not an atomic upgrade, hence the second look
            if (!fs::exists(ready_marker())) build(like);
            lock(LOCK_SH);
        }
    }
    ~initdb_cache() { close(lock_fd_); }  // releases the flock
    initdb_cache(const initdb_cache&) = delete;
    initdb_cache& operator=(const initdb_cache&) = delete;

    void copy_into(const fs::path& cluster_dir) const {
        fs::copy(root_ / "cluster" / "data", cluster_dir / "data",
                 fs::copy_options::recursive | fs::copy_options::copy_symlinks);
    }
    /// Forgets the cached cluster (e.g. after a PostgreSQL upgrade made it unusable).
    void invalidate() const {
        std::error_code ec;
        fs::remove(ready_marker(), ec);
    }

private:
    void lock(int how) const {
        if (flock(lock_fd_, how) != 0) throw std::runtime_error("cannot lock " + root_.string());
    }
    static fs::path cache_root() { return "/tmp/prequal-pgcache-" + std::to_string(geteuid()); }
    fs::path ready_marker() const { return root_ / "ready"; }

    void build(const pg::embedded_cluster_options& like) const {
        std::error_code ec;
        fs::remove_all(root_ / "cluster", ec);
        pg::embedded_cluster_options o = like;
        o.dir = root_ / "cluster";
        {
            pg::embedded_cluster pristine(std::move(o));
            pristine.start();
            pristine.stop();
        }
        std::ofstream(ready_marker()) << "ok\n";
    }

    fs::path root_;
    int lock_fd_ = -1;
};

fs::path sql_dir() {
    if (const char* env = std::getenv("PREQUAL_SQL_DIR"); env != nullptr && *env != '\0') return env;
    return PREQUAL_SQL_DIR;
}

void run_admin_script(const std::string& conninfo, std::string sql) {
    run_coro([&]() -> boost::asio::awaitable<void> {
        auto conn = co_await pg::connection::connect(co_await boost::asio::this_coro::executor, conninfo,
                                                     connect_timeout);
        co_await conn->execute_script(sql);
    });
}

}  // namespace

pg_harness& pg_harness::instance() {
    static pg_harness harness;
    return harness;
}

pg_harness::pg_harness() {
    sweep_stale_clusters();
    dir_ = make_temp_dir();
    pg::embedded_cluster_options options = test_cluster_options(dir_);
    options.database = "postgres";
    try {
        {
            initdb_cache cache(options);
            cache.copy_into(dir_);
            cluster_ = std::make_unique<pg::embedded_cluster>(options);
            try {
                cluster_->start();
            } catch (const std::exception&) {
                // A stale cache (another PostgreSQL version, a broken copy): initialize from scratch.
                cache.invalidate();
                fs::remove_all(dir_ / "data");
                cluster_->start();
            }
        }
    } catch (...) {
        cluster_.reset();
        std::error_code ec;
        fs::remove_all(dir_, ec);
        throw;
    }
}

pg_harness::~pg_harness() { stop_and_remove(*cluster_, dir_); }

std::string pg_harness::admin_conninfo() const { return cluster_->conninfo(); }

std::string pg_harness::conninfo_for(const std::string& name) const {
    // In a keyword conninfo the last occurrence of a keyword wins.
    return admin_conninfo() + " dbname=" + name;
}

std::string pg_harness::fresh_database() {
    std::lock_guard lock(mutex_);
    if (!template_ready_) {
        prepare_template();
        template_ready_ = true;
    }
    return create_database("prequal_template");
}

std::string pg_harness::empty_database() {
    std::lock_guard lock(mutex_);
    return create_database("template1");
}

void pg_harness::prepare_template() {
    run_admin_script(admin_conninfo(), "DROP DATABASE IF EXISTS prequal_template");
    run_admin_script(admin_conninfo(), "CREATE DATABASE prequal_template");
    const std::string conninfo = conninfo_for("prequal_template");
    const fs::path dir = sql_dir();
    // The connection must be closed before the template can be copied, hence its own scope.
    run_coro([&]() -> boost::asio::awaitable<void> {
        auto conn = co_await pg::connection::connect(co_await boost::asio::this_coro::executor, conninfo,
                                                     connect_timeout);
        co_await pg::migrate(*conn, dir);
    });
}

std::string pg_harness::create_database(const std::string& template_name) {
    const std::string name = "test_" + std::to_string(++next_database_);
    run_admin_script(admin_conninfo(), "CREATE DATABASE " + name + " TEMPLATE " + template_name);
    return conninfo_for(name);
}

scratch_cluster::scratch_cluster(const std::string& extra_config, const std::string& hba_lines, int port) {
    sweep_stale_clusters();
    dir_ = make_temp_dir();
    pg::embedded_cluster_options options = test_cluster_options(dir_);
    options.database = "prequal";
    options.port = port;
    // The harness's own settings, then the caller's, which win where they overlap.
    const std::string harness_settings = options.extra_config;
    options.extra_config = harness_settings + "\n" + extra_config;
    try {
        {
            // The cache must look the same whoever builds it.
            pg::embedded_cluster_options like = options;
            like.database = "postgres";
            like.port = 5432;
            like.extra_config = harness_settings;
            initdb_cache cache(like);
            cache.copy_into(dir_);
        }
        std::ofstream(dir_ / "data" / "pg_hba.conf", std::ios::app) << "\n" << hba_lines << "\n";
        cluster_ = std::make_unique<pg::embedded_cluster>(options);
        cluster_->start();
    } catch (...) {
        cluster_.reset();
        std::error_code ec;
        fs::remove_all(dir_, ec);
        throw;
    }
}

scratch_cluster::~scratch_cluster() { stop_and_remove(*cluster_, dir_); }

}  // namespace prequal::test
