// Implementation of the HTTP suite helpers (live server thread, raw POSIX client).
#include "http_test_support.hpp"

#include <boost/asio/detached.hpp>

#include <arpa/inet.h>
#include <netinet/in.h>
#include <poll.h>
#include <sys/socket.h>
#include <sys/time.h>
#include <unistd.h>

#include <cerrno>
#include <stdexcept>

namespace prequal::http::test {

void capture_sink::write_line(std::string_view line) {
    std::lock_guard lock(mutex_);
    text_.append(line);
    text_.push_back('\n');
}

std::string capture_sink::text() const {
    std::lock_guard lock(mutex_);
    return text_;
}

namespace {
server_options on_ephemeral_port(server_options options) {
    options.host = "127.0.0.1";
    options.port = 0;
    return options;
}
}  // namespace

live_server::live_server(server_options options, dispatcher app, int threads)
    : sink_(std::make_shared<capture_sink>()),
      server_(ctx_.get_executor(), on_ephemeral_port(std::move(options)), std::move(app),
              core::logger("http-test", core::log_level::debug, sink_), metrics_) {
    server_.listen();
    boost::asio::co_spawn(ctx_, server_.run(), boost::asio::detached);
    for (int i = 0; i < threads; ++i) threads_.emplace_back([this] { ctx_.run(); });
}

live_server::~live_server() {
    ctx_.stop();
    for (auto& t : threads_) t.join();
}

std::future<void> live_server::begin_shutdown(std::chrono::milliseconds deadline) {
    auto done = std::make_shared<std::promise<void>>();
    auto result = done->get_future();
    boost::asio::co_spawn(
        ctx_,
        [this, deadline]() -> boost::asio::awaitable<void> {
            server_.stop_accepting();
            co_await server_.drain(deadline);
        },
        [done](std::exception_ptr e) {
            if (e) {
                done->set_exception(e);
            } else {
                done->set_value();
            }
        });
    return result;
}

namespace {
sockaddr_in loopback(std::uint16_t port) {
    sockaddr_in addr{};
    addr.sin_family = AF_INET;
    addr.sin_port = htons(port);
    addr.sin_addr.s_addr = htonl(INADDR_LOOPBACK);
    return addr;
}
}  // namespace

raw_client::raw_client(std::uint16_t port, std::chrono::milliseconds timeout) {
    fd_ = ::socket(AF_INET, SOCK_STREAM, 0);
    if (fd_ < 0) throw std::runtime_error("socket() failed");
    timeval tv{};
    tv.tv_sec = static_cast<time_t>(timeout.count() / 1000);
    tv.tv_usec = static_cast<suseconds_t>((timeout.count() % 1000) * 1000);
    ::setsockopt(fd_, SOL_SOCKET, SO_RCVTIMEO, &tv, sizeof tv);
    ::setsockopt(fd_, SOL_SOCKET, SO_SNDTIMEO, &tv, sizeof tv);
    auto addr = loopback(port);
    if (::connect(fd_, reinterpret_cast<sockaddr*>(&addr), sizeof addr) != 0) {
        ::close(fd_);
        throw std::runtime_error("connect() failed");
    }
}

raw_client::~raw_client() {
    if (fd_ >= 0) ::close(fd_);
}

int raw_client::try_connect(std::uint16_t port) {
    int fd = ::socket(AF_INET, SOCK_STREAM, 0);
    auto addr = loopback(port);
    int rc = ::connect(fd, reinterpret_cast<sockaddr*>(&addr), sizeof addr);
    int err = rc == 0 ? 0 : errno;
    ::close(fd);
    return err;
}

bool raw_client::send(std::string_view data) {
    while (!data.empty()) {
        auto n = ::send(fd_, data.data(), data.size(), MSG_NOSIGNAL);
        if (n < 0 && errno == EINTR) continue;
        if (n <= 0) return false;
        data.remove_prefix(static_cast<std::size_t>(n));
    }
    return true;
}

bool raw_client::fill() {
    char chunk[16384];
    for (;;) {
        auto n = ::recv(fd_, chunk, sizeof chunk, 0);
        if (n < 0 && errno == EINTR) continue;
        if (n <= 0) return false;
        buf_.append(chunk, static_cast<std::size_t>(n));
        return true;
    }
}

std::optional<http_reply> raw_client::read_response(bool head_request) {
    std::size_t end;
    while ((end = buf_.find("\r\n\r\n")) == std::string::npos) {
        if (!fill()) return std::nullopt;
    }
    std::string head = buf_.substr(0, end + 2);
    buf_.erase(0, end + 4);

    http_reply reply;
    auto line_end = head.find("\r\n");
    auto status_line = head.substr(0, line_end);
    auto sp = status_line.find(' ');
    if (sp == std::string::npos) return std::nullopt;
    reply.status = std::stoi(status_line.substr(sp + 1, 3));
    std::size_t pos = line_end + 2;
    while (pos < head.size()) {
        auto eol = head.find("\r\n", pos);
        auto line = head.substr(pos, eol - pos);
        pos = eol + 2;
        auto colon = line.find(':');
        if (colon == std::string::npos) continue;
        auto value = line.substr(colon + 1);
        while (!value.empty() && value.front() == ' ') value.erase(0, 1);
        reply.headers.emplace_back(line.substr(0, colon), value);
    }
    std::size_t length = 0;
    if (const auto* cl = reply.header("Content-Length"); cl != nullptr && !head_request) {
        length = std::stoul(*cl);
    }
    while (buf_.size() < length) {
        if (!fill()) return std::nullopt;
    }
    reply.body = buf_.substr(0, length);
    buf_.erase(0, length);
    return reply;
}

bool raw_client::wait_closed(std::string* received) {
    char chunk[16384];
    for (;;) {
        auto n = ::recv(fd_, chunk, sizeof chunk, 0);
        if (n > 0) {
            if (received != nullptr) received->append(chunk, static_cast<std::size_t>(n));
            continue;
        }
        if (n == 0) return true;
        if (errno == EINTR) continue;
        return errno == ECONNRESET;  // EAGAIN: still open when the receive timeout passed
    }
}

bool raw_client::closed_now() {
    pollfd p{fd_, POLLIN, 0};
    if (::poll(&p, 1, 0) <= 0) return false;
    char c;
    auto n = ::recv(fd_, &c, 1, MSG_PEEK | MSG_DONTWAIT);
    return n == 0 || (n < 0 && errno == ECONNRESET);
}

router basic_router() {
    router r;
    r.add("GET", "/hello", [](request&) -> boost::asio::awaitable<response> {
        response res;
        res.body = R"({"hello":"world"})";
        co_return res;
    });
    r.add("HEAD", "/hello", [](request&) -> boost::asio::awaitable<response> {
        response res;
        res.body = R"({"hello":"world"})";
        co_return res;
    });
    r.add("POST", "/echo", [](request& req) -> boost::asio::awaitable<response> {
        response res;
        res.set_header("Content-Type", "text/plain");
        res.body = req.body;
        co_return res;
    });
    r.add("GET", "/boom", [](request&) -> boost::asio::awaitable<response> {
        throw std::runtime_error("secret internal detail: table applications_v2");
        co_return response{};
    });
    r.add("GET", "/rid", [](request& req) -> boost::asio::awaitable<response> {
        response res;
        res.set_header("Content-Type", "text/plain");
        res.body = req.request_id;
        co_return res;
    });
    return r;
}

dispatcher dispatch_to(const router& r) {
    return [&r](request& req) { return r.dispatch(req); };
}

std::string get_request(std::string_view target, std::string_view extra_headers) {
    std::string out = "GET ";
    out.append(target);
    out.append(" HTTP/1.1\r\nHost: 127.0.0.1\r\n");
    out.append(extra_headers);
    out.append("\r\n");
    return out;
}

}  // namespace prequal::http::test
