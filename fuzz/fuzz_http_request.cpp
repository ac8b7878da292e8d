// libFuzzer target: raw bytes → Beast request parser (the server's limits) → prequal::http::request →
// router → the API's pre-database submission path or the status id check → response. Any crash,
// sanitizer report, escaping exception or malformed response is a bug.
#include "responses.hpp"
#include "submission_validation.hpp"

#include <prequal/api/application_request.hpp>
#include <prequal/core/ids.hpp>
#include <prequal/http/errors.hpp>
#include <prequal/http/message.hpp>
#include <prequal/http/router.hpp>
#include <prequal/http/server.hpp>

#include <boost/asio/co_spawn.hpp>
#include <boost/asio/io_context.hpp>
#include <boost/beast/http/error.hpp>
#include <boost/beast/http/parser.hpp>
#include <boost/beast/http/string_body.hpp>
#include <boost/json/parse.hpp>

#include <cstdint>
#include <cstdio>
#include <cstdlib>
#include <exception>
#include <iterator>
#include <optional>
#include <string>
#include <string_view>
#include <variant>

namespace {

namespace net = boost::asio;
namespace bhttp = boost::beast::http;
using namespace prequal;

// A fixed id instead of a random UUID keeps every run reproducible.
constexpr std::string_view fixed_id = "0b6f8a52-3c1d-4e8f-9a7b-2d5c6e1f0a93";

[[noreturn]] void fail(const char* what, std::string_view detail = {}) {
    std::fprintf(stderr, "fuzz_http_request: %s %.*s\n", what, static_cast<int>(detail.size()), detail.data());
    std::abort();
}

// PREQUAL_FUZZ_VERBOSE=1 prints each response's status and path: handy when replaying one input.
bool verbose() {
    static const bool on = [] {
        const char* v = std::getenv("PREQUAL_FUZZ_VERBOSE");
        return v != nullptr && std::string_view{v} == "1";
    }();
    return on;
}

// What every response must satisfy whatever the input: a status the server may send, a JSON body, and
// for errors the contract's error shape.
void check_response(const http::response& res, const http::request* req) {
    if (verbose()) std::fprintf(stderr, "-> %u %s\n", res.status, res.body.substr(0, 300).c_str());
    if (res.status < 200 || res.status > 599) fail("status out of range");
    boost::json::error_code ec;
    const auto body = boost::json::parse(res.body, ec);
    if (ec || !body.is_object()) fail("response body is not a JSON object:", res.body);
    const auto& o = body.as_object();
    if (res.status >= 400) {
        for (const char* key : {"error_code", "message", "details", "request_id", "timestamp", "path"})
            if (!o.contains(key)) fail("error body lacks", key);
        if (req && o.at("request_id").as_string() != req->request_id) fail("request_id not echoed");
    }
    for (const auto& [name, value] : res.headers)
        if (value.find_first_of("\r\n") != std::string::npos) fail("header value with CR/LF:", name);
}

const http::router& app_router() {
    static const http::router r = [] {
        http::router out;
        out.add("POST", "/applications", [](http::request& req) -> net::awaitable<http::response> {
            auto checked = api::detail::validate_submission(req, false);
            if (auto* rejected = std::get_if<http::response>(&checked)) co_return std::move(*rejected);
            const auto& app = std::get<api::application_request>(checked);
            // What the handler relies on once validation passed.
            if (!api::is_valid_pan(app.pan_number)) fail("accepted an invalid PAN");
            if (app.loan_amount <= core::money{} || app.monthly_income < core::money{}) fail("accepted a bad amount");
            if (api::mask_pan(app.pan_number).size() != app.pan_number.size()) fail("mask changed length");
            (void)api::canonical_form(app);
            co_return api::detail::accepted(std::string{fixed_id});
        });
        out.add("GET", "/applications/{application_id}/status", [](http::request& req) -> net::awaitable<http::response> {
            const std::string id{req.path_param("application_id")};
            if (!core::is_uuid(id))
                co_return http::make_error(422, "VALIDATION_ERROR", "application id is not valid", req.request_id,
                                           req.path, {{"application_id", "must be a UUID"}});
            co_return http::make_error(404, "NOT_FOUND", "no application with this id", req.request_id, req.path);
        });
        for (const char* path : {"/health", "/ready", "/metrics", "/openapi.json"}) {
            out.add("GET", path, [](http::request&) -> net::awaitable<http::response> {
                http::response r;
                r.body = "{}";
                co_return r;
            });
        }
        return out;
    }();
    return r;
}

http::response dispatch(http::request& req) {
    static net::io_context ctx;
    std::optional<http::response> res;
    std::exception_ptr error;
    net::co_spawn(ctx, app_router().dispatch(req), [&](std::exception_ptr e, http::response r) {
        error = e;
        res = std::move(r);
    });
    ctx.restart();
    ctx.run();
    if (error) {
        try {
            std::rethrow_exception(error);
        } catch (const std::exception& e) {
            fail("handler threw:", e.what());
        }
    }
    if (!res) fail("handler did not complete");
    return std::move(*res);
}

std::string path_of(std::string_view target) { return std::string(target.substr(0, target.find('?'))); }

// The same mapping as the session: limits → 413/431, any other parse error → 400.
void reply_to_parse_error(const boost::system::error_code& ec, const bhttp::request_parser<bhttp::string_body>& p) {
    unsigned status = 400;
    std::string_view code = "BAD_REQUEST";
    if (ec == bhttp::error::body_limit) {
        status = 413;
        code = "PAYLOAD_TOO_LARGE";
    } else if (ec == bhttp::error::header_limit) {
        status = 431;
        code = "HEADERS_TOO_LARGE";
    }
    const auto& partial = p.get();
    auto it = partial.find("X-Request-ID");
    const std::string id = it != partial.end() && http::is_valid_request_id(it->value()) ? std::string(it->value())
                                                                                       : std::string(fixed_id);
    check_response(http::make_error(status, code, "the transport rejected the request", id, path_of(partial.target())),
                   nullptr);
}

// One request from the front of `in`; false when the connection would end (error, close, incomplete).
bool serve_one(std::string_view& in) {
    const http::server_options opts;
    bhttp::request_parser<bhttp::string_body> parser;
    parser.header_limit(static_cast<std::uint32_t>(opts.header_limit));
    parser.body_limit(opts.body_limit);
    boost::system::error_code ec;
    while (!parser.is_done()) {
        const std::size_t used = parser.put(net::buffer(in.data(), in.size()), ec);
        in.remove_prefix(used);
        if (ec == bhttp::error::need_more) return false;  // the client would still be sending
        if (ec) {
            reply_to_parse_error(ec, parser);
            return false;
        }
        if (used == 0 && !parser.is_done()) return false;
    }
    auto msg = parser.release();
    if (static_cast<std::size_t>(std::distance(msg.begin(), msg.end())) > opts.max_header_count) {
        reply_to_parse_error(bhttp::error::header_limit, parser);
        return false;
    }
    http::request req;
    req.method = std::string(msg.method_string());
    req.target = std::string(msg.target());
    req.path = path_of(req.target);
    for (const auto& field : msg) req.headers.emplace_back(std::string(field.name_string()), std::string(field.value()));
    req.body = std::move(msg.body());
    auto rid = msg.find("X-Request-ID");
    req.request_id = rid != msg.end() && http::is_valid_request_id(rid->value()) ? std::string(rid->value())
                                                                                : std::string(fixed_id);
    const auto res = dispatch(req);
    check_response(res, &req);
    return msg.keep_alive();
}

}  // namespace

extern "C" int LLVMFuzzerTestOneInput(const std::uint8_t* data, std::size_t size) {
    std::string_view in{reinterpret_cast<const char*>(data), size};
    // Pipelined requests on one keep-alive connection, as the session serves them; bounded so one input
    // cannot hold thousands of tiny requests.
    for (int i = 0; i < 16 && !in.empty(); ++i)
        if (!serve_one(in)) break;
    return 0;
}
