#include "docs_page.hpp"

#include <prequal/http/errors.hpp>

#include <fstream>
#include <iterator>
#include <system_error>

namespace prequal::app {

namespace {

constexpr const char* script_name = "redoc.standalone.js";

// Redoc renders in the page and starts a Web Worker from a blob: URL; its styles are injected inline.
constexpr const char* content_security_policy =
    "default-src 'none'; script-src 'self' blob:; worker-src 'self' blob:; connect-src 'self'; "
    "style-src 'self' 'unsafe-inline'; img-src 'self' data:; font-src 'self' data:; base-uri 'none'; "
    "form-action 'none'; frame-ancestors 'none'";

constexpr const char* page_html = R"(<!DOCTYPE html>
<html lang="en">
<head>
<meta charset="utf-8">
<meta name="viewport" content="width=device-width, initial-scale=1">
<title>prequal API</title>
<style>body { margin: 0; padding: 0; }</style>
</head>
<body>
<redoc spec-url="/openapi.json" hide-download-button="false"></redoc>
<script src="/docs/redoc.standalone.js"></script>
</body>
</html>
)";

void secure(http::response& r) {
    r.set_header("Content-Security-Policy", content_security_policy);
    r.set_header("X-Content-Type-Options", "nosniff");
}

}  // namespace

std::optional<std::filesystem::path> find_docs_dir() {
    namespace fs = std::filesystem;
    std::vector<fs::path> candidates;
    std::error_code ec;
    const fs::path exe = fs::read_symlink("/proc/self/exe", ec);
    if (!ec) candidates.push_back(exe.parent_path().parent_path() / "share" / "prequal" / "docs");
    candidates.push_back(PREQUAL_SOURCE_DOCS_PAGE_DIR);
    for (const auto& c : candidates)
        if (fs::is_regular_file(c / script_name, ec)) return c;
    return std::nullopt;
}

docs_page docs_page::load(const std::optional<std::filesystem::path>& dir, const core::logger& log) {
    docs_page page;
    if (!dir) {
        log.warn("the /docs page's assets are not installed (share/prequal/docs): /docs answers 404");
        return page;
    }
    std::ifstream in{*dir / script_name, std::ios::binary};
    page.script_.assign(std::istreambuf_iterator<char>(in), std::istreambuf_iterator<char>());
    if (page.script_.empty())
        log.warn("cannot read the /docs page's script: /docs answers 404", {{"dir", dir->string()}});
    return page;
}

void docs_page::register_routes(http::router& router) const {
    router.add("GET", "/docs", [this](http::request& req) -> boost::asio::awaitable<http::response> {
        if (!available())
            co_return http::make_error(404, "NOT_FOUND",
                                       "the API documentation page is not installed (share/prequal/docs); "
                                       "the API description is at /openapi.json",
                                       req.request_id, req.path);
        http::response r;
        r.body = page_html;
        r.set_header("Content-Type", "text/html; charset=utf-8");
        secure(r);
        co_return r;
    });
    router.add("GET", std::string("/docs/") + script_name,
               [this](http::request& req) -> boost::asio::awaitable<http::response> {
                   if (!available())
                       co_return http::make_error(404, "NOT_FOUND",
                                                  "the API documentation page is not installed",
                                                  req.request_id, req.path);
                   http::response r;
                   r.body = script_;
                   r.set_header("Content-Type", "text/javascript; charset=utf-8");
                   r.set_header("Cache-Control", "public, max-age=86400");
                   secure(r);
                   co_return r;
               });
}

}  // namespace prequal::app
