// Runs kcat (the command-line Kafka client) from tests: produce one raw message, read a topic.
#pragma once

#include <string>
#include <utility>
#include <vector>

namespace prequal::test {

/// True when the build found kcat (PREQUAL_KCAT_PATH non-empty) or $PREQUAL_KCAT names it.
bool kcat_available();

/// Produces `value` (sent as one message, byte for byte) with key `key` and the given headers to `topic`.
/// Returns kcat's exit status.
int kcat_produce(const std::string& bootstrap, const std::string& topic, const std::string& key,
                 const std::string& value,
                 const std::vector<std::pair<std::string, std::string>>& headers = {});

/// Reads `topic` from the beginning to its current end; one line per message formatted by `format`
/// (kcat -f syntax, e.g. "%k\t%s\n").
std::string kcat_consume(const std::string& bootstrap, const std::string& topic, const std::string& format);

}  // namespace prequal::test
