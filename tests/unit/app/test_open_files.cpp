// The HTTP connection budget: the soft open-files limit raised to the hard limit, and the default
// --max-connections derived from it with a reserve for the database, the bus and the process itself.
#include "open_files.hpp"

#include <catch2/catch.hpp>

#include <sys/resource.h>

using namespace prequal;
using namespace prequal::app;

TEST_CASE("unit: open files: the reserve covers the pool and grows on Kafka", "[unit]") {
    service_config c;
    c.db_pool_size = 16;
    CHECK(reserved_descriptors(c) == 64);
    c.db_pool_size = 100;
    CHECK(reserved_descriptors(c) == 148);
    c.bus = "kafka";
    CHECK(reserved_descriptors(c) == 148 + 128);
}

TEST_CASE("unit: open files: max connections are the soft limit minus the reserve, at least half of it",
          "[unit]") {
    CHECK(derived_max_connections(1024, 64) == 960);
    CHECK(derived_max_connections(1048576, 64) == 1048512);
    CHECK(derived_max_connections(100, 64) == 50);  // a tiny limit still admits connections
    CHECK(derived_max_connections(1, 64) == 1);
}

TEST_CASE("unit: open files: start-up raises the soft limit to the hard limit", "[unit]") {
    rlimit original{};
    REQUIRE(::getrlimit(RLIMIT_NOFILE, &original) == 0);
    if (original.rlim_max == RLIM_INFINITY || original.rlim_max < 512) {
        WARN("not checked: needs a finite hard open-files limit >= 512");
        return;
    }
    // Start as a process started with a low soft limit would.
    rlimit low{256, original.rlim_max};
    REQUIRE(::setrlimit(RLIMIT_NOFILE, &low) == 0);

    const auto limit = raise_open_files_limit();
    CHECK(limit.error == 0);
    CHECK(limit.soft_before == 256);
    CHECK(limit.hard == original.rlim_max);
    CHECK(limit.soft == original.rlim_max);
    rlimit now{};
    REQUIRE(::getrlimit(RLIMIT_NOFILE, &now) == 0);
    CHECK(now.rlim_cur == original.rlim_max);

    // With --max-connections absent the budget follows the raised limit; an explicit value wins.
    service_config c;
    const core::logger quiet{"test", core::log_level::error};
    CHECK(connection_budget(c, quiet) == derived_max_connections(original.rlim_max, reserved_descriptors(c)));
    c.max_connections = 200;
    CHECK(connection_budget(c, quiet) == 200);
    ::setrlimit(RLIMIT_NOFILE, &original);
}
