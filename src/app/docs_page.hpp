// GET /docs: a browsable page of /openapi.json (Redoc), served entirely by prequal: the page, its one script
// and nothing from any other origin (the Content-Security-Policy says so to the browser). The script is the
// pinned Redoc bundle vendored in docs/page/ (its README says which version and why), installed beside the
// binary in share/prequal/docs.
#pragma once

#include <prequal/core/logger.hpp>
#include <prequal/http/router.hpp>

#include <filesystem>
#include <optional>
#include <string>

namespace prequal::app {

/// Where the page's assets are: share/prequal/docs beside the binary (installed), else the source tree's
/// docs/page (a build tree). Nullopt when neither holds the script.
std::optional<std::filesystem::path> find_docs_dir();

class docs_page {
public:
    /// Reads the script from `dir` (once, at start-up); without it /docs answers 404 naming what is missing.
    static docs_page load(const std::optional<std::filesystem::path>& dir, const core::logger& log);

    /// GET /docs and GET /docs/redoc.standalone.js. This object must outlive the router.
    void register_routes(http::router& router) const;

    bool available() const { return !script_.empty(); }

private:
    std::string script_;
};

}  // namespace prequal::app
