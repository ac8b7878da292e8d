// The test receiver: one io_context on a background thread, an accept loop and a coroutine per connection.
#include "receiver.hpp"

#include <boost/asio/as_tuple.hpp>
#include <boost/asio/co_spawn.hpp>
#include <boost/asio/detached.hpp>
#include <boost/asio/io_context.hpp>
#include <boost/asio/ip/tcp.hpp>
#include <boost/asio/ssl/context.hpp>
#include <boost/asio/ssl/stream.hpp>
#include <boost/asio/steady_timer.hpp>
#include <boost/asio/use_awaitable.hpp>
#include <boost/asio/write.hpp>
#include <boost/beast/core/flat_buffer.hpp>
#include <boost/beast/http/read.hpp>
#include <boost/beast/http/string_body.hpp>
#include <boost/beast/http/write.hpp>
#include <openssl/ssl.h>

#include <chrono>
#include <mutex>
#include <sstream>
#include <thread>

namespace prequal::webhook::test {

namespace asio = boost::asio;
namespace http = boost::beast::http;
using asio::ip::tcp;

namespace {
constexpr auto use_tuple = asio::as_tuple(asio::use_awaitable);
}

struct receiver::impl {
    explicit impl(options o) : opts{std::move(o)} {
        if (opts.cert) {
            tls.emplace(asio::ssl::context::tls_server);
            tls->use_certificate_chain_file(opts.cert->string());
            tls->use_private_key_file(opts.key->string(), asio::ssl::context::pem);
        }
        const tcp::endpoint where{asio::ip::make_address(opts.bind), 0};
        acceptor.open(where.protocol());
        acceptor.set_option(tcp::acceptor::reuse_address(true));
        acceptor.bind(where);
        acceptor.listen();
        port = acceptor.local_endpoint().port();
        asio::co_spawn(ctx, accept_loop(), asio::detached);
        thread = std::thread([this] { ctx.run(); });
    }
    ~impl() {
        ctx.stop();
        thread.join();
    }

    asio::awaitable<void> accept_loop() {
        for (;;) {
            auto [ec, socket] = co_await acceptor.async_accept(use_tuple);
            if (ec) co_return;
            ++connections;
            if (tls) {
                asio::co_spawn(ctx, tls_session(std::move(socket)), asio::detached);
            } else {
                asio::co_spawn(ctx, plain_session(std::move(socket)), asio::detached);
            }
        }
    }

    asio::awaitable<void> plain_session(tcp::socket socket) { co_await serve(socket, socket); }

    asio::awaitable<void> tls_session(tcp::socket socket) {
        asio::ssl::stream<tcp::socket> stream(std::move(socket), *tls);
        auto [ec] = co_await stream.async_handshake(asio::ssl::stream_base::server, use_tuple);
        if (ec) co_return;  // the client refused our certificate
        if (const char* name = SSL_get_servername(stream.native_handle(), TLSEXT_NAMETYPE_host_name)) {
            const std::lock_guard lock(mutex);
            sni = name;
        }
        co_await serve(stream, stream.next_layer());
    }

    template <class Stream>
    asio::awaitable<void> serve(Stream& stream, tcp::socket& socket) {
        if (opts.behaviour == mode::hang) {
            // Reads nothing, answers nothing (so a TLS client's hello is never answered either).
            asio::steady_timer forever(ctx, std::chrono::hours(1));
            co_await forever.async_wait(use_tuple);
            co_return;
        }
        boost::beast::flat_buffer buffer;
        http::request<http::string_body> req;
        auto [ec, n] = co_await http::async_read(stream, buffer, req, use_tuple);
        if (ec) co_return;
        {
            std::ostringstream text;
            text << req;
            const std::lock_guard lock(mutex);
            last_request = text.str();
        }
        switch (opts.behaviour) {
            case mode::answer: {
                const auto response = "HTTP/1.1 " + std::to_string(opts.status) +
                                      " Test\r\nContent-Length: " + std::to_string(opts.body.size()) +
                                      "\r\nConnection: close\r\n\r\n" + opts.body;
                co_await asio::async_write(stream, asio::buffer(response), use_tuple);
                break;
            }
            case mode::hang:
                break;
            case mode::garbage: {
                const std::string line = "SSH-2.0-OpenSSH_9.2\r\nnot http at all\r\n\r\n";
                co_await asio::async_write(stream, asio::buffer(line), use_tuple);
                break;
            }
            case mode::stream: {
                // A small send buffer, so that what the kernel accepts stays close to what the client read.
                boost::system::error_code ignored;
                socket.set_option(asio::socket_base::send_buffer_size(16 * 1024), ignored);
                std::string head = "HTTP/1.1 200 OK\r\n";
                if (opts.stream_length)
                    head += "Content-Length: " + std::to_string(opts.stream_bytes) + "\r\n";
                head += "Connection: close\r\n\r\n";
                auto [head_error, head_bytes] =
                    co_await asio::async_write(stream, asio::buffer(head), use_tuple);
                const std::string chunk(16 * 1024, 'x');
                std::size_t left = opts.stream_bytes;
                while (!head_error && left > 0) {
                    const auto piece = std::min(left, chunk.size());
                    auto [write_error, written] =
                        co_await asio::async_write(stream, asio::buffer(chunk.data(), piece), use_tuple);
                    if (write_error) break;
                    sent += written;
                    left -= written;
                }
                finished = true;
                break;
            }
        }
    }

    options opts;
    std::optional<asio::ssl::context> tls;  // before ctx: the sessions' TLS streams go with ctx
    asio::io_context ctx;
    tcp::acceptor acceptor{ctx};
    std::uint16_t port = 0;
    std::thread thread;
    std::atomic<int> connections{0};
    std::atomic<std::size_t> sent{0};
    std::atomic<bool> finished{false};
    mutable std::mutex mutex;
    std::string last_request;
    std::string sni;
};

receiver::receiver(options opts) : impl_{std::make_unique<impl>(std::move(opts))} {}
receiver::~receiver() = default;

std::uint16_t receiver::port() const { return impl_->port; }
int receiver::connections() const { return impl_->connections.load(); }
std::size_t receiver::bytes_sent() const { return impl_->sent.load(); }
bool receiver::stream_finished() const { return impl_->finished.load(); }
std::string receiver::request() const {
    const std::lock_guard lock(impl_->mutex);
    return impl_->last_request;
}
std::string receiver::server_name() const {
    const std::lock_guard lock(impl_->mutex);
    return impl_->sni;
}

}  // namespace prequal::webhook::test
