// prequal-kafka-mock: runs a librdkafka mock cluster as a separate process so shell tests, kcat and several
// `prequal serve --bus=kafka` replicas can share one "Kafka"; it is steered through stdin commands.
#include "commands.hpp"
#include "mock_cluster.hpp"
#include "options.hpp"

#include <poll.h>
#include <sys/signalfd.h>
#include <unistd.h>

#include <cerrno>
#include <csignal>
#include <cstdio>
#include <cstring>
#include <exception>
#include <fstream>
#include <stdexcept>
#include <string>

namespace {

using namespace prequal::kafka_fixture;

void write_line(const std::string& line) {
    std::fputs(line.c_str(), stdout);
    std::fputc('\n', stdout);
    std::fflush(stdout);
}

// Written under a temporary name and renamed, so a script polling for the file never reads half a line.
void write_port_file(const std::string& path, const std::string& line) {
    const std::string tmp = path + ".tmp";
    {
        std::ofstream out{tmp, std::ios::trunc};
        out << line << '\n';
        if (!out.flush()) throw std::runtime_error("cannot write --port-file " + tmp);
    }
    if (std::rename(tmp.c_str(), path.c_str()) != 0)
        throw std::runtime_error("cannot rename " + tmp + " to " + path + ": " + std::strerror(errno));
}

// SIGINT/SIGTERM are blocked in every thread (librdkafka's threads inherit the mask of the thread that
// creates them) and read from a signalfd, so the main loop sees them as just another readable descriptor.
int block_stop_signals() {
    sigset_t set;
    sigemptyset(&set);
    sigaddset(&set, SIGINT);
    sigaddset(&set, SIGTERM);
    if (pthread_sigmask(SIG_BLOCK, &set, nullptr) != 0) throw std::runtime_error("pthread_sigmask failed");
    const int fd = signalfd(-1, &set, SFD_CLOEXEC);
    if (fd < 0) throw std::runtime_error(std::string{"signalfd: "} + std::strerror(errno));
    return fd;
}

// Serves stdin commands until quit, EOF or a stop signal.
void serve(mock_cluster& cluster, int signal_fd, bool read_stdin) {
    std::string pending;
    char buf[4096];
    for (;;) {
        pollfd fds[2] = {{signal_fd, POLLIN, 0}, {STDIN_FILENO, POLLIN, 0}};
        const nfds_t nfds = read_stdin ? 2 : 1;
        if (poll(fds, nfds, -1) < 0) {
            if (errno == EINTR) continue;
            throw std::runtime_error(std::string{"poll: "} + std::strerror(errno));
        }
        if (fds[0].revents != 0) return;
        if (!read_stdin || fds[1].revents == 0) continue;
        const ssize_t n = read(STDIN_FILENO, buf, sizeof buf);
        if (n < 0) {
            if (errno == EINTR || errno == EAGAIN) continue;
            throw std::runtime_error(std::string{"read stdin: "} + std::strerror(errno));
        }
        if (n == 0) {
            if (!pending.empty()) write_line(execute_command(cluster, pending).reply);
            return;
        }
        pending.append(buf, static_cast<size_t>(n));
        for (auto nl = pending.find('\n'); nl != std::string::npos; nl = pending.find('\n')) {
            std::string line = pending.substr(0, nl);
            pending.erase(0, nl + 1);
            if (!line.empty() && line.back() == '\r') line.pop_back();
            if (line.find_first_not_of(" \t") == std::string::npos) continue;
            const auto result = execute_command(cluster, line);
            write_line(result.reply);
            if (result.quit) return;
        }
    }
}

}  // namespace

int main(int argc, char** argv) {
    fixture_options opts;
    try {
        opts = parse_options(argc, argv);
    } catch (const std::exception& e) {
        std::fprintf(stderr, "prequal-kafka-mock: %s\n", e.what());
        return 2;
    }
    if (opts.help) {
        std::fputs(usage_text, stdout);
        return 0;
    }
    // A reader of stdout that went away must not kill us before the cluster is torn down.
    std::signal(SIGPIPE, SIG_IGN);
    try {
        const int signal_fd = block_stop_signals();
        mock_cluster cluster{opts.brokers};
        for (const auto& topic : opts.topics) {
            if (const auto err = cluster.create_topic(topic, opts.partitions);
                err != RD_KAFKA_RESP_ERR_NO_ERROR)
                throw std::runtime_error("cannot create topic " + topic + ": " + rd_kafka_err2str(err));
        }
        const std::string line = "BOOTSTRAP=" + cluster.bootstraps();
        // The file first: whoever sees the stdout line may rely on the file being there too.
        if (!opts.port_file.empty()) write_port_file(opts.port_file, line);
        write_line(line);
        serve(cluster, signal_fd, opts.read_stdin);
        close(signal_fd);
    } catch (const std::exception& e) {
        std::fprintf(stderr, "prequal-kafka-mock: %s\n", e.what());
        return 1;
    }
    return 0;
}
