// Parsing of prequal-kafka-mock's few flags; hand-rolled so the fixture depends on nothing but librdkafka.
#include "options.hpp"

#include <charconv>
#include <sstream>
#include <stdexcept>
#include <string_view>

namespace prequal::kafka_fixture {

const char* const usage_text =
    "prequal-kafka-mock — an in-process librdkafka mock cluster for tests and local runs\n\n"
    "Usage: prequal-kafka-mock [--brokers N] [--partitions P] [--topics a,b,...] [--port-file FILE] "
    "[--no-stdin]\n\n"
    "  --brokers N       brokers in the cluster, ids 1..N (default 3)\n"
    "  --partitions P    partitions of each pre-created topic (default 6); replication factor min(N,3)\n"
    "  --topics LIST     topics to create (default: the four prequal topics); empty for none\n"
    "  --port-file FILE  also write the BOOTSTRAP=... line to FILE (atomically; it is a shell assignment)\n"
    "  --no-stdin        do not read commands; run until SIGTERM/SIGINT\n\n"
    "Prints BOOTSTRAP=host:port,... as the first stdout line, then answers one line per stdin command with\n"
    "OK ... or ERR <reason>. Send `help` for the command list. EOF, `quit`, SIGTERM or SIGINT exit with 0.\n";

namespace {

int parse_count(std::string_view name, std::string_view text, int min, int max) {
    int v = 0;
    const auto [end, ec] = std::from_chars(text.data(), text.data() + text.size(), v);
    if (ec != std::errc{} || end != text.data() + text.size() || v < min || v > max) {
        std::ostringstream m;
        m << "--" << name << " must be an integer in " << min << ".." << max << ", got '" << text << "'";
        throw std::invalid_argument(m.str());
    }
    return v;
}

std::vector<std::string> split_topics(std::string_view text) {
    std::vector<std::string> out;
    while (!text.empty()) {
        const auto comma = text.find(',');
        const auto item = text.substr(0, comma);
        if (!item.empty()) out.emplace_back(item);
        if (comma == std::string_view::npos) break;
        text.remove_prefix(comma + 1);
    }
    return out;
}

}  // namespace

fixture_options parse_options(int argc, const char* const* argv) {
    fixture_options o;
    for (int i = 1; i < argc; ++i) {
        std::string_view arg = argv[i];
        if (arg == "--help" || arg == "-h") {
            o.help = true;
            continue;
        }
        if (arg == "--no-stdin") {
            o.read_stdin = false;
            continue;
        }
        if (!arg.starts_with("--"))
            throw std::invalid_argument("unexpected argument '" + std::string{arg} + "'");
        std::string_view name = arg.substr(2);
        std::string_view value;
        const auto eq = name.find('=');
        if (eq != std::string_view::npos) {
            value = name.substr(eq + 1);
            name = name.substr(0, eq);
        }
        if (name != "brokers" && name != "partitions" && name != "topics" && name != "port-file")
            throw std::invalid_argument("unknown option --" + std::string{name} + " (try --help)");
        if (eq == std::string_view::npos) {
            if (i + 1 >= argc) throw std::invalid_argument("--" + std::string{name} + " needs a value");
            value = argv[++i];
        }
        if (name == "brokers")
            o.brokers = parse_count(name, value, 1, 64);
        else if (name == "partitions")
            o.partitions = parse_count(name, value, 1, 10000);
        else if (name == "topics")
            o.topics = split_topics(value);
        else
            o.port_file = value;
    }
    return o;
}

}  // namespace prequal::kafka_fixture
