// make_kafka_bus in a build without librdkafka (PREQUAL_WITH_KAFKA=OFF): callers link either way and
// `--bus=kafka` fails with a clear message instead of a link error.
#include <prequal/bus/kafka_bus.hpp>

#include <stdexcept>

namespace prequal::bus {

std::unique_ptr<message_bus> make_kafka_bus(boost::asio::any_io_executor, kafka_bus_options, core::logger,
                                            core::metrics_registry&) {
    throw std::runtime_error(
        "this prequal was built without Kafka support (configure with -DPREQUAL_WITH_KAFKA=ON)");
}

}  // namespace prequal::bus
