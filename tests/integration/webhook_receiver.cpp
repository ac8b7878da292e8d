// The test webhook receiver's process and log.
#include "webhook_receiver.hpp"

#include <boost/json/parse.hpp>
#include <catch2/catch.hpp>

#include <unistd.h>

#include <atomic>
#include <fstream>
#include <sstream>
#include <thread>

namespace prequal::test {

namespace fs = std::filesystem;

namespace {

std::string read_file(const fs::path& p) {
    std::ifstream in{p};
    std::stringstream s;
    s << in.rdbuf();
    return s.str();
}

}  // namespace

webhook_receiver::webhook_receiver(std::vector<std::string> options, std::uint16_t port) {
    static std::atomic<int> counter{0};
    dir_ = fs::temp_directory_path() /
           ("prequal-receiver-" + std::to_string(::getpid()) + "-" + std::to_string(counter++));
    fs::remove_all(dir_);
    fs::create_directories(dir_);
    std::vector<std::string> args{"/usr/bin/python3",
                                  PREQUAL_WEBHOOK_RECEIVER,
                                  "--port=" + std::to_string(port),
                                  "--port-file=" + (dir_ / "port").string(),
                                  "--log=" + (dir_ / "log").string(),
                                  "--secrets=" + (dir_ / "secrets").string()};
    args.insert(args.end(), options.begin(), options.end());
    process_ = std::make_unique<server_process>(args, (dir_ / "stderr").string());
    REQUIRE(eventually([&] { return fs::exists(dir_ / "port"); }, std::chrono::seconds{15}));
    port_ = static_cast<std::uint16_t>(std::stoi(read_file(dir_ / "port")));
}

webhook_receiver::~webhook_receiver() {
    process_.reset();
    std::error_code ec;
    fs::remove_all(dir_, ec);
}

void webhook_receiver::set_secrets(const std::vector<std::string>& secrets) {
    std::ofstream out{dir_ / "secrets.tmp"};
    for (const auto& s : secrets) out << s << '\n';
    out.close();
    fs::rename(dir_ / "secrets.tmp", dir_ / "secrets");
}

std::vector<boost::json::object> webhook_receiver::requests() const {
    std::vector<boost::json::object> out;
    std::istringstream in{raw_log()};
    std::string line;
    while (std::getline(in, line)) {
        boost::system::error_code ec;
        auto v = boost::json::parse(line, ec);
        if (!ec && v.is_object()) out.push_back(v.as_object());  // a line being written is skipped
    }
    return out;
}

std::string webhook_receiver::raw_log() const { return read_file(dir_ / "log"); }

bool eventually(const std::function<bool()>& done, std::chrono::milliseconds timeout) {
    const auto deadline = std::chrono::steady_clock::now() + timeout;
    while (std::chrono::steady_clock::now() < deadline) {
        if (done()) return true;
        std::this_thread::sleep_for(std::chrono::milliseconds{50});
    }
    return done();
}

}  // namespace prequal::test
