// The shared bus contract (tests/unit/bus/bus_contract.hpp) run against the Kafka bus on a mock cluster.
#include "kafka_test_env.hpp"

#include <catch2/catch.hpp>

PREQUAL_BUS_CONTRACT_TEST_CASES(prequal::bus::testing::kafka_env(), "unit: kafka bus", "[unit][bus][kafka]")
