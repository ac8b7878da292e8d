// run_coro(f): runs the coroutine f() to completion on a fresh io_context and rethrows its exception,
// so a test body can be written as a coroutine and still fail through Catch2.
#pragma once

#include <boost/asio/co_spawn.hpp>
#include <boost/asio/io_context.hpp>

#include <exception>
#include <optional>
#include <type_traits>
#include <utility>

namespace prequal::test {

/// Runs `f` (a callable returning boost::asio::awaitable<T>) until it and everything it spawned on the
/// context finish; returns its T (nothing for void) or rethrows what it threw.
template <class F>
auto run_coro(F&& f) {
    using awaitable_type = std::invoke_result_t<F&>;
    using value_type = typename awaitable_type::value_type;
    boost::asio::io_context ctx;
    std::exception_ptr failure;
    if constexpr (std::is_void_v<value_type>) {
        boost::asio::co_spawn(ctx, std::forward<F>(f), [&](std::exception_ptr e) { failure = e; });
        ctx.run();
        if (failure) std::rethrow_exception(failure);
    } else {
        std::optional<value_type> out;
        boost::asio::co_spawn(ctx, std::forward<F>(f), [&](std::exception_ptr e, value_type v) {
            failure = e;
            if (!e) out.emplace(std::move(v));
        });
        ctx.run();
        if (failure) std::rethrow_exception(failure);
        return std::move(*out);
    }
}

}  // namespace prequal::test
