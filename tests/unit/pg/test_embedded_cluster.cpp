// pg::embedded_cluster: restart with data intact, adopting a server left running, and (as root) the
// unprivileged server user and the reachability check.
#include "pg_test_util.hpp"
#include "support/run_coro.hpp"

#include <prequal/pg/embedded_cluster.hpp>
#include <prequal/pg/error.hpp>

#include <catch2/catch.hpp>

#include <pwd.h>
#include <sys/stat.h>
#include <unistd.h>

namespace pg = prequal::pg;
using boost::asio::awaitable;
using Catch::Matchers::Contains;
using prequal::test::connect_to;
using prequal::test::run_coro;
using prequal::test::scratch_dir;

namespace {

// A scratch cluster directory the server user can own (scratch_dir is root-only 0700 when root).
pg::embedded_cluster_options options_in(const scratch_dir& scratch) {
    chmod(scratch.path().c_str(), 0755);
    pg::embedded_cluster_options o;
    o.dir = scratch.path() / "cluster";
    o.port = 5544;
    o.extra_config = "fsync = off";
    return o;
}

std::int64_t count_rows(const std::string& conninfo) {
    return run_coro([&]() -> awaitable<std::int64_t> {
        auto conn = co_await connect_to(conninfo);
        co_return (co_await conn->execute({"", "SELECT count(*) FROM kept"})).get_int(0, 0);
    });
}

}  // namespace

TEST_CASE("unit: pg embedded cluster restarts with its data intact", "[unit][pg][slow]") {
    scratch_dir scratch;
    std::vector<std::string> log;
    auto options = options_in(scratch);
    options.log = [&](const std::string& line) { log.push_back(line); };
    pg::embedded_cluster cluster(options);
    cluster.start();
    REQUIRE(cluster.running());
    CHECK_THAT(cluster.conninfo(), Contains("dbname=prequal"));
    run_coro([&]() -> awaitable<void> {
        auto conn = co_await connect_to(cluster.conninfo());
        co_await conn->execute_script("CREATE TABLE kept (x int); INSERT INTO kept VALUES (1), (2)");
    });
    if (geteuid() == 0) {
        struct stat st {};
        REQUIRE(stat((scratch.path() / "cluster" / "data").c_str(), &st) == 0);
        CHECK(st.st_uid == getpwnam("postgres")->pw_uid);
    }

    cluster.stop();
    CHECK_FALSE(cluster.running());
    CHECK_THROWS_AS(count_rows(cluster.conninfo()), pg::error);

    log.clear();
    cluster.start();
    CHECK(count_rows(cluster.conninfo()) == 2);
    for (const auto& line : log) CHECK_THAT(line, !Contains("initializing"));  // no second initdb
    cluster.stop();
}

TEST_CASE("unit: pg embedded cluster adopts a server left running in its directory", "[unit][pg][slow]") {
    scratch_dir scratch;
    const auto options = options_in(scratch);
    pg::embedded_cluster first(options);
    first.start();
    {
        // As if a previous process had crashed and left its server behind.
        pg::embedded_cluster second(options);
        second.start();
        CHECK(second.running());
        run_coro([&]() -> awaitable<void> {
            auto conn = co_await connect_to(second.conninfo());
            CHECK((co_await conn->execute({"", "SELECT 1"})).get_int(0, 0) == 1);
        });
    }  // second stops the server it adopted
    CHECK_THROWS_AS(count_rows(first.conninfo()), pg::error);
    CHECK_NOTHROW(first.stop());  // already stopped by someone else: not an error
}

TEST_CASE("unit: pg embedded cluster explains a data dir the server user cannot reach", "[unit][pg]") {
    if (geteuid() != 0) {
        WARN("not root: the unprivileged-user path does not apply");
        return;
    }
    scratch_dir scratch;  // 0700 root: closed to postgres
    pg::embedded_cluster_options o;
    o.dir = scratch.path() / "nested" / "cluster";
    pg::embedded_cluster cluster(o);
    try {
        cluster.start();
        FAIL("start() should refuse the directory");
    } catch (const std::runtime_error& e) {
        CHECK_THAT(e.what(), Contains("--data-dir"));
        CHECK_THAT(e.what(), Contains(scratch.path().string()));
    }
    CHECK_FALSE(cluster.running());
}
