// Helpers shared by the pg tests: connecting, waiting for a terminated backend, scratch directories.
#pragma once

#include "support/pg_harness.hpp"

#include <prequal/pg/connection.hpp>

#include <boost/asio/steady_timer.hpp>
#include <boost/asio/this_coro.hpp>
#include <boost/asio/use_awaitable.hpp>

#include <signal.h>

#include <chrono>
#include <filesystem>
#include <fstream>
#include <memory>
#include <stdexcept>
#include <string>

namespace prequal::test {

using namespace std::chrono_literals;

inline boost::asio::awaitable<std::unique_ptr<pg::connection>> connect_to(std::string conninfo) {
    co_return co_await pg::connection::connect(co_await boost::asio::this_coro::executor, std::move(conninfo),
                                               10s);
}

inline boost::asio::awaitable<void> sleep_for(std::chrono::milliseconds d) {
    boost::asio::steady_timer t(co_await boost::asio::this_coro::executor, d);
    co_await t.async_wait(boost::asio::use_awaitable);
}

/// Terminates backend `pid` from `admin` and waits until the server no longer lists it.
inline boost::asio::awaitable<void> terminate_backend(pg::connection& admin, int pid) {
    const std::string pid_text = std::to_string(pid);
    pg::params args{pid_text};
    co_await admin.execute({"", "SELECT pg_terminate_backend($1::int)"}, args);
    for (int i = 0; i < 500; ++i) {
        pg::params again{pid_text};
        auto r =
            co_await admin.execute({"", "SELECT count(*) FROM pg_stat_activity WHERE pid = $1::int"}, again);
        // Gone from the server's view and, as a process, gone too: only then is its socket closed.
        if (r.get_int(0, 0) == 0 && kill(pid, 0) != 0) co_return;
        co_await sleep_for(20ms);
    }
    throw std::runtime_error("backend " + pid_text + " did not go away");
}

/// A scratch directory under /tmp, removed with its contents at scope exit.
class scratch_dir {
public:
    scratch_dir() {
        std::string pattern = "/tmp/prequal-test-XXXXXX";
        if (mkdtemp(pattern.data()) == nullptr) throw std::runtime_error("mkdtemp failed");
        path_ = pattern;
    }
    ~scratch_dir() {
        std::error_code ec;
        std::filesystem::remove_all(path_, ec);
    }
    scratch_dir(const scratch_dir&) = delete;
    scratch_dir& operator=(const scratch_dir&) = delete;

    const std::filesystem::path& path() const { return path_; }
    void write(const std::string& name, const std::string& text) const {
        std::ofstream out(path_ / name, std::ios::binary | std::ios::trunc);
        out << text;
    }

private:
    std::filesystem::path path_;
};

}  // namespace prequal::test
