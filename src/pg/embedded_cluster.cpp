// embedded_cluster: initdb/pg_ctl driven from the process, as an unprivileged user when we are root.
#include "subprocess.hpp"

#include <prequal/pg/embedded_cluster.hpp>

#include <libpq-fe.h>

#include <locale.h>
#include <sys/stat.h>
#include <sys/un.h>
#include <unistd.h>

#include <algorithm>
#include <fstream>
#include <memory>
#include <optional>
#include <sstream>
#include <stdexcept>

namespace prequal::pg {
namespace fs = std::filesystem;
using detail::command_result;
using detail::run_command;
using detail::user_identity;

namespace {

// Files and directories this class creates in options.dir; anything else means "not ours".
constexpr std::string_view owned_entries[] = {"data", "run", "server.log"};

fs::path find_bin_dir() {
    const fs::path root = "/usr/lib/postgresql";
    std::optional<fs::path> best;
    int best_version = -1;
    std::error_code ec;
    for (const auto& entry : fs::directory_iterator(root, ec)) {
        const std::string name = entry.path().filename().string();
        const int version = std::atoi(name.c_str());
        const fs::path bin = entry.path() / "bin";
        if (version > best_version && fs::exists(bin / "initdb") && fs::exists(bin / "pg_ctl")) {
            best_version = version;
            best = bin;
        }
    }
    if (!best) {
        throw std::runtime_error("no PostgreSQL server binaries (initdb, pg_ctl) found under " +
                                 root.string() +
                                 "/*/bin; install the postgresql package or pass a database URL");
    }
    return *best;
}

std::string tail_of_file(const fs::path& file, std::size_t max_bytes = 4000) {
    std::ifstream in(file, std::ios::binary);
    std::ostringstream text;
    text << in.rdbuf();
    std::string s = text.str();
    return s.size() > max_bytes ? s.substr(s.size() - max_bytes) : s;
}

bool can_search(const struct stat& st, const user_identity& u) {
    if (st.st_uid == u.uid) return (st.st_mode & S_IXUSR) != 0;
    const bool in_group =
        st.st_gid == u.gid || std::find(u.groups.begin(), u.groups.end(), st.st_gid) != u.groups.end();
    return (st.st_mode & (in_group ? S_IXGRP : S_IXOTH)) != 0;
}

// The server opens files under dir as `u`, so every ancestor must be searchable by it.
void check_reachable(const fs::path& dir, const user_identity& u) {
    for (fs::path p = dir.parent_path();; p = p.parent_path()) {
        struct stat st {};
        if (stat(p.c_str(), &st) != 0) throw std::runtime_error("cannot stat " + p.string());
        if (!can_search(st, u)) {
            throw std::runtime_error(
                "the embedded PostgreSQL server runs as user '" + u.name +
                "' because prequal runs as root, but that user cannot enter " + p.string() +
                " (on the way to " + dir.string() +
                "); choose a --data-dir that user can reach, e.g. under /var/lib or /tmp");
        }
        if (p == p.root_path()) break;
    }
}

void chown_path(const fs::path& p, const user_identity& u) {
    if (lchown(p.c_str(), u.uid, u.gid) != 0) throw std::runtime_error("cannot chown " + p.string());
}

// Hands the cluster directory to the server's user; the data tree only when its owner differs, since
// walking a large data directory on every start would be slow.
void hand_over(const fs::path& dir, const user_identity& u) {
    for (const auto& entry : fs::directory_iterator(dir)) {
        const std::string name = entry.path().filename().string();
        if (std::find(std::begin(owned_entries), std::end(owned_entries), name) == std::end(owned_entries)) {
            throw std::runtime_error(
                dir.string() + " holds " + name +
                ", which is not part of an embedded cluster; choose an empty --data-dir");
        }
    }
    chown_path(dir, u);
    chown_path(dir / "run", u);
    if (fs::exists(dir / "server.log")) chown_path(dir / "server.log", u);
    struct stat st {};
    if (stat((dir / "data").c_str(), &st) == 0 && st.st_uid != u.uid) {
        chown_path(dir / "data", u);
        for (const auto& entry : fs::recursive_directory_iterator(dir / "data")) chown_path(entry.path(), u);
    }
}

command_result run_checked(const std::vector<std::string>& argv, const user_identity* user,
                           const std::string& what) {
    command_result r = run_command(argv, user);
    if (r.exit_code != 0) {
        throw std::runtime_error(what + " failed (exit " + std::to_string(r.exit_code) + "): " + r.output);
    }
    return r;
}

// A conninfo value, quoted when it contains spaces or quotes (a socket directory may).
std::string conninfo_value(const std::string& v) {
    if (!v.empty() && v.find_first_of(" '\\") == std::string::npos) return v;
    std::string out = "'";
    for (char c : v) {
        if (c == '\'' || c == '\\') out.push_back('\\');
        out.push_back(c);
    }
    return out + "'";
}

std::string make_conninfo(const fs::path& socket_dir, int port, const std::string& database) {
    return "host=" + conninfo_value(socket_dir.string()) + " port=" + std::to_string(port) +
           " dbname=" + conninfo_value(database) + " user=prequal";
}

// Inside a postgresql.conf string a quote is doubled.
std::string conf_quoted(const std::string& v) {
    std::string out;
    for (char c : v) {
        if (c == '\'') out.push_back('\'');
        out.push_back(c);
    }
    return out;
}

bool has_c_utf8_locale() {
    locale_t l = newlocale(LC_ALL_MASK, "C.UTF-8", nullptr);
    if (l == nullptr) return false;
    freelocale(l);
    return true;
}

// start() may block, so plain blocking libpq is fine here.
void ensure_database(const std::string& admin_conninfo, const std::string& database) {
    std::unique_ptr<PGconn, decltype(&PQfinish)> conn(PQconnectdb(admin_conninfo.c_str()), &PQfinish);
    if (PQstatus(conn.get()) != CONNECTION_OK) {
        throw std::runtime_error(std::string("cannot connect to the embedded cluster: ") +
                                 PQerrorMessage(conn.get()));
    }
    const char* values[] = {database.c_str()};
    std::unique_ptr<PGresult, decltype(&PQclear)> found(
        PQexecParams(conn.get(), "SELECT 1 FROM pg_database WHERE datname = $1", 1, nullptr, values, nullptr,
                     nullptr, 0),
        &PQclear);
    if (PQresultStatus(found.get()) != PGRES_TUPLES_OK) {
        throw std::runtime_error(std::string("cannot list databases: ") + PQerrorMessage(conn.get()));
    }
    if (PQntuples(found.get()) > 0) return;
    std::unique_ptr<char, decltype(&PQfreemem)> ident(
        PQescapeIdentifier(conn.get(), database.c_str(), database.size()), &PQfreemem);
    std::unique_ptr<PGresult, decltype(&PQclear)> created(
        PQexec(conn.get(), ("CREATE DATABASE " + std::string(ident.get())).c_str()), &PQclear);
    const char* state = PQresultErrorField(created.get(), PG_DIAG_SQLSTATE);
    // 42P04: someone else created it in between; that is what we wanted.
    if (PQresultStatus(created.get()) != PGRES_COMMAND_OK &&
        !(state != nullptr && std::string(state) == "42P04")) {
        throw std::runtime_error("cannot create database " + database + ": " + PQerrorMessage(conn.get()));
    }
}

}  // namespace

embedded_cluster::embedded_cluster(embedded_cluster_options options) : options_(std::move(options)) {
    options_.dir = fs::absolute(options_.dir).lexically_normal();
    if (options_.dir.has_filename() == false) options_.dir = options_.dir.parent_path();
    if (options_.run_as_user.empty()) options_.run_as_user = "postgres";
}

embedded_cluster::~embedded_cluster() {
    try {
        stop();
    } catch (...) {
        // Destructors must not throw; the server keeps running and the next start() reuses it.
    }
}

void embedded_cluster::start() {
    if (running_) return;
    const auto say = [this](const std::string& line) {
        if (options_.log) options_.log(line);
    };
    const fs::path bin = find_bin_dir();
    const fs::path& dir = options_.dir;
    const fs::path data = dir / "data";
    const fs::path run = dir / "run";
    const std::string socket = (run / (".s.PGSQL." + std::to_string(options_.port))).string();
    if (socket.size() >= sizeof(sockaddr_un::sun_path)) {
        throw std::runtime_error("the socket path " + socket +
                                 " is too long for a Unix socket; choose a shorter --data-dir");
    }

    std::optional<user_identity> user;
    if (geteuid() == 0) user = detail::lookup_user(options_.run_as_user);
    const user_identity* as = user ? &*user : nullptr;

    fs::create_directories(dir);
    if (user) check_reachable(dir, *user);
    fs::create_directories(run);
    fs::permissions(run, fs::perms::owner_all, fs::perm_options::replace);
    if (user) hand_over(dir, *user);

    if (!fs::exists(data / "PG_VERSION")) {
        say("initializing PostgreSQL cluster in " + data.string());
        run_checked({(bin / "initdb").string(), "-D", data.string(), "--auth=trust", "--username=prequal",
                     "--encoding=UTF8", has_c_utf8_locale() ? "--locale=C.UTF-8" : "--no-locale"},
                    as, "initdb");
        std::ofstream conf(data / "postgresql.conf", std::ios::app);
        conf << "\n# prequal embedded cluster\n"
             << "include_if_exists 'prequal.conf'\n";
    }
    // Rewritten on every start so a changed port, moved directory or extra_config takes effect.
    {
        const fs::path managed = data / "prequal.conf";
        std::ofstream conf(managed, std::ios::trunc);
        conf << "# Written by prequal on each start; edits are overwritten.\n"
             << "listen_addresses = ''\n"
             << "unix_socket_directories = '" << conf_quoted(run.string()) << "'\n"
             << "port = " << options_.port << "\n"
             << options_.extra_config << "\n";
        conf.close();
        if (!conf) throw std::runtime_error("cannot write " + managed.string());
        if (user) chown_path(managed, *user);
    }

    const std::string pg_ctl = (bin / "pg_ctl").string();
    if (run_command({pg_ctl, "-D", data.string(), "status"}, as).exit_code == 0) {
        // Left running by a previous process that died, or running for another process: adopt it (and stop
        // it on exit unless told to borrow it).
        say("PostgreSQL already running on " + data.string() + "; reusing it");
        adopted_ = true;
    } else {
        say("starting PostgreSQL (" + bin.string() + ")");
        const command_result r = run_command(
            {pg_ctl, "-D", data.string(), "-l", (dir / "server.log").string(), "-w", "-t", "60", "start"},
            as);
        if (r.exit_code != 0) {
            throw std::runtime_error("pg_ctl start failed (exit " + std::to_string(r.exit_code) +
                                     "): " + r.output + "\nserver log:\n" + tail_of_file(dir / "server.log"));
        }
    }
    running_ = true;
    ensure_database(make_conninfo(run, options_.port, "postgres"), options_.database);
}

void embedded_cluster::stop() {
    if (!running_) return;
    if (adopted_ && !options_.stop_adopted) {
        running_ = false;  // borrowed: its owner stops it
        return;
    }
    std::optional<user_identity> user;
    if (geteuid() == 0) user = detail::lookup_user(options_.run_as_user);
    const std::string pg_ctl = (find_bin_dir() / "pg_ctl").string();
    const std::string data = (options_.dir / "data").string();
    const command_result r =
        run_command({pg_ctl, "-D", data, "-m", "fast", "-w", "-t", "60", "stop"}, user ? &*user : nullptr);
    // Not running any more counts as stopped (pg_ctl status exits 3 then).
    if (r.exit_code != 0 &&
        run_command({pg_ctl, "-D", data, "status"}, user ? &*user : nullptr).exit_code == 0) {
        throw std::runtime_error("pg_ctl stop failed (exit " + std::to_string(r.exit_code) +
                                 "): " + r.output);
    }
    running_ = false;
    if (options_.log) options_.log("PostgreSQL stopped");
}

std::string embedded_cluster::conninfo() const {
    return make_conninfo(options_.dir / "run", options_.port, options_.database);
}

}  // namespace prequal::pg
